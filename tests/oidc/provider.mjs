// A real OpenID Connect provider (oidc-provider) on loopback for omni-server's and the desktop
// app's tests.
//
// Models Microsoft Entra ID's multi-tenant layout: one provider instance per tenant, each
// mounted at /{tenant}/v2.0 (so the issuer includes the tenant, as Entra's does) with its own
// signing keys. Tenants: tenant-a, tenant-b, tenant-c (bound to no organization in the server
// tests), tenant-d (its keys are rotated and revoked by the key-rollover test alone, so no
// other test sees them change), and "rogue", whose tokens claim tid=tenant-a (wrong issuer).
//
// Two clients per tenant:
// - `tests` (client_credentials, secret `tests-secret`): the server tests' tokens. With a
//   resource indicator they are RS256 JWT access tokens whose audience is the resource; `tid`,
//   `oid`, `preferred_username`, `scp` and `roles` come from extra token-request parameters, so
//   a test can ask for any person of any tenant. As in Entra ID, a person's (delegated) token
//   carries `scp` (person_scp) and an application's token carries `roles` (person_roles) and no
//   `scp`; a token may also carry neither.
// - `omni-desktop` (the desktop app): a public native client, authorization code + PKCE S256
//   with any loopback port of http://127.0.0.1/callback, refresh tokens (offline_access,
//   rotated at every use). Its access tokens look like Entra's delegated v2 tokens: aud
//   api://omni, tid, oid, preferred_username, name, scp=access_as_user. Sign-in goes through
//   oidc-provider's dev pages: any email with any password is that account.
//
// Control endpoints (tests only):
//   POST /_control/{tenant}/rotate   new signing key first; the old one stays published
//   POST /_control/{tenant}/retire   only the newest key stays published (older ones revoked)
//   GET  /_control/{tenant}/key      the current signing key as PEM (for hand-made tokens of
//                                    cases a provider never issues: expired, nbf, tampered)
//   POST /_control/{tenant}/ttl?seconds=N       access-token lifetime of future tokens
//   POST /_control/{tenant}/revoke?login=EMAIL  that account's refresh tokens, grants and
//                                               sessions are gone: refreshing is invalid_grant
//   GET  /_control/{tenant}/issued   {"tokens": [...]}: every access, refresh and ID token the
//                                    code and refresh grants gave (tests search for leaks)
//   GET  /_control/{tenant}/stats    {"authorization_code": n, "refresh_token": n}: token
//                                    requests of each grant type answered (ok or not)
// Prints {"port": N} on stdout once listening; exits when stdin closes (its parent ended).
import http from 'node:http';
import crypto from 'node:crypto';
import querystring from 'node:querystring';
import Provider from 'oidc-provider';

const TENANTS = ['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d', 'rogue'];
const RESOURCES = ['api://omni', 'api://other'];
// The API's delegated scope, by its short name or (as Entra asks for it) prefixed by the API.
const USER_SCOPES = ['access_as_user', 'api://omni/access_as_user'];
const DEFAULT_TTL = 3600;
const state = {};

function newKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(8).toString('hex');
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return {
    jwk,
    kid,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }),
  };
}

