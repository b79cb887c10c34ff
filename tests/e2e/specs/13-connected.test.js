import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { App, config, e2e } from '../lib/app.js';
import { expectAlert, expectCounters, expectLicense, inRow, navigate, userRow } from '../lib/screens.js';
import {
  browserWill, COLLABORATOR, connectTo, keyringEntries, ORG_NAME, OWNER, signIn, startProvider, startServer,
} from '../lib/connected.js';

// Connected mode on real parts: the app in Xvfb signs in to a real omni-server through the test
// OpenID provider (authorization code + PKCE, the "system browser" played by tests/oidc/login.mjs,
// the refresh token in a real gnome-keyring), and works on the server's organization.
let provider;
let server;
before(async () => {
  provider = await startProvider();
  server = await startServer(provider, 'connected');
  await server.omni('users', 'add', 'ana@acme.test');
  await server.omni('users', 'add', 'bia@acme.test');
  await server.omni('users', 'add', COLLABORATOR, '--role', 'collaborator');
});
after(() => {
  server?.stop();
  provider?.stop();
});

const SESSION_ENDED = 'Your session has ended';

/** Has the UI record every payload that crosses IPC (ui/src/ipc/api.ts, `recorded`). */
const RECORD_IPC = 'window.__omniIpcLog = window.__omniIpcLog || [];';

function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile() && statSync(path).size < 512 << 20) out.push(path);
  }
  return out;
}

e2e('sign in to omni-server, work on its organization, and no token is written anywhere', async (app) => {
  await app.session.execute(RECORD_IPC);
  const browser = await signIn(app, server);
  const seen = await browser.result();
  assert.equal(seen.callbacks[0].status, 200, JSON.stringify(seen));
  assert.match(seen.callbacks[0].body, /You can close this tab/);

  // The server's organization, its users, and who signed in.
  await userRow(app, 'ana@acme.test', { timeout: 20_000 });
  await app.find('navigation', 'Main');
  const nav = await app.textOf('navigation', 'Main');
  assert.match(nav, new RegExp(ORG_NAME));
  assert.match(nav, new RegExp(server.address.replace(/[.:/]/g, '\\$&')));
  assert.match(nav, /owner@acme\.test · Administrator/);
  assert.match(nav, /Owner/, 'the name the provider gives');
  await app.shot('signed-in');

  // A write goes to the server, under its rules: a license taken from its seats.
  await app.click('switch', 'License for ana@acme.test', { within: inRow('ana@acme.test') });
  await expectLicense(app, 'ana@acme.test', true);
  await expectCounters(app, { total: 4, licensed: 1 });
  assert.equal(JSON.parse(await server.omni('--json', 'summary')).licensed, 1, 'the server holds the change');

  // The tokens the provider gave are nowhere: not in the app's data folder (its SQLite file,
  // places.json), not in the run's home, not in any log, not in any IPC payload.
  const tokens = await provider.issued();
  assert.ok(tokens.length >= 2, `the provider gave tokens: ${tokens.length}`);
  const ipc = await app.session.execute('return window.__omniIpcLog');
  assert.ok(ipc.some((m) => m.includes('"signed_in":true')), 'the IPC recorder saw the sign-in\'s answer');
  const places = readFileSync(join(app.dir, 'places.json'), 'utf8');
  assert.match(places, new RegExp(server.address.replace(/[.:/]/g, '\\$&')));
  const searched = [...filesUnder(dirname(config.tmp)), ...filesUnder(config.artifacts), server.log];
  for (const token of tokens) {
    const bytes = Buffer.from(token);
    for (const file of searched) {
      assert.equal(readFileSync(file).indexOf(bytes), -1, `a token is in ${file}`);
    }
    for (const message of ipc) assert.ok(!message.includes(token), 'a token crossed IPC');
  }
  // The refresh token is where it belongs: the OS keyring.
  assert.equal((await keyringEntries()).length, 1);
});

e2e('a callback with a wrong state is refused, Cancel stops the sign-in, a second callback finds the listener closed', async (app) => {
  // A forged callback: refused, and the app keeps waiting until Cancel.
  await connectTo(app, server);
  let browser = browserWill({ login: OWNER, state: 'tamper' });
  const codesBefore = (await provider.stats()).authorization_code;
  await app.click('button', 'Sign in with your work account');
  let seen = await browser.result();
  assert.equal(seen.callbacks[0].status, 400, JSON.stringify(seen));
  await app.find('status', /Waiting for you to sign in/);
  await app.shot('wrong-state-still-waiting');
  await app.click('button', 'Cancel');
  await expectAlert(app, 'Sign-in was cancelled.');
  assert.equal((await provider.stats()).authorization_code, codesBefore, 'no code was exchanged');

  // The right callback, then a second one: the listener closed after the first.
  browser = browserWill({ login: OWNER, callbacks: 2 });
  await app.click('button', 'Sign in with your work account');
  seen = await browser.result();
  assert.equal(seen.callbacks[0].status, 200, JSON.stringify(seen));
  assert.match(seen.callbacks[1].error ?? '', /ECONNREFUSED/, JSON.stringify(seen));
  await userRow(app, 'ana@acme.test', { timeout: 20_000 });
});

