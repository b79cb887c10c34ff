import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2e } from '../lib/app.js';
import { ORG, initOrg, userRows } from '../lib/screens.js';

const HEADER = 'email,country_code,phone,role,licensed,budget_usd,usage_usd,created_at,updated_at';

/** Exports through the dialog and the native save dialog; returns the file's bytes. */
async function exportVia(app, scope, file, rows) {
  await app.click('button', 'Export');
  const dialog = ['dialog', 'Export users'];
  await app.find('dialog', 'Export users');
  await app.click('radio', scope, { within: dialog });
  assert.equal(await app.checkedOf('radio', scope, { within: dialog }), true);
  await app.shot(`export-${scope}`);
  await app.click('button', 'Export…', { within: dialog });
  await app.answerSaveDialog('Export users', file);
  await app.waitText('dialog', 'Export users', `Exported ${rows} ${rows === 1 ? 'user' : 'users'}`, { timeout: 20_000 });
  await app.find('button', 'Show in folder', { within: dialog });
  await app.shot(`exported-${scope}`);
  await app.click('button', 'Close', { within: dialog });
  await app.gone('dialog', 'Export users');
  assert.ok(existsSync(file), `${file} was not written`);
  return readFileSync(file);
}

e2e('export through the native save dialog and check the file', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', 'ana@acme.com', '--country-code', '55', '--phone', '(11) 98765-4321', '--role', 'collaborator');
    await app.omni('users', 'add', 'bia@acme.com');
    await app.omni('licenses', 'assign', 'ana@acme.com');
  },
}, async (app) => {
  await app.waitFor(async () => (await userRows(app)).length === 3, { message: 'three rows' });

  // The whole list: UTF-8 with BOM, a header, CRLF, every user; the same bytes as the CLI's.
  const whole = await exportVia(app, 'Whole list', join(app.dir, 'all.csv'), 3);
  assert.deepEqual([...whole.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'no UTF-8 BOM');
  const text = whole.subarray(3).toString('utf8');
  const lines = text.split('\r\n');
  assert.equal(lines[0], HEADER);
  assert.equal(lines.at(-1), '', 'the file does not end with CRLF');
  assert.deepEqual(lines.slice(1, -1).map((l) => l.split(',')[0]), ['ana@acme.com', 'bia@acme.com', ORG.owner]);
  assert.ok(lines[1].startsWith('ana@acme.com,55,11987654321,collaborator,yes,'), lines[1]);
  assert.ok(!/[^\r]\n/.test(text), 'a line ends without CR');
  assert.equal(whole.toString('utf8'), await app.omni('export', '-'), 'the app and the CLI export different bytes');

  // The current view: what the search shows.
  await app.fill('searchbox', 'Search users', 'bia');
  await app.waitFor(async () => (await userRows(app)).join() === 'bia@acme.com', { message: 'the search to show only bia@acme.com' });
  const view = (await exportVia(app, 'Current view', join(app.dir, 'view.csv'), 1)).toString('utf8');
  assert.deepEqual(view.replace(/^\uFEFF/, '').split('\r\n').slice(1, -1).map((l) => l.split(',')[0]), ['bia@acme.com']);
});
