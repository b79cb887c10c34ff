import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';
import { ORG, expectCounters, expectSeats } from '../lib/screens.js';

e2e('first run creates the organization and shows the Users screen', async (app) => {
  await app.find('heading', 'Set up your organization', { timeout: 20_000 });
  await app.shot('first-run');

  await app.fill('textbox', 'Organization name', ORG.name);
  await app.fill('textbox', 'Owner email', ORG.owner);
  await app.fill('spinbutton', 'Seats', ORG.seats);
  await app.shot('first-run-filled');
  await app.click('button', 'Create organization');

  await app.find('navigation', 'Main', { timeout: 15_000 });
  for (const screen of ['Users', 'Recently deleted', 'Directory', 'Audit log', 'Settings']) {
    await app.find('button', screen, { within: await app.find('navigation', 'Main') });
  }
  await app.find('grid', 'Users');
  await expectCounters(app, { total: 1, licensed: 0, unlicensed: 1, administrators: 1 });
  await expectSeats(app, 0, ORG.seats);
  await app.shot('users');

  // The same organization as the CLI sees it on the file the app wrote.
  const summary = await app.omniJson('summary');
  assert.deepEqual(
    [summary.total_users, summary.licensed, summary.unlicensed, summary.administrators, summary.seats.purchased],
    [1, 0, 1, 1, ORG.seats],
  );
  const users = await app.omniJson('users', 'list');
  assert.deepEqual(users.users.map((u) => [u.email, u.role]), [[ORG.owner, 'administrator']]);
  await app.find('row', ORG.owner, { within: await app.find('grid', 'Users') });
});
