import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2e, Keys } from '../lib/app.js';
import { ORG, initOrg, expectAlert, expectCounters, expectLicense, inRow, navigate, userRow } from '../lib/screens.js';

// Issue 15's smaller screens, tried as a new user would: Create that finishes the job, phones as
// people write them, "No limit" as a choice, the seat pool that warns before it runs out,
// toasts that name what they are about, the example import file and the export's count.

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const docs = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/screens');

/** Takes the step's screenshot and keeps it as the README's picture of the screen. */
async function docShot(app, name) {
  const file = await app.shot(name);
  if (existsSync(file)) {
    mkdirSync(docs, { recursive: true });
    copyFileSync(file, join(docs, `${name}.png`));
  }
}

/** The texts in the app's one live region (the toasts). */
async function toasts(app) {
  return (await app.query('status', null)).map((r) => r.text).join('\n');
}

/** Switches the UI to Portuguese in Settings (the field is then named "Idioma"). */
async function portuguese(app) {
  await navigate(app, 'Settings');
  const box = await app.find('combobox', 'Language');
  const option = await app.session.execute(
    'return Array.from(arguments[0].options).find((o) => o.label === "Português (Brasil)") || null', [box]);
  await app.session.click(option);
  await app.waitFor(async () => (await app.valueOf('combobox', 'Idioma')) === 'Português (Brasil)',
    { message: 'the language field, now "Idioma", to show Português (Brasil)' });
}

e2e('create finishes the job: role, license, budget, Create another; phones as people write them', {
  setup: (app) => initOrg(app, { seats: 5 }),
}, async (app) => {
  await app.click('button', 'Create');
  const dialog = ['dialog', 'Create user'];
  await app.find('dialog', 'Create user');
  await app.fill('textbox', 'Email', 'ana@acme.com', { within: dialog });
  await app.fill('textbox', 'Country code', '55', { within: dialog });
  await app.fill('textbox', 'Phone', '11987654321', { within: dialog });
  await app.choose('Role', 'Collaborator', { within: dialog });
  // The role picker says what the chosen role may do.
  const text = await app.textOf('dialog', 'Create user');
  assert.match(text, /Manages Users and Collaborators and the directory; no licenses, seats or budgets\./);
  assert.match(text, /5 seats left\./);
  await app.click('checkbox', 'Give a license', { within: dialog });
  // "No limit" is ticked for a new user; the amount appears once it is unticked.
  assert.equal(await app.checkedOf('checkbox', 'No limit', { within: dialog }), true);
  assert.equal(await app.exists('textbox', 'Monthly budget (USD)', { within: dialog }), false);
  await app.click('checkbox', 'No limit', { within: dialog });
  await app.fill('textbox', 'Monthly budget (USD)', '25', { within: dialog });
  await docShot(app, 'create-user');

  // Create another: saved, and the dialog stays open, cleared, with the email focused.
  await app.click('button', 'Create another', { within: dialog });
  await app.waitText('dialog', 'Create user', 'ana@acme.com created, with a license.');
  assert.equal(await app.valueOf('textbox', 'Email', { within: dialog }), '');
  const focused = await app.session.execute('return document.activeElement?.type ?? null');
  assert.equal(focused, 'email');
  // Two more, then one saved by Enter, which closes the dialog.
  for (const email of ['bia@acme.com', 'carlos@acme.com']) {
    await app.fill('textbox', 'Email', email, { within: dialog });
    await app.click('button', 'Create another', { within: dialog });
    await app.waitText('dialog', 'Create user', `${email} created.`);
  }
  const email = await app.find('textbox', 'Email', { within: dialog });
  await app.session.sendKeys(email, `dora@acme.com${Keys.Enter}`);
  await app.gone('dialog', 'Create user');

  // The toasts name what they are about, three at most, and go away.
  const shown = await app.waitFor(async () => {
    const t = await toasts(app);
    return t.includes('dora@acme.com created.') && t;
  }, { message: 'the toast about dora@acme.com' });
  assert.ok((shown.match(/ created/g) ?? []).length <= 3, `more than three toasts at once: ${shown}`);
  await app.waitFor(async () => !(await toasts(app)).includes('created'), { timeout: 15_000, message: 'the toasts to go away' });

  // The store has all of it; the table shows the phone as people write it.
  const { users } = await app.omniJson('users', 'list');
  const ana = users.find((u) => u.email === 'ana@acme.com');
  assert.deepEqual([ana.role, ana.licensed, ana.phone], ['collaborator', true, '+5511987654321']);
  assert.equal(Number(ana.budget), 25_000_000, `budget: ${JSON.stringify(ana.budget)}`);
  assert.equal(users.find((u) => u.email === 'dora@acme.com').budget, null);
  await expectCounters(app, { total: 5, licensed: 1 });
  await expectLicense(app, 'ana@acme.com', true);
  const phone = await app.waitFor(async () => (await app.query('gridcell', /^\+55/, { within: inRow('ana@acme.com') }))[0]?.text,
    { message: 'the phone cell of ana@acme.com' });
  assert.equal(phone.trim(), '+55 11 98765-4321');
  await docShot(app, 'users-phones');

  // Edit shows the country code and the national number; "No limit" is its own choice.
  await app.click('button', 'Edit ana@acme.com', { within: inRow('ana@acme.com') });
  const edit = ['dialog', 'Edit user'];
  assert.equal(await app.valueOf('textbox', 'Country code', { within: edit }), '55');
  assert.equal(await app.valueOf('textbox', 'Phone', { within: edit }), '11 98765-4321');
  assert.equal(await app.checkedOf('checkbox', 'No limit', { within: edit }), false);
  assert.equal(await app.valueOf('textbox', 'Monthly budget (USD)', { within: edit }), '25');
  await docShot(app, 'edit-user');
  await app.click('checkbox', 'No limit', { within: edit });
  await app.click('button', 'Save', { within: edit });
  await app.gone('dialog', 'Edit user');
  await app.waitFor(async () => (await app.omniJson('users', 'list')).users.find((u) => u.email === 'ana@acme.com').budget === null,
    { message: 'the budget of ana@acme.com to be no limit' });

  // In Portuguese: the dialog and its role line.
  try {
    await portuguese(app);
    await app.click('button', 'Usuários', { within: ['navigation', 'Principal'] });
    await app.click('button', 'Criar');
    await app.find('dialog', 'Criar usuário');
    const pt = await app.textOf('dialog', 'Criar usuário');
    assert.match(pt, /Usa os agentes a que tem acesso/);
    assert.ok(await app.exists('checkbox', 'Sem limite', { within: ['dialog', 'Criar usuário'] }));
    assert.ok(await app.exists('button', 'Criar outro', { within: ['dialog', 'Criar usuário'] }));
    await app.click('button', 'Cancelar', { within: ['dialog', 'Criar usuário'] });
  } finally {
    await app.session?.execute('localStorage.removeItem("language")').catch(() => {});
  }
});

