import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2e } from '../lib/app.js';
import { ORG, initOrg, expectCounters, userRow } from '../lib/screens.js';

// Everything the SPEC calls messy at once: a BOM, `;` separators, CRLF line ends, a header
// added anyway, upper-case emails, a duplicate (of line 2, in other case), an invalid email and
// an invalid phone.
const MESSY = '\uFEFF' + [
  'email;country code;phone', //               1: header, skipped with a warning
  'ANA@ACME.COM;55;(11) 98765-4321', //        2
  'bia@acme.com;1;(212) 555-2368', //          3
  'Carlos.Souza@Acme.com', //                  4
  'not-an-email', //                           5: invalid email
  'ana@acme.com;55;11987654321', //            6: duplicate of line 2
  'Dora@acme.com;55;123', //                   7: invalid phone
].join('\r\n') + '\r\n';

e2e('import a messy CSV through the native open dialog, preview, then result', { setup: initOrg }, async (app) => {
  const file = join(app.dir, 'people.csv');
  writeFileSync(file, MESSY);
  // What the store says about this file, independently of the UI.
  const dry = await app.omniJson('import', file, '--dry-run');
  assert.deepEqual([dry.created, dry.invalid, dry.duplicates_in_file, dry.warnings.length], [3, 2, 1, 1]);

  await expectCounters(app, { total: 1, licensed: 0 });
  await app.click('button', 'Import');
  const dialog = ['dialog', 'Import users'];
  await app.find('dialog', 'Import users');
  await app.shot('import-dialog');
  await app.click('button', 'Choose file…', { within: dialog });
  await app.answerOpenDialog('Import users', file);

  // Preview: counts, the header warning, the rejected lines with line number and reason.
  const preview = await app.waitText('dialog', 'Import users', `${dry.created} new`, { timeout: 20_000 });
  assert.ok(preview.includes(`${dry.invalid} invalid`), `no "${dry.invalid} invalid" in: ${preview}`);
  const duplicates = `${dry.duplicates_in_file} ${dry.duplicates_in_file === 1 ? 'duplicate' : 'duplicates'}`;
  assert.ok(preview.includes(duplicates), `no "${duplicates}" in: ${preview}`);
  assert.match(preview, /header/i, 'no warning about the header line');
  const rejected = (await app.query('row', null, { within: [dialog, ['table', 'Rejected lines']] }))
    .map((r) => r.text).filter((t) => /^\d/.test(t));
  assert.equal(rejected.length, dry.errors.length, `rejected lines shown: ${JSON.stringify(rejected)}`);
  for (const e of dry.errors) {
    assert.ok(rejected.some((t) => t.startsWith(String(e.line)) && t.includes(e.reason)),
      `line ${e.line} (${e.reason}) is not among ${JSON.stringify(rejected)}`);
  }
  await app.choose('Role for new users', 'Collaborator', { within: dialog });
  await app.click('checkbox', 'Give new users a license', { within: dialog });
  assert.equal(await app.checkedOf('checkbox', 'Give new users a license', { within: dialog }), true);
  await app.shot('preview');

  // Confirm: progress, then the result.
  await app.click('button', 'Import', { within: dialog });
  const result = await app.waitText('dialog', 'Import users', `${dry.created} users created`, { timeout: 30_000 });
  assert.ok(await app.exists('progressbar', 'Import progress', { within: dialog }), `no progressbar "Import progress" after the import; the dialog reads: ${result}`);
  await app.shot('result');

  // Save the rejected lines through the native save dialog; they re-import once fixed.
  const rejectedFile = join(app.dir, 'rejected.csv');
  await app.click('button', 'Save rejected lines…', { within: dialog });
  await app.answerSaveDialog('Save rejected lines', rejectedFile);
  await app.waitFor(() => existsSync(rejectedFile) && readFileSync(rejectedFile, 'utf8').includes('Dora@acme.com'),
    { message: `${rejectedFile} to be written` });
  const saved = readFileSync(rejectedFile, 'utf8');
  for (const value of ['not-an-email', 'ana@acme.com', 'Dora@acme.com']) assert.ok(saved.includes(value), `${value} missing from the rejected lines: ${saved}`);

  await app.click('button', 'Done', { within: dialog });
  await app.gone('dialog', 'Import users');

  // The screen and the store agree.
  const summary = await app.omniJson('summary');
  assert.deepEqual([summary.total_users, summary.licensed, summary.unlicensed, summary.administrators], [4, 3, 1, 1]);
  await expectCounters(app, { total: summary.total_users, licensed: summary.licensed, unlicensed: summary.unlicensed, administrators: summary.administrators });
  for (const email of ['ana@acme.com', 'bia@acme.com', 'carlos.souza@acme.com']) await userRow(app, email);
  await app.shot('users');
  const { users } = await app.omniJson('users', 'list');
  assert.deepEqual(
    users.filter((u) => u.email !== ORG.owner).map((u) => [u.email, u.role, u.licensed]),
    [['ana@acme.com', 'collaborator', true], ['bia@acme.com', 'collaborator', true], ['carlos.souza@acme.com', 'collaborator', true]],
  );
});
