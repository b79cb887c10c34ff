import assert from 'node:assert/strict';
import { e2e, Keys } from '../lib/app.js';
import { initOrg, expectCounters, userRow, inRow } from '../lib/screens.js';

// The app follows its data file: a change made by the `omni` CLI on the same database shows in
// the open app's table and counters within 2 seconds, with no click.
e2e('a user added with the omni CLI appears in the open app within 2 s', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', 'ana@acme.com');
  },
}, async (app) => {
  await userRow(app, 'ana@acme.com');
  await expectCounters(app, { total: 2, licensed: 0 });
  await app.shot('before');

  const started = Date.now();
  await app.omni('users', 'add', 'zoe@acme.com', '--role', 'collaborator');
  await userRow(app, 'zoe@acme.com', { timeout: 2_000 });
  await expectCounters(app, { total: 3, licensed: 0 }, { timeout: Math.max(1, 2_000 - (Date.now() - started)) });
  await app.shot('after-cli-add');

  // And a license assigned by the CLI flips the row's switch.
  await app.omni('licenses', 'assign', 'zoe@acme.com');
  await app.waitFor(async () => (await app.attrOf('switch', 'License for zoe@acme.com', 'aria-checked', { within: inRow('zoe@acme.com') })) === 'true',
    { timeout: 2_000, message: 'the switch of zoe@acme.com to turn on' });
  await expectCounters(app, { total: 3, licensed: 1 }, { timeout: 2_000 });
});

// The grid as the WAI-ARIA pattern says: something has focus at launch, arrows move between
// rows, and focus stays on a license switch toggled from the keyboard.
e2e('the keyboard moves through the grid and keeps focus on the switch acted on', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', 'ana@acme.com');
    await app.omni('users', 'add', 'bia@acme.com');
  },
}, async (app) => {
  await userRow(app, 'bia@acme.com');
  const focused = () => app.session.execute(
    'const e = document.activeElement; return e ? [e.localName, e.getAttribute("aria-label") || e.textContent.trim()] : null');
  assert.notEqual((await focused())[0], 'body', 'nothing has focus at launch');

  // Into the grid: its one Tab stop is the first row's email (a button that opens the user's
  // page, so it is focused here rather than clicked).
  const email = await app.find('button', 'ana@acme.com', { within: inRow('ana@acme.com') });
  await app.session.execute('arguments[0].focus()', [email]);
  await app.press(Keys.ArrowDown);
  assert.deepEqual(await focused(), ['button', 'bia@acme.com']);
  await app.press(Keys.ArrowRight, Keys.ArrowRight);
  assert.deepEqual(await focused(), ['button', 'License for bia@acme.com']);
  await app.press(Keys.Enter);
  await app.waitFor(async () => (await app.attrOf('switch', 'License for bia@acme.com', 'aria-checked', { within: inRow('bia@acme.com') })) === 'true',
    { message: 'the switch of bia@acme.com to turn on' });
  await expectCounters(app, { licensed: 1 });
  assert.deepEqual(await focused(), ['button', 'License for bia@acme.com'], 'focus left the switch it toggled');
  await app.shot('keyboard');
});