/// An account's object id: stable for a login (any case), GUID-shaped like Entra's.
function oidFor(login) {
  const h = crypto.createHash('sha256').update(login.trim().toLowerCase()).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/// "jane.doe@acme.test" -> "Jane Doe".
function nameFor(login) {
  return login.split('@')[0].split(/[._-]+/).filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');
}

/// In-memory storage of one tenant. It lives in the tenant's state, not in its Provider, so
/// codes, grants, sessions and refresh tokens survive the rebuild a key rotation makes.
function adapterFor(store) {
  let writes = 0;
  const live = (e) => e && e.expiresAt > Date.now();
  return class TenantAdapter {
    constructor(model) { this.model = model; }

    key(id) { return `${this.model}:${id}`; }

    async upsert(id, payload, expiresIn) {
      writes += 1;
      if (writes % 200 === 0) {
        for (const [k, e] of store) if (!live(e)) store.delete(k);
      }
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
      store.set(this.key(id), { payload, expiresAt });
    }

    async find(id) {
      const e = store.get(this.key(id));
      return live(e) ? e.payload : undefined;
    }

    findBy(field, value) {
      for (const [k, e] of store) {
        if (k.startsWith(`${this.model}:`) && live(e) && e.payload[field] === value) return e.payload;
      }
      return undefined;
    }

    async findByUid(uid) { return this.findBy('uid', uid); }

    async findByUserCode(userCode) { return this.findBy('userCode', userCode); }

    async consume(id) {
      const e = store.get(this.key(id));
      if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) { store.delete(this.key(id)); }

    async revokeByGrantId(grantId) {
      for (const [k, e] of store) if (e.payload.grantId === grantId) store.delete(k);
    }
  };
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function build(tenant, t) {
  const claimedTid = tenant === 'rogue' ? 'tenant-a' : tenant;
  const provider = new Provider(t.issuer, {
    adapter: t.Adapter,
    clients: [{
      client_id: 'tests',
      client_secret: 'tests-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'access_as_user',
    }, {
      client_id: 'omni-desktop',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
    }],
    jwks: { keys: t.keys.map((k) => k.jwk) },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'access_as_user'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    routes: { authorization: '/authorize' },
    cookies: {
      // One tenant's browser session must not be sent to (and clobbered by) another's.
      long: { httpOnly: true, sameSite: 'lax', path: `/${tenant}/v2.0` },
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: () => t.ttl,
      ClientCredentials: () => t.ttl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Grant: 90 * 24 * 3600,
      RefreshToken: 90 * 24 * 3600,
      Session: 14 * 24 * 3600,
    },
    extraParams: ['person_oid', 'person_email', 'person_scp', 'person_roles'],
    findAccount: async (ctx, id) => {
      const account = t.accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          email: account.login,
          email_verified: true,
          preferred_username: account.login,
          name: account.name,
        }),
      };
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'api://omni',
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (!RESOURCES.includes(resource)) throw new Provider.errors.InvalidTarget();
          return {
            scope: USER_SCOPES.join(' '),
            audience: resource,
            accessTokenTTL: t.ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: (ctx, token) => {
      if (token.kind === 'ClientCredentials') {
        const p = { ...(ctx.oidc.body || {}), ...(ctx.oidc.params || {}) };
        const claims = { tid: claimedTid, oid: p.person_oid || 'app' };
        if (p.person_email) claims.preferred_username = p.person_email;
        if (p.person_scp) claims.scp = String(p.person_scp);
        if (p.person_roles) claims.roles = String(p.person_roles).split(' ');
        return claims;
      }
      const account = t.accounts.get(token.accountId);
      const claims = { tid: claimedTid, oid: token.accountId, ver: '2.0' };
      if (account) {
        claims.preferred_username = account.login;
        claims.name = account.name;
      }
      const scopes = String(token.scope || '').split(' ');
      if (USER_SCOPES.some((s) => scopes.includes(s))) claims.scp = 'access_as_user';
      return claims;
    },
  });
  provider.proxy = true;

  // Token requests counted by grant type, answered or refused (GET /_control/{tenant}/stats).
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      if (ctx.method === 'POST' && ctx.path === '/token') {
        const grant = ctx.oidc?.params?.grant_type || ctx.oidc?.body?.grant_type;
        if (grant in t.stats) t.stats[grant] += 1;
        // What the desktop's sessions were given, for the test that searches the app's files,
        // logs and IPC for them (GET /_control/{tenant}/issued).
        const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
        for (const k of ['access_token', 'refresh_token', 'id_token']) {
          if (typeof body[k] === 'string' && grant !== 'client_credentials') t.issued.push(body[k]);
        }
      }
    }
  });

  // The dev login form signs in as the account of the email typed (any password): its
  // accountId (the token's sub) is the account's oid, not the email devInteractions would use.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
    const body = querystring.parse(await readBody(ctx.req));
    ctx.req.body = body; // the dev consent handler reads an already parsed body
    if (body.prompt !== 'login') return next();
    const login = String(body.login || '').trim().toLowerCase();
    if (!login.includes('@')) {
      ctx.status = 400;
      ctx.body = 'Sign in with an email address.';
      return undefined;
    }
    const oid = oidFor(login);
    t.accounts.set(oid, { login, name: nameFor(login) });
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: oid },
    }, { mergeWithLastSubmission: false });
    ctx.redirect(returnTo);
    ctx.status = 303;
    return undefined;
  });
  return provider;
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function controlRequest(req, res, url, tenant, what) {
  const t = state[tenant];
  if (!t) { res.writeHead(404).end(); return; }
  const post = req.method === 'POST';
  if (what === 'rotate' && post) {
    t.keys = [newKey(), ...t.keys];
    t.provider = build(tenant, t);
  }
  if (what === 'retire' && post) {
    t.keys = t.keys.slice(0, 1);
    t.provider = build(tenant, t);
  }
  if (what === 'rotate' || what === 'retire' || what === 'key') {
    const k = t.keys[0];
    json(res, 200, { kid: k.kid, private_pem: k.privatePem, public_pem: k.publicPem });
    return;
  }
  if (what === 'ttl' && post) {
    const seconds = Number(url.searchParams.get('seconds'));
    if (!Number.isInteger(seconds) || seconds <= 0) {
      json(res, 400, { error: 'seconds must be a positive integer' });
      return;
    }
    t.ttl = seconds;
    json(res, 200, { seconds });
    return;
  }
  if (what === 'revoke' && post) {
    const login = url.searchParams.get('login');
    if (!login) { json(res, 400, { error: 'login is missing' }); return; }
    const oid = oidFor(login);
    let revoked = 0;
    for (const [k, e] of t.store) {
      if (e.payload.accountId === oid) {
        if (k.startsWith('RefreshToken:')) revoked += 1;
        t.store.delete(k);
      }
    }
    json(res, 200, { oid, refresh_tokens: revoked });
    return;
  }
  if (what === 'stats' && req.method === 'GET') {
    json(res, 200, t.stats);
    return;
  }
  if (what === 'issued' && req.method === 'GET') {
    json(res, 200, { tokens: t.issued });
    return;
  }
  res.writeHead(405).end();
}

