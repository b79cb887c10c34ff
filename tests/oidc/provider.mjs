// A real OpenID Connect provider (oidc-provider) on loopback for omni-server's tests.
//
// Models Microsoft Entra ID's multi-tenant layout: one provider instance per tenant, each
// mounted at /{tenant}/v2.0 (so the issuer includes the tenant, as Entra's does) with its own
// signing keys. Tokens come from the client_credentials grant with a resource indicator, so
// they are signed RS256 JWT access tokens whose audience is the resource; `tid`, `oid`,
// `preferred_username`, `scp` and `roles` are added from extra token-request parameters, so a
// test can ask for any person of any tenant. As in Entra ID, a person's (delegated) token
// carries `scp` (person_scp) and an application's token carries `roles` (person_roles) and no
// `scp`; a token may also carry neither. Tenants: tenant-a, tenant-b, tenant-c (bound to no
// organization in the tests), tenant-d (its keys are rotated and revoked by the key-rollover
// test alone, so no other test sees them change), and "rogue", whose tokens claim
// tid=tenant-a (wrong issuer).
//
// Control endpoints (tests only):
//   POST /_control/{tenant}/rotate   new signing key first; the old one stays published
//   POST /_control/{tenant}/retire   only the newest key stays published (older ones revoked)
//   GET  /_control/{tenant}/key      the current signing key as PEM (for hand-made tokens of
//                                    cases a provider never issues: expired, nbf, tampered)
// Prints {"port": N} on stdout once listening; exits when stdin closes (its parent ended).
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const TENANTS = ['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d', 'rogue'];
const RESOURCES = ['api://omni', 'api://other'];
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

function build(tenant, issuer, keys) {
  const claimedTid = tenant === 'rogue' ? 'tenant-a' : tenant;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'tests',
      client_secret: 'tests-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'access_as_user',
    }],
    jwks: { keys: keys.map((k) => k.jwk) },
    scopes: ['access_as_user'],
    extraParams: ['person_oid', 'person_email', 'person_scp', 'person_roles'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'api://omni',
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (!RESOURCES.includes(resource)) throw new Provider.errors.InvalidTarget();
          return {
            scope: 'access_as_user',
            audience: resource,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: (ctx) => {
      const p = { ...(ctx.oidc.body || {}), ...(ctx.oidc.params || {}) };
      const claims = { tid: claimedTid, oid: p.person_oid || 'app' };
      if (p.person_email) claims.preferred_username = p.person_email;
      if (p.person_scp) claims.scp = String(p.person_scp);
      if (p.person_roles) claims.roles = String(p.person_roles).split(' ');
      return claims;
    },
  });
  provider.proxy = true;
  return provider;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const control = url.pathname.match(/^\/_control\/([^/]+)\/(rotate|retire|key)$/);
  if (control) {
    const t = state[control[1]];
    if (!t) { res.writeHead(404).end(); return; }
    if (control[2] === 'rotate' && req.method === 'POST') {
      t.keys = [newKey(), ...t.keys];
      t.provider = build(control[1], t.issuer, t.keys);
    }
    if (control[2] === 'retire' && req.method === 'POST') {
      t.keys = t.keys.slice(0, 1);
      t.provider = build(control[1], t.issuer, t.keys);
    }
    const k = t.keys[0];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kid: k.kid, private_pem: k.privatePem, public_pem: k.publicPem }));
    return;
  }
  const m = url.pathname.match(/^\/([^/]+)\/v2\.0(\/.*)?$/);
  const t = m && state[m[1]];
  if (!t) { res.writeHead(404).end(); return; }
  req.originalUrl = req.url;
  req.url = req.url.slice(`/${m[1]}/v2.0`.length) || '/';
  t.provider.callback()(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  for (const tenant of TENANTS) {
    const issuer = `http://127.0.0.1:${port}/${tenant}/v2.0`;
    const keys = [newKey()];
    state[tenant] = { issuer, keys, provider: build(tenant, issuer, keys) };
  }
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
