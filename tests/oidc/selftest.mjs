// Checks the test provider (provider.mjs) and the test browser (login.mjs) with real HTTP, the
// way omni-server's tests and the desktop app's end-to-end tests use them.
// Run: node --test tests/oidc/selftest.mjs   (after `npm ci` in tests/oidc)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const DIR = path.dirname(new URL(import.meta.url).pathname);
const SCOPE = 'openid profile email offline_access access_as_user';
let provider;
let authority;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-selftest-'));
  provider = spawn('node', ['provider.mjs'], { cwd: DIR, stdio: ['pipe', 'pipe', 'ignore'] });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    provider.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    provider.on('exit', (code) => reject(new Error(`provider.mjs exited (${code})`)));
  });
  authority = `http://127.0.0.1:${JSON.parse(line).port}`;
});

after(() => {
  provider.stdin.end();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const issuer = (tenant) => `${authority}/${tenant}/v2.0`;

async function discovery(tenant) {
  const res = await fetch(`${issuer(tenant)}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  return res.json();
}

async function control(tenant, what, query = '', method = 'POST') {
  const res = await fetch(`${authority}/_control/${tenant}/${what}${query}`, { method });
  assert.equal(res.status, 200, `${what}: ${res.status}`);
  return res.json();
}

async function tokenRequest(tenant, form) {
  const res = await fetch(`${issuer(tenant)}/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: await res.json() };
}

/// The payload of a JWT whose RS256 signature verifies against the tenant's published keys.
async function verifiedPayload(tenant, jwt) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  assert.equal(header.alg, 'RS256');
  const { jwks_uri: jwksUri } = await discovery(tenant);
  const { keys } = await (await fetch(jwksUri)).json();
  const jwk = keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `key ${header.kid} is published`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'signature verifies');
  return { header, payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

/// A loopback listener like the app's: records each callback's query, answers 200.
async function listener({ closeAfterFirst = false } = {}) {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push(new URL(req.url, 'http://127.0.0.1').searchParams);
    res.end('You are signed in. You can close this window.');
    if (closeAfterFirst) server.close();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const redirectUri = `http://127.0.0.1:${server.address().port}/callback`;
  return { hits, redirectUri, close: () => server.close() };
}

/// The app's side of a sign-in: an authorization URL with PKCE S256 and a fresh state.
async function authorization(tenant, redirectUri, scope = SCOPE) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const url = new URL((await discovery(tenant)).authorization_endpoint);
  const state = crypto.randomBytes(12).toString('base64url');
  url.search = new URLSearchParams({
    client_id: 'omni-desktop',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.href, verifier, state };
}

/// Runs login.mjs as the app's opener would; returns its exit code, stderr and result file.
async function testBrowser(url, instructions) {
  const name = crypto.randomBytes(6).toString('hex');
  const file = path.join(tmp, `${name}.json`);
  const result = path.join(tmp, `${name}.result.json`);
  fs.writeFileSync(file, JSON.stringify({ result, ...instructions }));
  const child = spawn('node', [path.join(DIR, 'login.mjs'), url], {
    env: { ...process.env, OMNI_TEST_BROWSER_FILE: file },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((r) => child.on('exit', r));
  return { code, stderr, result: JSON.parse(fs.readFileSync(result, 'utf8')) };
}

/// A whole sign-in of `login` on `tenant`: the token response and the callback's parameters.
async function signIn(tenant, login) {
  const l = await listener();
  const auth = await authorization(tenant, l.redirectUri);
  const run = await testBrowser(auth.url, { login, state: 'keep', callbacks: 1, action: 'login' });
  l.close();
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.result.callbacks[0].status, 200);
  assert.equal(l.hits.length, 1);
  const params = l.hits[0];
  assert.equal(params.get('state'), auth.state);
  const tokens = await tokenRequest(tenant, {
    grant_type: 'authorization_code',
    client_id: 'omni-desktop',
    code: params.get('code'),
    redirect_uri: l.redirectUri,
    code_verifier: auth.verifier,
  });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return tokens.body;
}

const refresh = (tenant, refreshToken) => tokenRequest(tenant, {
  grant_type: 'refresh_token',
  client_id: 'omni-desktop',
  refresh_token: refreshToken,
});

function oidFor(login) {
  const h = crypto.createHash('sha256').update(login.trim().toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

test('a PKCE sign-in gives an Entra-like delegated JWT access token and a refresh token', async () => {
  const body = await signIn('tenant-a', 'Owner@Acme.test');
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 3600);
  assert.ok(body.refresh_token, 'a refresh token without prompt=consent in the request');
  const { header, payload } = await verifiedPayload('tenant-a', body.access_token);
  assert.equal(header.typ, 'at+jwt');
  assert.equal(payload.iss, issuer('tenant-a'));
  assert.equal(payload.aud, 'api://omni');
  assert.equal(payload.tid, 'tenant-a');
  assert.equal(payload.oid, oidFor('owner@acme.test'));
  assert.equal(payload.sub, payload.oid);
  assert.equal(payload.preferred_username, 'owner@acme.test');
  assert.equal(payload.name, 'Owner');
  assert.equal(payload.scp, 'access_as_user');
  assert.equal(payload.roles, undefined);
  assert.equal(payload.exp - payload.iat, 3600);
  const id = (await verifiedPayload('tenant-a', body.id_token)).payload;
  assert.equal(id.aud, 'omni-desktop');
  assert.equal(id.sub, payload.oid);
  assert.equal(id.email, 'owner@acme.test');
  assert.equal(id.preferred_username, 'owner@acme.test');
});

test('another login is another account; the same login is the same account', async () => {
  const a = (await verifiedPayload('tenant-b', (await signIn('tenant-b', 'jane.doe@acme.test')).access_token)).payload;
  const b = (await verifiedPayload('tenant-b', (await signIn('tenant-b', 'jane.doe@acme.test')).access_token)).payload;
  const c = (await verifiedPayload('tenant-b', (await signIn('tenant-b', 'john@acme.test')).access_token)).payload;
  assert.equal(a.oid, b.oid);
  assert.notEqual(a.oid, c.oid);
  assert.equal(a.name, 'Jane Doe');
  assert.equal(c.preferred_username, 'john@acme.test');
});

test('the scope may name the API as Entra wants it (api://omni/access_as_user)', async () => {
  const l = await listener();
  const auth = await authorization('tenant-a', l.redirectUri, 'openid offline_access api://omni/access_as_user');
  const run = await testBrowser(auth.url, { login: 'owner@acme.test', callbacks: 1 });
  l.close();
  assert.equal(run.code, 0, run.stderr);
  const tokens = await tokenRequest('tenant-a', {
    grant_type: 'authorization_code',
    client_id: 'omni-desktop',
    code: l.hits[0].get('code'),
    redirect_uri: l.redirectUri,
    code_verifier: auth.verifier,
  });
  assert.equal(tokens.status, 200);
  const { payload } = await verifiedPayload('tenant-a', tokens.body.access_token);
  assert.equal(payload.aud, 'api://omni');
  assert.equal(payload.scp, 'access_as_user');
});

test('the code is refused without its PKCE verifier', async () => {
  const l = await listener();
  const auth = await authorization('tenant-a', l.redirectUri);
  await testBrowser(auth.url, { login: 'owner@acme.test', callbacks: 1 });
  l.close();
  const tokens = await tokenRequest('tenant-a', {
    grant_type: 'authorization_code',
    client_id: 'omni-desktop',
    code: l.hits[0].get('code'),
    redirect_uri: l.redirectUri,
    code_verifier: crypto.randomBytes(32).toString('base64url'),
  });
  assert.equal(tokens.status, 400);
  assert.equal(tokens.body.error, 'invalid_grant');
});

test('a refresh rotates the refresh token, keeps the claims, and is counted once', async () => {
  // tenant-c is this test's alone in this file, so its counters are exact.
  const first = await signIn('tenant-c', 'owner@acme.test');
  const r = await refresh('tenant-c', first.refresh_token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.refresh_token);
  assert.notEqual(r.body.refresh_token, first.refresh_token);
  const { payload } = await verifiedPayload('tenant-c', r.body.access_token);
  assert.equal(payload.aud, 'api://omni');
  assert.equal(payload.tid, 'tenant-c');
  assert.equal(payload.oid, oidFor('owner@acme.test'));
  assert.equal(payload.preferred_username, 'owner@acme.test');
  assert.equal(payload.scp, 'access_as_user');
  assert.deepEqual(await control('tenant-c', 'stats', '', 'GET'), { authorization_code: 1, refresh_token: 1 });
  // A refused request counts too; the new refresh token still works.
  const refused = await refresh('tenant-c', 'not-a-refresh-token');
  assert.equal(refused.body.error, 'invalid_grant');
  assert.equal((await refresh('tenant-c', r.body.refresh_token)).status, 200);
  assert.deepEqual(await control('tenant-c', 'stats', '', 'GET'), { authorization_code: 1, refresh_token: 3 });
});

test('after revoke, that account refreshes no more (others still do) until it signs in again', async () => {
  const owner = await signIn('tenant-d', 'owner@acme.test');
  const other = await signIn('tenant-d', 'other@acme.test');
  const revoked = await control('tenant-d', 'revoke', '?login=owner@acme.test');
  assert.equal(revoked.oid, oidFor('owner@acme.test'));
  const r = await refresh('tenant-d', owner.refresh_token);
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'invalid_grant');
  assert.equal((await refresh('tenant-d', other.refresh_token)).status, 200);
  const again = await signIn('tenant-d', 'owner@acme.test');
  assert.equal((await refresh('tenant-d', again.refresh_token)).status, 200);
});

test('ttl sets expires_in of later tokens (code and refresh grants)', async () => {
  await control('rogue', 'ttl', '?seconds=5');
  try {
    const body = await signIn('rogue', 'owner@acme.test');
    assert.equal(body.expires_in, 5);
    const { payload } = await verifiedPayload('rogue', body.access_token);
    assert.equal(payload.exp - payload.iat, 5);
    assert.equal(payload.tid, 'tenant-a', 'rogue tokens claim tenant-a');
    const r = await refresh('rogue', body.refresh_token);
    assert.equal(r.body.expires_in, 5);
  } finally {
    await control('rogue', 'ttl', '?seconds=3600');
  }
  assert.equal((await signIn('rogue', 'owner@acme.test')).expires_in, 3600);
});

test('refresh tokens survive a key rotation; new tokens are signed with the new key', async () => {
  const body = await signIn('tenant-b', 'rotate@acme.test');
  const before = (await verifiedPayload('tenant-b', body.access_token)).header.kid;
  const { kid } = await control('tenant-b', 'rotate');
  const r = await refresh('tenant-b', body.refresh_token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const after = (await verifiedPayload('tenant-b', r.body.access_token)).header.kid;
  assert.notEqual(after, before);
  assert.equal(after, kid);
});

test('tamper delivers the callback with another state; a second callback to a closed listener is refused', async () => {
  const l = await listener({ closeAfterFirst: true });
  const auth = await authorization('tenant-a', l.redirectUri);
  const run = await testBrowser(auth.url, { login: 'owner@acme.test', state: 'tamper', callbacks: 2 });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(l.hits.length, 1);
  assert.ok(l.hits[0].get('code'));
  assert.notEqual(l.hits[0].get('state'), auth.state);
  assert.equal(run.result.callbacks.length, 2);
  assert.equal(run.result.callbacks[0].status, 200);
  assert.match(run.result.callbacks[0].body, /signed in/);
  assert.match(run.result.callbacks[1].error, /^ECONNREFUSED/);
});

test('deny delivers the callback with error=access_denied and the state', async () => {
  const l = await listener();
  const auth = await authorization('tenant-a', l.redirectUri);
  const run = await testBrowser(auth.url, { action: 'deny', callbacks: 1 });
  l.close();
  assert.equal(run.code, 0, run.stderr);
  assert.equal(l.hits.length, 1);
  assert.equal(l.hits[0].get('error'), 'access_denied');
  assert.equal(l.hits[0].get('state'), auth.state);
  assert.equal(l.hits[0].get('code'), null);
});

test('ignore writes the result and opens nothing', async () => {
  const l = await listener();
  const auth = await authorization('tenant-a', l.redirectUri);
  const run = await testBrowser(auth.url, { login: 'owner@acme.test', action: 'ignore' });
  l.close();
  assert.equal(run.code, 0);
  assert.deepEqual(run.result, { callbacks: [] });
  assert.equal(l.hits.length, 0);
});

test('the test browser fails with a message when the provider refuses the request', async () => {
  const l = await listener();
  const auth = new URL((await authorization('tenant-a', l.redirectUri)).url);
  auth.searchParams.set('client_id', 'no-such-client');
  const run = await testBrowser(auth.href, { login: 'owner@acme.test', callbacks: 1 });
  l.close();
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /400/);
  assert.match(run.result.error, /400/);
  assert.equal(l.hits.length, 0);
});

test('client_credentials tokens are still made as the server tests ask for them', async () => {
  // The form of crates/server/tests/it/common.rs token().
  const person = await tokenRequest('tenant-a', {
    grant_type: 'client_credentials',
    client_id: 'tests',
    client_secret: 'tests-secret',
    resource: 'api://omni',
    scope: 'access_as_user',
    person_oid: 'oid-1',
    person_email: 'someone@acme.test',
    person_scp: 'access_as_user',
  });
  assert.equal(person.status, 200, JSON.stringify(person.body));
  assert.equal(person.body.expires_in, 3600);
  const p = (await verifiedPayload('tenant-a', person.body.access_token)).payload;
  assert.equal(p.aud, 'api://omni');
  assert.equal(p.iss, issuer('tenant-a'));
  assert.equal(p.tid, 'tenant-a');
  assert.equal(p.oid, 'oid-1');
  assert.equal(p.preferred_username, 'someone@acme.test');
  assert.equal(p.scp, 'access_as_user');
  assert.equal(p.roles, undefined);
  const app = await tokenRequest('rogue', {
    grant_type: 'client_credentials',
    client_id: 'tests',
    client_secret: 'tests-secret',
    resource: 'api://other',
    scope: 'access_as_user',
    person_oid: 'app-1',
    person_roles: 'Usage.Report Other',
  });
  assert.equal(app.status, 200, JSON.stringify(app.body));
  const a = (await verifiedPayload('rogue', app.body.access_token)).payload;
  assert.equal(a.aud, 'api://other');
  assert.equal(a.tid, 'tenant-a');
  assert.equal(a.iss, issuer('rogue'));
  assert.deepEqual(a.roles, ['Usage.Report', 'Other']);
  assert.equal(a.scp, undefined);
  assert.equal(a.preferred_username, undefined);
  // The key endpoint still answers with PEMs.
  const key = await control('tenant-a', 'key', '', 'GET');
  assert.match(key.public_pem, /BEGIN PUBLIC KEY/);
});
