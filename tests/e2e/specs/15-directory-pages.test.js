import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { e2e } from '../lib/app.js';
import { initOrg, inRow, navigate, userRow } from '../lib/screens.js';

// The Directory as pages (a list per kind with counts and search; an item's own page with its
// members, links and, for an agent, who reaches it) and a user's own page, in English and in
// Portuguese. Each page's screenshot goes to docs/screens/ for the README.

const ANA = 'ana@acme.com';
const BO = 'bo@acme.com';
const LONG = 'Customer Success and Field Sales, Southern Europe and Latin America';
const DOCS = fileURLToPath(new URL('../../../docs/screens/', import.meta.url));

/** A screenshot of the step, kept in docs/screens/<name>.png too. */
async function docShot(app, name) {
  const file = await app.shot(name);
  if (!existsSync(file)) return;
  mkdirSync(DOCS, { recursive: true });
  copyFileSync(file, `${DOCS}${name}.png`);
}

async function directoryData(app) {
  await initOrg(app);
  for (const e of [ANA, BO]) await app.omni('users', 'add', e);
  for (const g of ['Sales', LONG]) await app.omni('groups', 'add', g);
  await app.omni('agents', 'add', 'Sales Coach');
  await app.omni('agents', 'link', 'Sales Coach', '--group', 'Sales');
  await app.omni('groups', 'link', 'Sales', '--user', BO);
}

/** Waits for a note (role "note") reading `text`. */
const noteSays = (app, text) =>
  app.waitFor(async () => (await app.query('note', null)).some((n) => n.text.replace(/\s+/g, ' ').trim() === text),
    { message: `a note saying "${text}"` });

const cellsOf = async (app, table, row) =>
  (await app.query('cell', null, { within: [['table', table], ['row', row]] })).map((c) => c.text.trim());

e2e('the Directory lists items with their counts and opens an item to manage its members', {
  setup: directoryData,
}, async (app) => {
  await navigate(app, 'Directory');
  await app.find('heading', 'Directory');
  assert.equal(await app.attrOf('tab', 'Groups', 'aria-selected'), 'true');
  // The long name shows whole, wrapped, never cut.
  const long = await app.find('button', LONG, { within: ['table', 'Groups'] });
  const cut = await app.session.execute('const b = arguments[0]; return b.scrollWidth > b.clientWidth + 1 || getComputedStyle(b).textOverflow === "ellipsis"', [long]);
  assert.equal(cut, false, 'the long name is cut');
  // Sales: one member (Bo), no workspace, one agent.
  await app.waitFor(async () => JSON.stringify(await cellsOf(app, 'Groups', /^Sales \d/)) === '["1","0","1"]',
    { message: 'Sales with 1 member, 0 workspaces, 1 agent' });

  await app.fill('searchbox', 'Search groups', 'SOUTHERN');
  await app.gone('button', 'Sales', { within: ['table', 'Groups'] });
  await app.find('button', LONG, { within: ['table', 'Groups'] });
  await docShot(app, 'directory');
  await app.fill('searchbox', 'Search groups', '');

  // A group's page: add Ana by email, remove Bo after confirming.
  await app.click('button', 'Sales', { within: ['table', 'Groups'] });
  await app.find('heading', 'Sales');
  await app.find('rowheader', BO, { within: ['table', 'Members'] });
  await app.fill('searchbox', 'Add a user by email', 'ana');
  await app.click('button', `Add ${ANA}`);
  await app.find('rowheader', ANA, { within: ['table', 'Members'] });
  const reach = await app.omniJson('access', ANA);
  assert.deepEqual(reach.map((a) => a.agent.name), ['Sales Coach']);

  await app.click('button', `Remove ${BO}`, { within: ['table', 'Members'] });
  const confirm = ['dialog', `Remove ${BO}`];
  await app.find('dialog', `Remove ${BO}`);
  await app.click('button', 'Remove', { within: confirm });
  await app.gone('dialog', `Remove ${BO}`);
  await app.gone('rowheader', BO, { within: ['table', 'Members'] });
  await app.find('button', 'Sales Coach', { within: ['list', 'Agents'] });
  await docShot(app, 'directory-item');

  // The agent's page: who reaches it, and how; a workspace linked from there.
  await app.click('button', 'Sales Coach', { within: ['list', 'Agents'] });
  await app.find('heading', 'Sales Coach');
  await app.waitFor(async () => JSON.stringify(await cellsOf(app, 'Who can reach it', new RegExp(`^${ANA}`))) === '["group Sales"]',
    { message: `${ANA} reaching Sales Coach through group Sales` });
  assert.deepEqual(await cellsOf(app, 'Who can reach it', /^owner@acme.com/), ['Administrator']);
  await docShot(app, 'directory-agent');

  await app.click('button', 'Back to Directory');
  await app.find('heading', 'Directory');
  await app.click('tab', 'Agents');
  await app.find('button', 'Sales Coach', { within: ['table', 'Agents'] });
});

