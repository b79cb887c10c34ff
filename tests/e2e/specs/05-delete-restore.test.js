import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';
import { initOrg, expectCounters, navigate, userRow, userRows, expectLicense } from '../lib/screens.js';

const ANA = 'ana@acme.com';

e2e('delete a user and restore them', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', ANA);
    await app.omni('licenses', 'assign', ANA);
  },
}, async (app) => {
  await expectCounters(app, { total: 2, licensed: 1, unlicensed: 1, administrators: 1 });
  await expectLicense(app, ANA, true);

  await app.click('button', `Delete ${ANA}`);
  const dialog = ['dialog', 'Delete user'];
  await app.find('button', 'Cancel', { within: dialog });
  await app.shot('confirm');
  await app.click('button', 'Delete', { within: dialog });
  await app.gone('dialog', 'Delete user');

  // Gone from the table, its license back in the pool.
  await app.waitFor(async () => !(await userRows(app)).includes(ANA), { message: `${ANA} to leave the table` });
  await expectCounters(app, { total: 1, licensed: 0, unlicensed: 1, administrators: 1 });
  await app.shot('deleted');

  await navigate(app, 'Recently deleted');
  await app.find('row', ANA, { within: ['table', 'Recently deleted'] });
  // Deleted just now: the whole restore window is left.
  assert.match(await app.textOf('row', ANA, { within: ['table', 'Recently deleted'] }), /30 days left/);
  await app.shot('recently-deleted');
  assert.deepEqual((await app.omniJson('users', 'deleted')).map((d) => d.user.email), [ANA]);

  await app.click('button', `Restore ${ANA}`);
  await app.gone('row', ANA, { within: ['table', 'Recently deleted'] });
  await app.shot('restored');

  // Back in the table, without the license.
  await navigate(app, 'Users');
  await userRow(app, ANA);
  await expectLicense(app, ANA, false);
  await expectCounters(app, { total: 2, licensed: 0, unlicensed: 2, administrators: 1 });
  await app.shot('back');
  const { users } = await app.omniJson('users', 'list');
  assert.deepEqual(users.filter((u) => u.email === ANA).map((u) => u.licensed), [false]);
});
