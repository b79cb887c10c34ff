import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';
import { initOrg, navigate, userRow } from '../lib/screens.js';

const ANA = 'ana@acme.com';

e2e('link a user to a group that has an agent and see it in effective access', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', ANA);
  },
}, async (app) => {
  // The group, the agent, and the agent shared with the group: all from the Directory screen.
  await navigate(app, 'Directory');
  await app.fill('textbox', 'New group name', 'Sales');
  await app.click('button', 'Add group');
  await app.find('button', 'Sales', { within: ['table', 'Groups'] });
  await app.click('tab', 'Agents');
  await app.fill('textbox', 'New agent name', 'Sales Coach');
  await app.click('button', 'Add agent');
  await app.click('button', 'Sales Coach', { within: ['table', 'Agents'] });
  await app.find('heading', 'Sales Coach');
  await app.choose('Choose a group', 'Sales');
  await app.click('button', 'Link group');
  await app.find('button', 'Sales', { within: ['list', 'Groups'] });
  await app.shot('share-agent');
  await app.click('button', 'Back to Directory');
  await app.waitFor(async () => JSON.stringify((await app.query('cell', null, { within: [['table', 'Agents'], ['row', /^Sales Coach/]] })).map((c) => c.text.trim())) === '["0","1","0"]',
    { message: 'Sales Coach shared with 1 group' });
  await app.shot('directory');

  await navigate(app, 'Users');
  await userRow(app, ANA);
  await app.click('button', `Relationships for ${ANA}`);
  const dialog = ['dialog', `Relationships for ${ANA}`];
  const groups = [dialog, ['group', 'Groups']];
  const access = [dialog, ['list', 'Effective access']];
  await app.find('checkbox', 'Sales', { within: groups });
  await app.find('group', 'Workspaces', { within: dialog });
  await app.find('group', 'Agents', { within: dialog });
  await app.find('list', 'Effective access', { within: dialog });
  assert.equal(await app.exists('listitem', 'Sales Coach — group Sales', { within: access }), false);
  await app.shot('relationships');

  await app.click('checkbox', 'Sales', { within: groups });
  await app.find('listitem', 'Sales Coach — group Sales', { within: access });
  assert.equal(await app.checkedOf('checkbox', 'Sales', { within: groups }), true);
  await app.shot('linked');

  const reach = await app.omniJson('access', ANA);
  assert.deepEqual(reach.map((a) => [a.agent.name, a.paths.map((p) => `${p.via} ${p.group?.name}`)]), [['Sales Coach', ['group Sales']]]);

  await app.click('button', 'Close', { within: dialog });
  await app.gone('dialog', `Relationships for ${ANA}`);
});
