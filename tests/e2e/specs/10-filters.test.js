import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';
import { ORG, initOrg, inRow, userRows } from '../lib/screens.js';

const ANA = 'ana@acme.com';
const BIA = 'bia@acme.com';

e2e('search, filters and row selection narrow and mark the table', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', ANA, '--role', 'collaborator');
    await app.omni('users', 'add', BIA);
    await app.omni('licenses', 'assign', ANA);
  },
}, async (app) => {
  const rowsAre = (want, what) => app.waitFor(async () => (await userRows(app)).join() === want.join(),
    { message: `the table to show ${JSON.stringify(want)} (${what})` });
  await rowsAre([ANA, BIA, ORG.owner], 'everyone');

  await app.choose('Role filter', 'Collaborator');
  await rowsAre([ANA], 'role filter Collaborator');
  await app.shot('role-filter');
  await app.choose('Role filter', 'User');
  await rowsAre([BIA], 'role filter User');
  await app.choose('Role filter', 'Any role');
  await rowsAre([ANA, BIA, ORG.owner], 'any role');

  await app.choose('License filter', 'Unlicensed');
  await rowsAre([BIA, ORG.owner], 'license filter Unlicensed');
  await app.choose('License filter', 'Licensed');
  await rowsAre([ANA], 'license filter Licensed');
  await app.shot('license-filter');

  // Nobody has a budget, so nobody is over it.
  await app.click('checkbox', 'Over budget only');
  assert.equal(await app.checkedOf('checkbox', 'Over budget only'), true);
  await rowsAre([], 'over budget only');
  await app.shot('over-budget');
  await app.click('checkbox', 'Over budget only');
  await rowsAre([ANA], 'licensed again');

  await app.fill('searchbox', 'Search users', 'zz');
  await rowsAre([], 'a search that matches nobody, within the licensed filter');
  await app.fill('searchbox', 'Search users', '');
  await rowsAre([ANA], 'search cleared');

  await app.click('checkbox', `Select ${ANA}`, { within: inRow(ANA) });
  await app.waitFor(() => app.checkedOf('checkbox', `Select ${ANA}`, { within: inRow(ANA) }), { message: `${ANA} to be selected` });
  await app.shot('selected');
});
