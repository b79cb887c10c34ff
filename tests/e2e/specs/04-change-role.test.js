import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';
import { initOrg, expectCounters, roleShown } from '../lib/screens.js';

const BIA = 'bia@acme.com';

e2e('change a role through Edit', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', BIA, '--role', 'user');
  },
}, async (app) => {
  await expectCounters(app, { total: 2, administrators: 1 });
  assert.equal(await roleShown(app, BIA), 'User');

  await app.click('button', `Edit ${BIA}`);
  const dialog = ['dialog', 'Edit user'];
  for (const name of ['Phone', 'Country code']) await app.find('textbox', name, { within: dialog });
  // No budget yet: "No limit" is ticked; the amount appears once it is unticked.
  assert.equal(await app.checkedOf('checkbox', 'No limit', { within: dialog }), true);
  await app.click('checkbox', 'No limit', { within: dialog });
  await app.find('button', 'Cancel', { within: dialog });
  await app.choose('Role', 'Administrator', { within: dialog });
  await app.fill('textbox', 'Monthly budget (USD)', '50', { within: dialog });
  await app.shot('edit');
  await app.click('button', 'Save', { within: dialog });
  await app.gone('dialog', 'Edit user');

  await app.waitFor(async () => (await roleShown(app, BIA)) === 'Administrator', { message: `the row of ${BIA} to show Administrator` });
  await expectCounters(app, { total: 2, administrators: 2 });
  await app.shot('saved');

  const { users } = await app.omniJson('users', 'list');
  const bia = users.find((u) => u.email === BIA);
  assert.equal(bia.role, 'administrator');
  assert.notEqual(bia.budget, null, 'the budget was not saved');
});