e2e('an expiring token is refreshed unnoticed; a revoked session asks to sign in exactly once', async (app) => {
  // Access tokens of 65 s: the app refreshes when less than 60 s remain, so after 5 s.
  await provider.ttl(65);
  try {
    const browser = await signIn(app, server);
    await browser.result();
    await userRow(app, 'bia@acme.test', { timeout: 20_000 });
    const before = (await provider.stats()).refresh_token;
    await new Promise((r) => setTimeout(r, 6_000));
    await app.click('switch', 'License for bia@acme.test', { within: inRow('bia@acme.test') });
    await expectLicense(app, 'bia@acme.test', true);
    assert.equal((await provider.stats()).refresh_token, before + 1, 'exactly one refresh for every call at expiry');
    assert.equal((await app.alerts()).filter((t) => t.includes(SESSION_ENDED)).length, 0);

    // The account's sessions are revoked at the provider: the next refresh is refused.
    await provider.revoke(OWNER);
    await new Promise((r) => setTimeout(r, 6_000));
    await app.click('switch', 'License for bia@acme.test', { within: inRow('bia@acme.test') });
    await expectAlert(app, SESSION_ENDED);
    await new Promise((r) => setTimeout(r, 3_000));
    const prompts = await app.findAll('button', 'Sign in with your work account');
    assert.equal(prompts.length, 1, 'one sign-in prompt');
    assert.equal((await provider.stats()).refresh_token, before + 2, 'one refused refresh, no loop');
    // What was on screen stays readable.
    await userRow(app, 'bia@acme.test');
    await app.shot('session-ended');
    assert.equal((await keyringEntries()).length, 0, 'the ended session left the keyring');
  } finally {
    await provider.ttl(3600);
  }
});

e2e('a restart stays signed in; signing out clears the keyring', async (app) => {
  const browser = await signIn(app, server);
  await browser.result();
  await userRow(app, 'ana@acme.test', { timeout: 20_000 });
  assert.equal((await keyringEntries()).length, 1);
  const codes = (await provider.stats()).authorization_code;
  await app.close();

  // The same data folder again: back on the server, without the browser.
  const again = await App.launch(app.name, { keep: true });
  try {
    await userRow(again, 'ana@acme.test', { timeout: 20_000 });
    assert.equal((await provider.stats()).authorization_code, codes, 'no new sign-in');
    await again.shot('restarted');
    await navigate(again, 'Settings');
    await again.click('button', 'Sign out');
    await again.find('button', 'Sign in with your work account');
    assert.equal((await keyringEntries()).length, 0);
    await again.shot('signed-out');
  } finally {
    await again.close();
  }
});

e2e('every screen, an import and an export work on the server', async (app) => {
  const browser = await signIn(app, server);
  await browser.result();
  await userRow(app, 'ana@acme.test', { timeout: 20_000 });

  // A change made on the server by someone else shows in the open table without a click. (The
  // CLI writes the server's SQLite file itself, so the server's long poll hears of it by its
  // once-a-second look, not at once as for its own writes; the bound leaves room for a slow
  // machine.)
  await server.omni('users', 'add', 'gil@acme.test');
  await userRow(app, 'gil@acme.test', { timeout: 5_000 });

  // Import through the server's upload: the preview, then new users as chosen after it.
  const file = join(app.dir, 'people.csv');
  writeFileSync(file, 'eva@acme.test\r\nnot-an-email\r\nfabio@acme.test;55;11987654321\r\n');
  await app.click('button', 'Import');
  const dialog = ['dialog', 'Import users'];
  await app.click('button', 'Choose file…', { within: dialog });
  await app.answerOpenDialog('Import users', file);
  const preview = await app.waitText('dialog', 'Import users', '2 new', { timeout: 20_000 });
  assert.match(preview, /1 invalid/);
  await app.choose('Role for new users', 'Collaborator', { within: dialog });
  await app.click('button', 'Import', { within: dialog });
  await app.waitText('dialog', 'Import users', '2 users created', { timeout: 30_000 });
  await app.click('button', 'Done', { within: dialog });
  await userRow(app, 'fabio@acme.test');
  const listed = JSON.parse(await server.omni('--json', 'users', 'list'));
  assert.equal(listed.users.find((u) => u.email === 'eva@acme.test')?.role, 'collaborator');

  // Export through the server's download: the same bytes as the server's own export.
  await app.click('button', 'Export');
  const exporting = ['dialog', 'Export users'];
  await app.click('radio', 'Whole list', { within: exporting });
  await app.click('button', 'Export…', { within: exporting });
  const out = join(app.dir, 'all.csv');
  await app.answerSaveDialog('Export users', out);
  await app.waitText('dialog', 'Export users', `Exported ${listed.users.length} users`, { timeout: 20_000 });
  await app.click('button', 'Close', { within: exporting });
  assert.equal(readFileSync(out, 'utf8'), await server.omni('export', '-'));

  // Every other screen reads the server's organization.
  for (const screen of ['Recently deleted', 'Directory', 'Audit log', 'Settings']) {
    await navigate(app, screen);
    await app.find('heading', screen);
    assert.deepEqual(await app.alerts(), [], `${screen} shows an alert`);
    if (screen === 'Audit log') {
      await app.waitFor(async () => (await app.query('row', null, { within: ['table', 'Audit log'] }))
        .some((r) => r.text.includes('owner@acme.test imported a CSV file: 2 users created')), { message: 'the audit row of the import' });
      // Filtered on the server (the copy does not hold the log).
      await app.choose('What', 'Users imported');
      await app.waitFor(async () => (await app.query('row', null, { within: ['table', 'Audit log'] })).length === 2,
        { message: 'the header and the import alone' });
    }
    if (screen === 'Settings') {
      await app.waitFor(async () => (await app.session.execute('return document.body.innerText')).includes('Signed in as owner@acme.test'),
        { message: 'the server among the places, signed in' });
    }
    await app.shot(screen);
  }
});

