import assert from 'node:assert/strict';
import { e2e, Keys } from '../lib/app.js';
import { initOrg, navigate } from '../lib/screens.js';

// A tour of the main navigation (a screenshot of each screen), plus what each screen shows
// about the data: the audit entry of a change, the data location given with --db.
e2e('every screen of the main navigation opens', {
  setup: async (app) => {
    await initOrg(app);
    await app.omni('users', 'add', 'ana@acme.com');
  },
}, async (app) => {
  await app.find('row', 'ana@acme.com', { within: ['grid', 'Users'] });
  await app.shot('users');

  // Escape closes a dialog.
  await app.click('button', 'Create');
  await app.find('dialog', 'Create user');
  await app.press(Keys.Escape);
  await app.gone('dialog', 'Create user');

  for (const screen of ['Recently deleted', 'Directory', 'Audit log', 'Settings']) {
    await navigate(app, screen);
    await app.find('heading', screen);
    await app.shot(screen);
    assert.deepEqual(await app.alerts(), [], `${screen} shows an alert`);
    if (screen === 'Audit log') {
      await app.waitFor(async () => (await app.query('row', null, { within: ['table', 'Audit log'] }))
        .some((r) => r.text.includes('ana@acme.com')), { message: 'an audit row about ana@acme.com' });
    }
    if (screen === 'Settings') {
      await app.waitFor(async () => (await app.session.execute('return document.body.innerText')).includes(app.db),
        { message: `the data location ${app.db}` });
    }
  }
  await navigate(app, 'Users');
  await app.find('grid', 'Users');
});