e2e('a user\'s page shows their access, license, history and actions, and says an unlicensed user reaches no agent', {
  setup: async (app) => {
    await directoryData(app);
    await app.omni('groups', 'link', 'Sales', '--user', ANA);
  },
}, async (app) => {
  await userRow(app, ANA);
  await app.click('button', ANA, { within: inRow(ANA) });
  await app.find('heading', ANA);
  await app.find('listitem', 'Sales Coach — group Sales', { within: ['list', 'Agents they reach'] });
  await noteSays(app, `Without a license, ${ANA} cannot use any agent. These are the agents they would reach once licensed.`);
  await app.find('button', /^Sales/, { within: ['list', 'Groups and workspaces'] });
  await app.waitFor(async () => (await app.query('row', null, { within: ['table', 'Recent history'] })).some((r) => r.text.includes('link.add')),
    { message: 'the link to Sales in the history' });
  assert.match(await app.textOf('region', 'Details'), /User — uses the agents shared with them/);

  await app.click('button', 'Assign license');
  await app.find('button', 'Unassign license');
  await app.waitFor(async () => !(await app.query('note', null)).some((n) => n.text.includes('Without a license')),
    { message: 'the note about the license to go' });
  await app.waitFor(async () => (await app.query('row', null, { within: ['table', 'Recent history'] })).some((r) => r.text.includes('license.assign')),
    { message: 'the license in the history' });
  await docShot(app, 'user');

  // From the page to the group's page and back.
  await app.click('button', 'Sales', { within: ['list', 'Groups and workspaces'] });
  await app.find('heading', 'Sales');
  await app.click('button', 'Back to Users');
  await app.find('heading', ANA);
  await app.click('button', 'Back to Users');
  await app.find('grid', 'Users');
  await userRow(app, ANA);
});

e2e('in Portuguese, the Directory pages and a user\'s page read in Portuguese', {
  setup: async (app) => {
    await directoryData(app);
  },
}, async (app) => {
  try {
    await navigate(app, 'Settings');
    const box = await app.find('combobox', 'Language');
    const option = await app.session.execute(
      'return Array.from(arguments[0].options).find((o) => o.label === "Português (Brasil)") || null', [box]);
    await app.session.click(option);
    await app.waitFor(async () => (await app.valueOf('combobox', 'Idioma')) === 'Português (Brasil)', { message: 'Portuguese' });

    await app.click('button', 'Diretório', { within: ['navigation', 'Principal'] });
    await app.find('heading', 'Diretório');
    await app.find('tab', 'Grupos');
    await app.find('columnheader', 'Membros', { within: ['table', 'Grupos'] });
    await app.click('button', 'Sales', { within: ['table', 'Grupos'] });
    await app.find('heading', 'Sales');
    await app.find('rowheader', BO, { within: ['table', 'Membros'] });
    await app.find('searchbox', 'Adicionar um usuário por e-mail');
    await app.shot('portuguese-item');
    await app.click('button', 'Voltar para Diretório');

    await app.click('button', 'Usuários', { within: ['navigation', 'Principal'] });
    const row = [['grid', 'Usuários'], ['row', BO]];
    await app.click('button', BO, { within: row });
    await app.find('heading', BO);
    await noteSays(app, `Sem licença, ${BO} não pode usar nenhum agente. Estes são os agentes que alcançaria com uma licença.`);
    await app.find('listitem', 'Sales Coach — grupo Sales', { within: ['list', 'Agentes que alcança'] });
    await app.find('button', 'Atribuir licença');
    await app.shot('portuguese-user');
  } finally {
    await app.session?.execute('localStorage.removeItem("language")').catch(() => {});
  }
});