e2e('the seat pool warns before it runs out, and a refusal offers Change seats then clears', {
  setup: async (app) => {
    await initOrg(app, { seats: 5 });
    for (const e of ['ana@acme.com', 'bia@acme.com', 'carlos@acme.com']) await app.omni('users', 'add', e);
    await app.omni('licenses', 'assign', 'ana@acme.com');
    await app.omni('licenses', 'assign', 'bia@acme.com');
  },
}, async (app) => {
  const summary = ['region', 'Summary'];
  await app.waitText('region', 'Summary', '3 seats left');
  await docShot(app, 'seats-near');
  // The same warning in the dark theme.
  await navigate(app, 'Settings');
  await app.choose('Theme', 'Dark');
  await navigate(app, 'Users');
  await app.waitText('region', 'Summary', '3 seats left');
  await docShot(app, 'seats-near-dark');
  try {
    await app.omni('licenses', 'assign', 'carlos@acme.com');
    await app.omni('licenses', 'assign', ORG.owner);
    await app.omni('users', 'add', 'dora@acme.com');
    await app.omni('licenses', 'assign', 'dora@acme.com');
    await app.waitText('region', 'Summary', 'No seats left');
    // Refused for want of a seat: the banner offers Change seats right there.
    await app.omni('users', 'add', 'eva@acme.com');
    await userRow(app, 'eva@acme.com');
    await app.click('switch', 'License for eva@acme.com', { within: inRow('eva@acme.com') });
    await expectAlert(app, 'No license seat available');
    await docShot(app, 'seats-out');
    await app.click('button', 'Change seats', { within: ['alert', null] });
    const seats = ['dialog', 'Change seats'];
    await app.fill('spinbutton', 'Seats', '10', { within: seats });
    await app.click('button', 'Save', { within: seats });
    await app.gone('dialog', 'Change seats');
    // The cause is fixed: the banner goes by itself.
    await app.waitFor(async () => !(await app.alerts()).some((t) => t.includes('No license seat available')),
      { message: 'the refusal banner to clear once seats were added' });
    await app.waitFor(async () => !(await app.textOf('region', 'Summary')).includes('seats left'), { message: 'the warning to go' });
    assert.ok(await app.exists('meter', 'Seats', { within: summary }));
    // In Portuguese, the warning too.
    await app.omni('licenses', 'seats', '6');
    await portuguese(app);
    await app.click('button', 'Usuários', { within: ['navigation', 'Principal'] });
    await app.waitText('region', 'Resumo', 'Resta 1 licença');
  } finally {
    await app.session?.execute('localStorage.removeItem("language"); localStorage.removeItem("theme")').catch(() => {});
  }
});

