import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

import { App, Keys, config, e2e, waitFor } from '../lib/app.js';
import { expectLicense, inRow, userRow } from '../lib/screens.js';
import { signIn, startProvider, startServer } from '../lib/connected.js';

// Connected mode's offline edits on real parts (see 13-connected for the sign-in): the server
// stops, edits made meanwhile wait in the copy's outbox (and survive a kill -9 of the app), and
// reach the server once it serves again; one the server finds stale shows under "Needs
// attention" with the three values.
let provider;
let server;
before(async () => {
  provider = await startProvider();
  server = await startServer(provider, 'offline-edits');
  for (const email of ['ana@acme.test', 'bia@acme.test', 'caio@acme.test']) await server.omni('users', 'add', email);
  await server.omni('groups', 'add', 'Sales');
  await server.omni('agents', 'add', 'Sales Coach');
  await server.omni('groups', 'link', 'Sales', '--user', 'ana@acme.test');
  await server.omni('agents', 'link', 'Sales Coach', '--group', 'Sales');
});
after(() => {
  server?.stop();
  provider?.stop();
});

const PENDING = 'Pending: waiting to be sent';

/** The app's own process (the binary, started on this test's database). */
function appPid(app) {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let args;
    try {
      args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args[0] === config.app && args.includes(app.db)) return Number(d);
  }
  return null;
}

/** Kills the app with SIGKILL (no chance to clean up) and waits until it is gone. */
async function kill9(app) {
  const pid = appPid(app);
  assert.ok(pid, 'the app process was found');
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z',
    { timeout: 10_000, message: 'the app to end' });
  await app.close();
}

async function signedIn(app) {
  const browser = await signIn(app, server);
  await browser.result();
  await userRow(app, 'ana@acme.test', { timeout: 20_000 });
  await app.waitText('status', 'Up to date', 'Up to date', { timeout: 20_000 });
}

const pendingMarks = async (app, email) => (await app.query('img', PENDING, { within: inRow(email) })).length;

e2e('an edit made offline waits, survives a kill -9, and reaches the server once', async (app) => {
  await signedIn(app);
  // Another administrator's change shows in the open table at once.
  await server.omni('users', 'add', 'dora@acme.test');
  await userRow(app, 'dora@acme.test', { timeout: 5_000 });

  await server.down();
  let again;
  try {
    await app.waitText('status', /Offline/, 'Offline — showing data from', { timeout: 10_000 });
    // The table, its search and effective access answer from the copy.
    await app.fill('searchbox', 'Search users', 'bia');
    await app.waitFor(async () => (await app.query('row', /@/, { within: ['grid', 'Users'] })).map((r) => r.name).join() === 'bia@acme.test',
      { message: 'the search to show only bia@acme.test, offline' });
    await app.fill('searchbox', 'Search users', '');
    await app.click('button', 'Relationships for ana@acme.test');
    const dialog = ['dialog', 'Relationships for ana@acme.test'];
    await app.find('listitem', 'Sales Coach — group Sales', { within: [dialog, ['list', 'Effective access']] });
    await app.click('button', 'Close', { within: dialog });
    await app.gone('dialog', 'Relationships for ana@acme.test');

    // A license given offline: shown at once, marked pending, counted in the status line.
    await app.click('switch', 'License for bia@acme.test', { within: inRow('bia@acme.test') });
    await expectLicense(app, 'bia@acme.test', true);
    await app.waitFor(async () => (await pendingMarks(app, 'bia@acme.test')) === 1, { message: 'the row of bia@acme.test marked pending' });
    await app.find('button', '1 change waiting');
    assert.equal(await pendingMarks(app, 'ana@acme.test'), 0);

    // A user created offline shows at once, pending too.
    await app.click('button', 'Create');
    const create = ['dialog', 'Create user'];
    const email = await app.find('textbox', 'Email', { within: create });
    await app.session.sendKeys(email, `eva@acme.test${Keys.Enter}`);
    await app.gone('dialog', 'Create user');
    await userRow(app, 'eva@acme.test');
    await app.waitFor(async () => (await pendingMarks(app, 'eva@acme.test')) === 1, { message: 'the row of eva@acme.test marked pending' });
    await app.find('button', '2 changes waiting');
    await app.shot('pending');

    // An edit the outbox cannot hold is refused with a sentence that says to reconnect.
    await app.click('button', 'Delete ana@acme.test');
    await app.click('button', 'Delete', { within: ['dialog', 'Delete user'] });
    await app.waitFor(async () => (await app.session.execute('return document.body.innerText')).includes('This change needs the server: reconnect and try again.'),
      { message: 'the refusal that says to reconnect' });
    await app.click('button', 'Cancel', { within: ['dialog', 'Delete user'] });

    // Killed without a chance to clean up, then started again: still pending.
    await kill9(app);
    again = await App.launch(app.name, { keep: true });
    await again.waitText('status', /Offline/, 'Offline — showing data from', { timeout: 20_000 });
    await expectLicense(again, 'bia@acme.test', true);
    await again.waitFor(async () => (await pendingMarks(again, 'bia@acme.test')) === 1, { message: 'still pending after kill -9' });
    await again.waitFor(async () => (await pendingMarks(again, 'eva@acme.test')) === 1, { message: 'the new user still pending after kill -9' });
    await again.find('button', '2 changes waiting');
    await again.shot('pending-after-kill');
  } finally {
    await server.up();
  }
  try {
    await again.waitFor(async () => (await pendingMarks(again, 'bia@acme.test')) === 0, { timeout: 20_000, message: 'the pending mark to clear' });
    await again.waitFor(async () => (await pendingMarks(again, 'eva@acme.test')) === 0, { timeout: 20_000, message: 'the new user sent' });
    await again.waitText('status', 'Up to date', 'Up to date', { timeout: 20_000 });
    assert.equal((await again.findAll('button', /changes? waiting/)).length, 0);
    await expectLicense(again, 'bia@acme.test', true);
    const { users } = JSON.parse(await server.omni('--json', 'users', 'list'));
    assert.equal(users.find((u) => u.email === 'bia@acme.test')?.licensed, true, 'the server holds the change');
    assert.ok(users.find((u) => u.email === 'eva@acme.test'), 'the server holds the user created offline');
    const { entries: audit } = JSON.parse(await server.omni('--json', 'audit'));
    const assigned = audit.filter((e) => e.action === 'license.assign' && e.target === 'bia@acme.test');
    assert.equal(assigned.length, 1, `the server's audit log shows the change once: ${JSON.stringify(audit)}`);
    const created = audit.filter((e) => e.action === 'user.create' && e.target === 'eva@acme.test');
    assert.equal(created.length, 1, `the server's audit log shows the creation once: ${JSON.stringify(audit)}`);
    // The row is the server's user now: one row, no provisional twin.
    await again.fill('searchbox', 'Search users', 'eva@');
    await again.waitFor(async () => (await again.query('row', /eva@acme\.test/, { within: ['grid', 'Users'] })).length === 1,
      { message: 'one row for eva@acme.test' });
    await again.fill('searchbox', 'Search users', '');
    await again.shot('sent');
  } finally {
    await again.close();
  }
});

