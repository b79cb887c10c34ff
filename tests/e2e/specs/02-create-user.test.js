import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';
import { ORG, initOrg, expectCounters, userRow, roleShown } from '../lib/screens.js';

e2e('create a user and see the counters change', { setup: initOrg }, async (app) => {
  await expectCounters(app, { total: 1, licensed: 0, unlicensed: 1, administrators: 1 });
  await app.shot('users');

  await app.click('button', 'Create');
  const dialog = ['dialog', 'Create user'];
  await app.find('combobox', 'Role', { within: dialog });
  await app.find('button', 'Cancel', { within: dialog });

  // A refused save keeps the dialog open, says why, and keeps what was typed.
  await app.fill('textbox', 'Email', 'ana-at-acme.com', { within: dialog });
  await app.click('button', 'Save', { within: dialog });
  await app.waitFor(async () => (await app.alerts()).some((t) => /email/i.test(t)), { message: 'an alert about the email' });
  assert.equal(await app.valueOf('textbox', 'Email', { within: dialog }), 'ana-at-acme.com');
  await app.shot('create-refused');

  await app.fill('textbox', 'Email', 'ana@acme.com', { within: dialog });
  await app.fill('textbox', 'Country code', '55', { within: dialog });
  await app.fill('textbox', 'Phone', '(11) 98765-4321', { within: dialog });
  await app.choose('Role', 'Collaborator', { within: dialog });
  await app.shot('create-filled');
  await app.click('button', 'Save', { within: dialog });
  await app.gone('dialog', 'Create user');

  await userRow(app, 'ana@acme.com');
  await expectCounters(app, { total: 2, licensed: 0, unlicensed: 2, administrators: 1 });
  assert.equal(await roleShown(app, 'ana@acme.com'), 'Collaborator');
  await app.shot('created');

  const { users } = await app.omniJson('users', 'list');
  const ana = users.find((u) => u.email === 'ana@acme.com');
  assert.ok(ana, `ana@acme.com is not in the store: ${JSON.stringify(users.map((u) => u.email))}`);
  assert.equal(ana.role, 'collaborator');
  assert.equal(ana.licensed, false);
  assert.equal(ana.phone, '+5511987654321');
  assert.equal(users.length, 2);
  assert.ok(users.some((u) => u.email === ORG.owner));
});