e2e('import offers an example file that imports cleanly; export says how many users it holds', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', 'zoe@acme.com', '--role', 'collaborator');
  },
}, async (app) => {
  await app.click('button', 'Import');
  const dialog = ['dialog', 'Import users'];
  await app.find('dialog', 'Import users');
  const example = join(app.dir, 'example.csv');
  await app.click('button', 'Download an example file…', { within: dialog });
  await app.answerSaveDialog('Save example file', example);
  await app.waitFor(() => existsSync(example), { message: `${example} to be written` });
  const lines = readFileSync(example, 'utf8').trim().split(/\r?\n/);
  assert.equal(lines[0], 'ana@acme.com,55,11987654321', 'no header row: the first line is a user');
  await app.waitFor(async () => (await toasts(app)).includes('Saved to'), { message: 'the toast naming the file' });
  await docShot(app, 'import');

  // The example is a valid file: every line would create a user.
  await app.click('button', 'Choose file…', { within: dialog });
  await app.answerOpenDialog('Import users', example);
  await app.waitText('dialog', 'Import users', `${lines.length} new`, { timeout: 20_000 });
  assert.match(await app.textOf('dialog', 'Import users'), / 0 invalid/);
  await app.click('button', 'Cancel', { within: dialog });
  await app.gone('dialog', 'Import users');

  // Export: the whole list, then the current view, each with its count.
  await app.choose('Role filter', 'Collaborator');
  await app.waitFor(async () => (await app.query('row', /@/, { within: ['grid', 'Users'] })).length === 1, { message: 'one collaborator shown' });
  await app.click('button', 'Export');
  const exp = ['dialog', 'Export users'];
  await app.waitText('dialog', 'Export users', 'The whole list holds 2 users.');
  await app.click('radio', 'Current view', { within: exp });
  await app.waitText('dialog', 'Export users', 'The current view holds 1 user.');
  await docShot(app, 'export');
  await app.click('button', 'Close', { within: exp });

  try {
    await portuguese(app);
    await app.click('button', 'Usuários', { within: ['navigation', 'Principal'] });
    await app.click('button', 'Exportar');
    await app.waitText('dialog', 'Exportar usuários', 'A lista completa tem 2 usuários.');
    await app.click('button', 'Fechar', { within: ['dialog', 'Exportar usuários'] });
    await app.click('button', 'Importar');
    assert.ok(await app.exists('button', 'Baixar um arquivo de exemplo…', { within: ['dialog', 'Importar usuários'] }));
  } finally {
    await app.session?.execute('localStorage.removeItem("language")').catch(() => {});
  }
});

e2e('drop a CSV file on the window to import it', { setup: initOrg }, async (app) => {
  const file = join(app.dir, 'dropped.csv');
  writeFileSync(file, 'ana@acme.com,55,11987654321\nbia@acme.com\n');
  await userRow(app, ORG.owner);
  // A real X drag and drop: from a small GTK window that drags the file, as a file manager does.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const source = spawn(python, [join(here, '../lib/drag-file.py'), file], { stdio: 'ignore' });
  try {
    await app.waitFor(async () => (await app.windows('omni-e2e-drag-source')).length > 0, { message: 'the drag source window' });
    const xdo = (...args) => run('xdotool', args, { timeout: 5_000 });
    await xdo('mousemove', '40', '30');
    await xdo('mousedown', '1');
    for (const [x, y] of [[50, 40], [70, 60], [120, 120], [300, 300], [600, 400], [640, 420]]) {
      await xdo('mousemove', String(x), String(y));
      await new Promise((r) => setTimeout(r, 150));
    }
    await xdo('mouseup', '1');
    await app.find('dialog', 'Import users');
    await app.waitText('dialog', 'Import users', '2 new', { timeout: 20_000 });
    await docShot(app, 'import-dropped');
  } finally {
    source.kill();
  }
  await app.click('button', 'Import', { within: ['dialog', 'Import users'] });
  await app.waitText('dialog', 'Import users', '2 users created', { timeout: 30_000 });
  const { users } = await app.omniJson('users', 'list');
  assert.ok(users.some((u) => u.email === 'bia@acme.com'), 'bia@acme.com was not imported');
});
