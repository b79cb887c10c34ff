// Shared steps over the UI contract: the Users screen's counters, seats, rows and alerts.
// Everything in the users grid is found through a path ([grid "Users", row <email>, ...])
// resolved in one call, because the virtualized grid re-renders its rows.
import assert from 'node:assert/strict';
import { waitFor } from './app.js';

export const ORG = { name: 'Acme', owner: 'owner@acme.com', seats: 5 };

/** Creates the organization with the CLI (for tests that do not test the first run). */
export async function initOrg(app, { seats = ORG.seats } = {}) {
  await app.omni('init', '--org', ORG.name, '--owner', ORG.owner, '--seats', String(seats));
}

const COUNTERS = { total: 'Total users', licensed: 'Licensed', unlicensed: 'Unlicensed', administrators: 'Administrators' };

/** Reads the four counters once: the number in each group of the "Summary" region. */
export async function readCounters(app) {
  const groups = await app.query('group', null, { within: ['region', 'Summary'] });
  const out = {};
  for (const [key, label] of Object.entries(COUNTERS)) {
    const g = groups.find((r) => r.name === label);
    const m = g?.text.replace(label, ' ').match(/\d[\d,.]*/);
    out[key] = m ? Number(m[0].replace(/[,.]/g, '')) : null;
  }
  return out;
}

/** Waits until the counters equal `expected` (any of total, licensed, unlicensed, administrators). */
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

/** The meter "Seats" (aria-valuenow / aria-valuemax) and the words "N of M seats assigned". */
export async function expectSeats(app, assigned, purchased) {
  let last;
  try {
    await waitFor(async () => {
      const r = await app.locate('meter', 'Seats', { attrs: ['aria-valuenow', 'aria-valuemax'] });
      last = r.attrs;
      return Number(last['aria-valuenow']) === assigned && Number(last['aria-valuemax']) === purchased;
    }, { message: `meter "Seats" at ${assigned} of ${purchased}` });
  } catch (e) {
    e.message += `; it shows ${JSON.stringify(last)}`;
    throw e;
  }
  const words = `${assigned} of ${purchased} seats assigned`;
  await waitFor(async () => (await app.textOf('region', 'Summary')).includes(words), { message: `the text "${words}"` });
}

/** Goes to a screen through the main navigation. */
export async function navigate(app, screen) {
  await app.click('button', screen, { within: ['navigation', 'Main'] });
}

/** The path to a user's row, for `within`. */
export const inRow = (email) => [['grid', 'Users'], ['row', email]];

/** Waits for the user's row in the "Users" table. */
export async function userRow(app, email, { timeout } = {}) {
  return app.find('row', email, { within: ['grid', 'Users'], timeout });
}

/** The emails of the rows shown in the "Users" table. */
export async function userRows(app) {
  return (await app.query('row', /@/, { within: ['grid', 'Users'] })).map((r) => r.name);
}

/** The license switch of a row, as a boolean (its aria-checked). */
export async function licenseOn(app, email) {
  return (await app.attrOf('switch', `License for ${email}`, 'aria-checked', { within: inRow(email) })) === 'true';
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

/** The role shown in the user's row (a cell reading Administrator, Collaborator or User). */
export async function roleShown(app, email) {
  const cells = await waitFor(async () => {
    const found = await app.query('gridcell', /^(Administrator|Collaborator|User)$/, { within: inRow(email) });
    return found.length > 0 && found;
  }, { message: `a cell with the role in the row of ${email}` });
  assert.equal(cells.length, 1, `more than one role cell in the row of ${email}`);
  return cells[0].text;
}