e2e('a Collaborator is refused by the server what the SPEC refuses, and the refusal shows', async (app) => {
  const browser = await signIn(app, server, COLLABORATOR);
  await browser.result();
  await userRow(app, 'ana@acme.test', { timeout: 20_000 });
  assert.match(await app.textOf('navigation', 'Main'), /carla@acme\.test · Collaborator/);
  const was = (await app.attrOf('switch', 'License for bia@acme.test', 'aria-checked', { within: inRow('bia@acme.test') }));
  await app.click('switch', 'License for bia@acme.test', { within: inRow('bia@acme.test') });
  await expectAlert(app, 'Only an Administrator can assign or unassign licenses.');
  assert.equal(await app.attrOf('switch', 'License for bia@acme.test', 'aria-checked', { within: inRow('bia@acme.test') }), was);
  await app.shot('collaborator-refused');
  // Signed out again for the next tests of this file, which expect no session in the keyring.
  await navigate(app, 'Settings');
  await app.click('button', 'Sign out');
});

e2e('offline, the app says so and still reads the copy; back online it follows again', async (app) => {
  const browser = await signIn(app, server);
  await browser.result();
  await userRow(app, 'ana@acme.test', { timeout: 20_000 });
  await app.waitText('status', 'Up to date', 'Up to date', { timeout: 20_000 });

  await server.down();
  try {
    await app.waitText('status', /Offline/, 'Offline — showing data from', { timeout: 10_000 });
    await app.shot('offline');
    // The table, its search and effective access answer from the copy.
    await app.fill('searchbox', 'Search users', 'bia');
    await app.waitFor(async () => (await app.query('row', /@/, { within: ['grid', 'Users'] })).map((r) => r.name).join() === 'bia@acme.test',
      { message: 'the search to show only bia@acme.test, offline' });
    await app.fill('searchbox', 'Search users', '');
    // Meanwhile someone changes the server's data (its own database, the server being down).
    await server.omni('users', 'add', 'hana@acme.test');
  } finally {
    await server.up();
  }
  await app.waitText('status', 'Up to date', 'Up to date', { timeout: 20_000 });
  await userRow(app, 'hana@acme.test', { timeout: 10_000 });
});

e2e('a restart with the server out of reach opens the copy offline, and goes back online by itself', async (app) => {
  const browser = await signIn(app, server);
  await browser.result();
  await userRow(app, 'ana@acme.test', { timeout: 20_000 });
  await app.waitText('status', 'Up to date', 'Up to date', { timeout: 20_000 });
  await app.close();

  await server.down();
  let again;
  try {
    again = await App.launch(app.name, { keep: true });
    await again.waitText('status', /Offline/, 'Offline — showing data from', { timeout: 20_000 });
    await userRow(again, 'ana@acme.test');
    await again.shot('restarted-offline');
  } finally {
    await server.up();
  }
  try {
    await again.waitText('status', 'Up to date', 'Up to date', { timeout: 20_000 });
    await again.click('switch', 'License for carla@acme.test', { within: inRow('carla@acme.test') });
    await expectLicense(again, 'carla@acme.test', true);
  } finally {
    await again.close();
  }
});
