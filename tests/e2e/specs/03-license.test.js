import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';
import { ORG, initOrg, expectCounters, expectSeats, expectLicense, expectAlert, licenseOn, readCounters } from '../lib/screens.js';

const ANA = 'ana@acme.com';

e2e('assign and unassign a license, and the refusal when no seat is left', {
  setup: async (app) => {
    await initOrg(app, { seats: 1 });
    await app.omni('users', 'add', ANA);
  },
}, async (app) => {
  await expectCounters(app, { total: 2, licensed: 0, unlicensed: 2, administrators: 1 });
  await expectSeats(app, 0, 1);
  await app.shot('before');

  // Assign the only seat to the owner.
  await app.click('switch', `License for ${ORG.owner}`);
  await expectLicense(app, ORG.owner, true);
  await expectCounters(app, { total: 2, licensed: 1, unlicensed: 1, administrators: 1 });
  await expectSeats(app, 1, 1);
  await app.shot('assigned');

  // No seat left: a second assignment is refused with the reason, and nothing changes.
  await app.click('switch', `License for ${ANA}`);
  await expectAlert(app, 'No license seat available');
  await app.shot('refused');
  assert.equal(await licenseOn(app, ANA), false);
  assert.deepEqual(await readCounters(app), { total: 2, licensed: 1, unlicensed: 1, administrators: 1 });
  await expectSeats(app, 1, 1);
  let summary = await app.omniJson('summary');
  assert.deepEqual([summary.licensed, summary.seats.assigned], [1, 1]);

  // Unassign: the seat returns to the pool.
  await app.click('switch', `License for ${ORG.owner}`);
  await expectLicense(app, ORG.owner, false);
  await expectCounters(app, { total: 2, licensed: 0, unlicensed: 2, administrators: 1 });
  await expectSeats(app, 0, 1);
  await app.shot('unassigned');
  summary = await app.omniJson('summary');
  assert.deepEqual([summary.licensed, summary.unlicensed, summary.seats.available], [0, 2, 1]);
});
