import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2e } from '../lib/app.js';
import { ORG, initOrg, navigate } from '../lib/screens.js';

const docs = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/screens');
const LOG = ['table', 'Audit log'];

/** The sentences the audit table shows (each row's text after its time), header left out. */
async function sentences(app, table = LOG) {
  return (await app.query('row', null, { within: table })).slice(1).map((r) => r.text);
}

async function expectSentences(app, test, message, table = LOG, timeout = 20_000) {
  let last = [];
  try {
    return await app.waitFor(async () => {
      last = await sentences(app, table);
      return test(last);
    }, { message, timeout });
  } catch (e) {
    e.message += `; the table shows ${JSON.stringify(last)}`;
    throw e;
  }
}

const has = (rows, sentence) => rows.some((r) => r.includes(sentence));

// The audit log as an account owner reads it: a sentence per change, filters by who, what and
// target, the CSV export of what the filters show; then the same log in Portuguese.
e2e('the audit log reads as sentences, filters and exports', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', 'ana@acme.com');
    await app.omni('users', 'add', 'bia@acme.com');
    await app.omni('licenses', 'assign', 'ana@acme.com');
    await app.omni('users', 'set-role', 'ana@acme.com', 'collaborator');
    await app.omni('licenses', 'seats', '6');
    await app.omni('groups', 'add', 'Sales');
    await app.omni('groups', 'link', 'Sales', '--user', 'ana@acme.com');
  },
}, async (app) => {
  try {
    await auditLog(app);
  } finally {
    // The web view's storage outlives this test's app: leave the next test in English.
    await app.session?.execute('localStorage.removeItem("language")').catch(() => {});
  }
});

async function auditLog(app) {
  await navigate(app, 'Audit log');
  await app.find('heading', 'Audit log');
  const owner = ORG.owner;
  const all = await expectSentences(app, (rows) => rows.length === 8 && rows, 'eight entries');
  for (const sentence of [
    `${owner} assigned a license to ana@acme.com`,
    `${owner} changed ana@acme.com's role from User to Collaborator`,
    `${owner} set the seats to 6 (was 5)`,
    `${owner} created the user bia@acme.com as User`,
    `${owner} added ana@acme.com to the group Sales`,
    `${owner} created the group Sales`,
  ]) {
    assert.ok(has(all, sentence), `"${sentence}" missing from ${JSON.stringify(all)}`);
  }
  assert.ok(!all.some((r) => /license\.assign|\{"/.test(r)), `raw codes or JSON: ${JSON.stringify(all)}`);
  assert.ok(all[0].includes('added ana@acme.com to the group Sales'), `newest first: ${all[0]}`);

  // What: one kind of change.
  await app.choose('What', 'License assigned');
  await expectSentences(app, (rows) => rows.length === 1 && has(rows, `${owner} assigned a license to ana@acme.com`), 'only the license entry');
  await app.choose('What', 'Any change');
  await expectSentences(app, (rows) => rows.length === 8, 'every entry again');

  // Who: nobody else changed anything.
  await app.fill('textbox', 'Who', 'bia@acme.com');
  await app.waitFor(async () => (await sentences(app)).length === 0 &&
    (await app.session.execute('return document.body.innerText')).includes('No entries match these filters.'),
  { message: 'no entry by bia@acme.com' });
  await app.fill('textbox', 'Who', owner.toUpperCase());
  await expectSentences(app, (rows) => rows.length === 8, "the owner's eight entries, whatever the case typed");
  await app.click('button', 'Clear filters');

  // Target: what happened to ana@acme.com.
  await app.fill('textbox', 'Target', 'ana@acme.com');
  const ana = await expectSentences(app, (rows) => rows.length === 3 && rows, 'the three entries about ana@acme.com');
  assert.ok(ana.every((r) => r.includes('ana@acme.com')), JSON.stringify(ana));
  await app.shot('audit-log');
  mkdirSync(docs, { recursive: true });
  copyFileSync(await app.shot('audit-log-filtered'), join(docs, 'audit-log.png'));

  // Export: what the filters show, the same bytes as the CLI's export of the same filters.
  const file = join(app.dir, 'audit.csv');
  await app.click('button', 'Export CSV…');
  await app.answerSaveDialog('Export audit log', file);
  await app.waitFor(async () => (await app.query('status')).some((s) => s.text.includes('Exported 3 entries to')),
    { timeout: 20_000, message: 'the export to say "Exported 3 entries"' });
  await app.find('button', 'Show in folder');
  assert.ok(existsSync(file), `${file} was not written`);
  const bytes = readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'no UTF-8 BOM');
  const lines = bytes.subarray(3).toString('utf8').split('\r\n');
  assert.equal(lines[0], 'time,actor,action,target,before,after');
  assert.equal(lines.length, 1 + 3 + 1, lines.join('\n'));
  assert.ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,owner@acme\.com,user\.role,ana@acme\.com,"\{""role"":""user""\}","\{""role"":""collaborator""\}"$/.test(lines[1]), lines[1]);
  assert.equal(bytes.toString('utf8'), await app.omni('audit', '--target', 'ana@acme.com', '--csv', '-'),
    'the app and the CLI export different bytes');

  // A change made elsewhere shows while the log is open.
  await app.omni('licenses', 'unassign', 'ana@acme.com');
  await expectSentences(app, (rows) => rows.length === 4 && rows[0].includes(`${owner} removed ana@acme.com's license`),
    'the new entry at the top');

  // In Portuguese: the same log, its filters and sentences in the UI's language.
  await navigate(app, 'Settings');
  const box = await app.find('combobox', 'Language');
  const option = await app.session.execute(
    'return Array.from(arguments[0].options).find((o) => o.label === "Português (Brasil)") || null', [box]);
  await app.session.click(option);
  await app.waitFor(async () => (await app.valueOf('combobox', 'Idioma')) === 'Português (Brasil)',
    { message: 'the language field, now "Idioma", to show Português (Brasil)' });
  await app.click('button', 'Auditoria', { within: ['navigation', 'Principal'] });
  await app.find('heading', 'Auditoria');
  const pt = ['table', 'Auditoria'];
  await app.click('button', 'Limpar filtros').catch(() => {});
  await app.choose('O quê', 'Licença atribuída');
  await expectSentences(app, (rows) => rows.length === 1 && has(rows, `${owner} atribuiu uma licença a ana@acme.com`),
    'the license entry in Portuguese', pt);
  await app.choose('O quê', 'Perfil alterado');
  await expectSentences(app, (rows) => rows.length === 1 && has(rows, `${owner} mudou o perfil de ana@acme.com de Usuário para Colaborador`),
    'the role entry in Portuguese', pt);
  await app.shot('audit-log-portuguese');
}
