// Connected mode's real parts for the end-to-end tests: the test OpenID provider
// (tests/oidc/provider.mjs, Entra-shaped, tenant-a), a real omni-server on its own SQLite file
// with an organization bound to tenant-a, and the scripted browser (tests/oidc/login.mjs, the
// app's OMNI_BROWSER through lib/browser.sh) told what to do through $E2E_TMP/browser.json.
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { config, waitFor } from './app.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
export const TENANT = 'tenant-a';
export const OWNER = 'owner@acme.test';
export const COLLABORATOR = 'carla@acme.test';
export const ORG_NAME = 'Acme Server';

const freePort = () => new Promise((ok, fail) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
  s.on('error', fail);
});

/** The test provider, running until `stop()`. */
export async function startProvider() {
  const dir = join(repo, 'tests/oidc');
  if (!existsSync(join(dir, 'node_modules/oidc-provider'))) {
    await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, timeout: 120_000 });
  }
  const child = spawn('node', ['provider.mjs'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((ok, fail) => {
    createInterface({ input: child.stdout }).once('line', ok);
    child.once('exit', (code) => fail(new Error(`the provider exited (${code})`)));
  });
  const { port } = JSON.parse(line);
  const base = `http://127.0.0.1:${port}`;
  const control = async (path, method = 'GET') => {
    const res = await fetch(`${base}/_control/${TENANT}/${path}`, { method });
    if (!res.ok) throw new Error(`provider control ${path}: ${res.status}`);
    return res.json();
  };
  return {
    port,
    base,
    issuer: `${base}/${TENANT}/v2.0`,
    control,
    stats: () => control('stats'),
    issued: async () => (await control('issued')).tokens,
    ttl: (seconds) => control(`ttl?seconds=${seconds}`, 'POST'),
    revoke: (login) => control(`revoke?login=${encodeURIComponent(login)}`, 'POST'),
    stop: () => child.stdin.end(),
  };
}

/** A real omni-server over its own SQLite file, its organization bound to the provider's tenant. */
export async function startServer(provider, name) {
  const dir = join(config.tmp, `server-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = join(dir, 'server.db');
  const port = await freePort();
  const env = {
    ...process.env,
    OMNI_SERVER_LISTEN: `127.0.0.1:${port}`,
    OMNI_SERVER_DATABASE: `sqlite://${db}?mode=rwc`,
    OMNI_SERVER_AUTHORITY: provider.base,
    OMNI_SERVER_AUDIENCE: 'api://omni',
    OMNI_SERVER_CLIENT_ID: 'omni-desktop',
    OMNI_SERVER_CLIENT_AUTHORITY: provider.issuer,
    OMNI_SERVER_SCOPES: 'openid profile email offline_access access_as_user',
    OMNI_SERVER_UPLOAD_DIR: dir,
    RUST_LOG: 'info',
  };
  await run(config.server, ['org', 'create', '--name', ORG_NAME, '--entra-tenant', TENANT, '--owner', OWNER, '--seats', '5'],
    { env, timeout: 30_000 });
  const log = join(config.artifacts, `omni-server-${name}.log`);
  writeFileSync(log, '');
  const { openSync } = await import('node:fs');
  const out = openSync(log, 'a');
  const address = `http://127.0.0.1:${port}`;
  let child;
  const serve = async () => {
    child = spawn(config.server, ['serve'], { env, stdio: ['ignore', out, out] });
    await waitFor(async () => (await fetch(`${address}/readyz`)).ok, { timeout: 20_000, message: 'omni-server to be ready' });
  };
  await serve();
  return {
    address,
    db,
    log,
    /** The `omni` CLI on the server's own database (its one organization). */
    omni: async (...args) => (await run(config.omni, ['--db', db, ...args], { timeout: 30_000 })).stdout,
    /** Stops the server process and waits for it to end (the database stays). */
    down: async () => {
      const ended = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await ended;
    },
    /** Serves again on the same address and database. */
    up: serve,
    stop: () => child.kill('SIGTERM'),
  };
}

/** What the scripted browser does at the next sign-in (see tests/oidc/README.md). */
export function browserWill(instructions) {
  const file = join(config.tmp, 'browser.json');
  const result = join(config.tmp, `browser-result-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ state: 'keep', callbacks: 1, action: 'login', result, ...instructions }));
  return {
    /** What the browser saw, once it is done. */
    result: () => waitFor(() => existsSync(result) && JSON.parse(readFileSync(result, 'utf8')),
      { timeout: 20_000, message: 'the scripted browser to finish' }),
  };
}

/** From the first-run screen, connects the app to `server`, up to its "Sign in" button. */
export async function connectTo(app, server) {
  await app.find('heading', 'How do you want to work?', { timeout: 20_000 });
  await app.click('button', 'Connect to a server');
  await app.fill('textbox', 'Server address', server.address);
  await app.click('button', 'Connect');
  await app.find('button', 'Sign in with your work account');
}

/** Connects the app to `server` and signs in as `login` (the whole flow, as a person does it). */
export async function signIn(app, server, login = OWNER) {
  await connectTo(app, server);
  const browser = browserWill({ login });
  await app.click('button', 'Sign in with your work account');
  return browser;
}

/** The keyring's entries of the app (secret-tool, on the session's Secret Service). */
export async function keyringEntries() {
  try {
    const { stdout, stderr } = await run('secret-tool', ['search', '--all', 'service', 'com.poweromni.admin'], { timeout: 10_000 });
    return (stdout + stderr).split('\n').filter((l) => l.startsWith('[/'));
  } catch (e) {
    if (e.code === 1) return [];
    throw e;
  }
}
