import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { e2e } from '../lib/app.js';
import { navigate, userRow } from '../lib/screens.js';
import { signIn, startProvider, startServer } from '../lib/connected.js';

// SCIM provisioning (issue 16): an Administrator signed in to a real omni-server creates a
// provisioning token in Settings; the identity provider's requests (played here with HTTP)
// provision a person, who reaches the app's copy through the feed; the token, revoked in
// Settings, is refused.
let provider;
let server;
before(async () => {
  provider = await startProvider();
  server = await startServer(provider, 'scim');
});
after(() => {
  server?.stop();
  provider?.stop();
});

e2e('a provisioning token made in Settings provisions a person, and is refused once revoked', async (app) => {
  await signIn(app, server);
  await navigate(app, 'Settings');
  await app.find('heading', 'Provisioning (SCIM)');
  await app.fill('textbox', 'Token name', 'Entra ID');
  await app.click('button', 'Create token');
  const shown = await app.locate('textbox', 'Copy this token now: it is shown only once.', { timeout: 20_000 });
  assert.match(shown.value, /^omni_scim_/);
  await app.find('button', 'Copy token');
  await app.find('button', 'Revoke Entra ID');
  await app.shot('scim-token');

  // Entra ID's first request: the lookup, then the creation.
  const base = `${server.address}/scim/v2/1`;
  const headers = { authorization: `Bearer ${shown.value}`, 'content-type': 'application/scim+json' };
  const lookup = await fetch(`${base}/Users?filter=${encodeURIComponent('userName eq "dana@acme.test"')}`, { headers });
  assert.equal(lookup.status, 200);
  assert.equal((await lookup.json()).totalResults, 0);
  const created = await fetch(`${base}/Users`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'Dana@Acme.test',
      externalId: 'dana-1',
      active: true,
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());

  // The person reaches the app through the server's feed.
  await navigate(app, 'Users');
  await userRow(app, 'dana@acme.test', { timeout: 30_000 });

  // Revoked in Settings: refused at once.
  await navigate(app, 'Settings');
  await app.click('button', 'Revoke Entra ID');
  await app.gone('button', 'Revoke Entra ID');
  const refused = await fetch(`${base}/Users`, { headers });
  assert.equal(refused.status, 401);
});