e2e('an offline edit the server finds stale needs attention, with the three values, until discarded', async (app) => {
  await signedIn(app);
  await server.down();
  try {
    await app.waitText('status', /Offline/, 'Offline — showing data from', { timeout: 10_000 });
    await app.click('button', 'Edit caio@acme.test');
    const dialog = ['dialog', 'Edit user'];
    await app.choose('Role', 'Collaborator', { within: dialog });
    await app.click('button', 'Save', { within: dialog });
    await app.gone('dialog', 'Edit user');
    await app.waitFor(async () => (await pendingMarks(app, 'caio@acme.test')) === 1, { message: 'the row of caio@acme.test marked pending' });
    // Meanwhile another administrator makes caio an Administrator on the server.
    await server.omni('users', 'set-role', 'caio@acme.test', 'administrator');
  } finally {
    await server.up();
  }
  await app.click('button', '1 needs your attention', { timeout: 20_000 });
  const panel = ['dialog', 'Needs attention'];
  const row = [panel, ['table', 'Needs attention'], ['row', 'caio@acme.test']];
  const text = await app.waitText('row', 'caio@acme.test', 'Administrator', { within: [panel, ['table', 'Needs attention']] });
  assert.match(text, /Role/);
  const cells = (await app.query('cell', null, { within: row })).map((c) => c.text.trim());
  assert.deepEqual(cells.slice(0, 5), ['caio@acme.test', 'Role', 'Collaborator', 'User', 'Administrator'], 'You set, It was, Now on the server');
  await app.shot('needs-attention');
  // The row shows the server's state, not the refused edit.
  assert.equal(await pendingMarks(app, 'caio@acme.test'), 0);

  await app.click('button', 'Discard the change for caio@acme.test', { within: panel });
  await app.waitFor(async () => (await app.query('row', 'caio@acme.test', { within: [panel, ['table', 'Needs attention']] })).length === 0,
    { message: 'the conflict to go' });
  await app.click('button', 'Close', { within: panel });
  await app.waitFor(async () => (await app.findAll('button', '1 needs your attention')).length === 0, { message: 'the status line to clear' });
  const { users } = JSON.parse(await server.omni('--json', 'users', 'list'));
  assert.equal(users.find((u) => u.email === 'caio@acme.test')?.role, 'administrator', 'nothing settled by last-writer-wins');
});
