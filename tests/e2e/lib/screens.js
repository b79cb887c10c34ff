// Shared steps over the UI contract: the Users screen's counters, seats and rows.
import assert from 'node:assert/strict';
import { waitFor } from './app.js';

export const ORG = { name: 'Acme', owner: 'owner@acme.com', seats: 5 };

/** Creates the organization with the CLI (for tests that do not test the first run). */
export async function initOrg(app, { seats = ORG.seats } = {}) {
  await app.omni('init', '--org', ORG.name, '--owner', ORG.owner, '--seats', String(seats));
}

const COUNTERS = { total: 'Total users', licensed: 'Licensed', unlicensed: 'Unlicensed', administrators: 'Administrators' };

/** The number shown in a counter group of the "Summary" region (its text minus its label). */
async function counter(app, summary, label) {
  const text = await app.text(await app.find('group', label, { within: summary, timeout: 1_000 }));
  const m = text.replace(label, ' ').match(/\d[\d,.]*/);
  return m ? Number(m[0].replace(/[,.]/g, '')) : NaN;
}

/** Reads the four counters once. */
export async function readCounters(app) {
  const summary = await app.find('region', 'Summary');
  const out = {};
  for (const [key, label] of Object.entries(COUNTERS)) out[key] = await counter(app, summary, label);
  return out;
}

/** Waits until the four counters equal `expected` ({total, licensed, unlicensed, administrators}). */
export async function expectCounters(app, expected, { timeout } = {}) {
  let last;
  try {
    await waitFor(async () => {
      last = await readCounters(app);
      return Object.entries(expected).every(([k, v]) => last[k] === v);
    }, { timeout, message: `counters ${JSON.stringify(expected)}` });
  } catch (e) {
    e.message += `; the screen shows ${JSON.stringify(last)}`;
    throw e;
  }
}

/** The seats meter and its text: {assigned, purchased, text}. */
export async function readSeats(app) {
  const meter = await app.find('meter', 'Seats');
  const now = Number(await app.attr(meter, 'aria-valuenow') ?? await app.prop(meter, 'value'));
  const max = Number(await app.attr(meter, 'aria-valuemax') ?? await app.prop(meter, 'max'));
  return { assigned: now, purchased: max };
}

export async function expectSeats(app, assigned, purchased) {
  let last;
  await waitFor(async () => {
    last = await readSeats(app);
    return last.assigned === assigned && last.purchased === purchased;
  }, { message: `meter "Seats" at ${assigned} of ${purchased} (it shows ${JSON.stringify(last)})` });
  // And the same in words.
  await waitFor(async () => {
    const body = await app.session.execute('return document.body.innerText');
    return body.includes(`${assigned} of ${purchased} seats assigned`);
  }, { message: `the text "${assigned} of ${purchased} seats assigned"` });
}

/** Goes to a screen through the main navigation. */
export async function navigate(app, screen) {
  const nav = await app.find('navigation', 'Main');
  await app.click('button', screen, { within: nav });
}

/** The data row of this user in the "Users" table (waits for it). */
export async function userRow(app, email, { timeout } = {}) {
  const table = await app.find('table', 'Users');
  return app.find('row', email, { within: table, timeout });
}

export async function userRows(app) {
  const table = await app.find('table', 'Users');
  const rows = await app.findAll('row', /@/, { within: table });
  const out = [];
  for (const r of rows) out.push(await app.attr(r, 'aria-label'));
  return out;
}

/** The license switch of a row: its aria-checked as a boolean. */
export async function licenseOn(app, email) {
  const row = await userRow(app, email);
  const sw = await app.find('switch', `License for ${email}`, { within: row });
  const checked = await app.attr(sw, 'aria-checked');
  return checked === 'true';
}

export async function expectLicense(app, email, on) {
  await waitFor(async () => (await licenseOn(app, email)) === on,
    { message: `switch "License for ${email}" to be ${on ? 'on' : 'off'}` });
}

/** Waits for a visible alert whose text includes `fragment`; returns its text. */
export async function expectAlert(app, fragment) {
  let seen = [];
  try {
    return await waitFor(async () => {
      seen = await app.alerts();
      return seen.find((t) => t.includes(fragment));
    }, { message: `an alert saying "${fragment}"` });
  } catch (e) {
    e.message += `; alerts on screen: ${JSON.stringify(seen)}`;
    throw e;
  }
}

/** The role shown in the user's row (Administrator / Collaborator / User). */
export async function roleShown(app, email) {
  const row = await userRow(app, email);
  const cells = await app.findAll('cell', /^(Administrator|Collaborator|User)$/, { within: row });
  assert.ok(cells.length >= 1, `no cell with a role in the row of ${email}`);
  return app.text(cells[0]);
}