/// Entra gives a refresh token whenever offline_access is asked; oidc-provider drops
/// offline_access unless the request prompts for consent, so such a request gets
/// prompt=consent (the consent page shows at every sign-in). Entra's prompt=select_account,
/// which oidc-provider does not know, is dropped.
function entraPrompt(url) {
  const scopes = (url.searchParams.get('scope') || '').split(' ');
  const prompts = new Set((url.searchParams.get('prompt') || '').split(' ').filter(Boolean));
  prompts.delete('select_account');
  if (scopes.includes('offline_access') && !prompts.has('none')) prompts.add('consent');
  if (prompts.size) url.searchParams.set('prompt', [...prompts].join(' '));
  else url.searchParams.delete('prompt');
  return `${url.pathname}${url.search}`;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const control = url.pathname.match(/^\/_control\/([^/]+)\/(rotate|retire|key|ttl|revoke|stats|issued)$/);
  if (control) {
    controlRequest(req, res, url, control[1], control[2]);
    return;
  }
  const m = url.pathname.match(/^\/([^/]+)\/v2\.0(\/.*)?$/);
  const t = m && state[m[1]];
  if (!t) { res.writeHead(404).end(); return; }
  if (m[2] === '/authorize') req.url = entraPrompt(url);
  req.originalUrl = req.url;
  req.url = req.url.slice(`/${m[1]}/v2.0`.length) || '/';
  t.provider.callback()(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  for (const tenant of TENANTS) {
    const store = new Map();
    const t = {
      issuer: `http://127.0.0.1:${port}/${tenant}/v2.0`,
      keys: [newKey()],
      ttl: DEFAULT_TTL,
      store,
      Adapter: adapterFor(store),
      accounts: new Map(),
      stats: { authorization_code: 0, refresh_token: 0 },
      issued: [],
    };
    t.provider = build(tenant, t);
    state[tenant] = t;
  }
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
