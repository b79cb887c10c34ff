import assert from 'node:assert/strict';
import { e2e } from '../lib/app.js';
import { ORG, initOrg, navigate } from '../lib/screens.js';

// Tried as a new user would in Portuguese: the whole screen follows the language, refusals from
// the Rust side included, and money reads the Brazilian way.
e2e('in Portuguese, a refusal and money read in Portuguese', {
  setup: (app) => initOrg(app, { seats: 0 }),
}, async (app) => {
  // The web view's storage outlives this test's app: leave the next test in English.
  try {
    await inPortuguese(app);
  } finally {
    await app.session?.execute('localStorage.removeItem("language")').catch(() => {});
  }
});

async function inPortuguese(app) {
  await navigate(app, 'Settings');
  // Picking the language draws the screen again in it: the same field is now named "Idioma".
  const box = await app.find('combobox', 'Language');
  const option = await app.session.execute(
    'return Array.from(arguments[0].options).find((o) => o.label === "Português (Brasil)") || null', [box]);
  await app.session.click(option);
  await app.waitFor(async () => (await app.valueOf('combobox', 'Idioma')) === 'Português (Brasil)',
    { message: 'the language field, now "Idioma", to show Português (Brasil)' });
  await app.click('button', 'Usuários', { within: ['navigation', 'Principal'] });
  const row = [['grid', 'Usuários'], ['row', ORG.owner]];
  await app.find('row', ORG.owner, { within: ['grid', 'Usuários'] });
  const budget = (await app.query('gridcell', /US\$/, { within: row })).map((c) => c.text.replace(/\s+/g, ' '));
  assert.deepEqual(budget, ['US$ 0,00 / sem limite']);

  await app.click('switch', `Licença de ${ORG.owner}`, { within: row });
  const alert = await app.waitFor(async () => (await app.alerts()).find((t) => t.startsWith('Nenhuma licença disponível')),
    { message: 'the refusal in Portuguese' });
  assert.ok(!/seat|license/i.test(alert), `English inside the Portuguese refusal: ${alert}`);
  await app.shot('portuguese-refusal');
  assert.equal(await app.attrOf('switch', `Licença de ${ORG.owner}`, 'aria-checked', { within: row }), 'false');
}
