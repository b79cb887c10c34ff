// The "test browser": what end-to-end tests give the desktop app instead of a system browser.
//
// Called as `node login.mjs <authorization URL>` (the app's opener command). It signs in on the
// test provider's dev pages with plain HTTP and a cookie jar, takes the redirect to the app's
// loopback callback and delivers it, as a browser would. The app waits for its callback, not
// for this process. Instructions come from the JSON file named by OMNI_TEST_BROWSER_FILE:
//   {"login": "owner@acme.test",   the account to sign in as (any password is accepted)
//    "state": "keep" | "tamper",   "tamper" delivers the callback with another state
//    "callbacks": 1 | 2,           how many times to GET the callback
//    "result": "/path/result.json",
//    "action": "login" | "deny" | "ignore"}
//      "deny" presses the sign-in page's Cancel: the callback carries error=access_denied;
//      "ignore" does nothing but write the result (the person closed the browser)
// The result file (written once, whole):
//   {"callbacks": [{"status": 200, "body": "..."} | {"error": "ECONNREFUSED: ..."}],
//    "error"?: "..."}
// Exits 0; nonzero with the reason on stderr when signing in on the provider fails.
// Node 20 built-ins only.
import fs from 'node:fs';
import crypto from 'node:crypto';
import http from 'node:http';

const TIMEOUT_MS = 10_000;

function readInstructions() {
  const file = process.env.OMNI_TEST_BROWSER_FILE;
  if (!file) throw new Error('OMNI_TEST_BROWSER_FILE is not set');
  const s = JSON.parse(fs.readFileSync(file, 'utf8'));
  return {
    login: s.login,
    state: s.state ?? 'keep',
    callbacks: s.callbacks ?? 1,
    result: s.result,
    action: s.action ?? 'login',
  };
}

function writeResult(path, value) {
  if (!path) return;
  const tmp = `${path}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value)}\n`);
  fs.renameSync(tmp, path);
}

/// Cookies by name and path, sent to the requests whose path they cover (one host only).
class CookieJar {
  #cookies = new Map();

  store(url, res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k.toLowerCase();
        if (key === 'path' && v) path = v;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${name};${path}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

function isCallback(location, redirectUri) {
  const l = new URL(location);
  const r = new URL(redirectUri);
  return l.origin === r.origin && l.pathname === r.pathname;
}

/// Follows the provider from the authorization URL to the redirect to the app's callback,
/// submitting the login and consent forms on the way (or pressing Cancel when `deny`).
/// Returns the callback URL.
async function signIn(authorizationUrl, login, deny) {
  const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri');
  if (!redirectUri) throw new Error('the authorization URL has no redirect_uri');
  const jar = new CookieJar();
  const request = async (url, form) => {
    const headers = { cookie: jar.header(url) };
    const init = { redirect: 'manual', headers, signal: AbortSignal.timeout(TIMEOUT_MS) };
    if (form) {
      init.method = 'POST';
      init.body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, init);
    jar.store(url, res);
    return res;
  };

  let res = await request(authorizationUrl);
  let url = authorizationUrl;
  for (let step = 0; step < 20; step += 1) {
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url).href;
      await res.arrayBuffer();
      if (isCallback(next, redirectUri)) return next;
      url = next;
      res = await request(url);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) {
      throw new Error(`the provider answered ${res.status} at ${url}: ${html.slice(0, 300)}`);
    }
    const cancel = html.match(/<a href="([^"]+\/abort)">/);
    if (deny && cancel) {
      url = new URL(cancel[1], url).href;
      res = await request(url);
      continue;
    }
    const action = html.match(/<form[^>]*action="([^"]+)"/);
    const prompt = html.match(/name="prompt" value="([^"]+)"/);
    if (!action || !prompt) throw new Error(`no sign-in form at ${url}: ${html.slice(0, 300)}`);
    const formUrl = new URL(action[1].replaceAll('&amp;', '&'), url).href;
    const form = prompt[1] === 'login'
      ? { prompt: 'login', login, password: 'any password' }
      : { prompt: prompt[1] };
    res = await request(formUrl, form);
    url = formUrl;
  }
  throw new Error('too many steps before the redirect to the callback');
}

/// One GET of the callback on a connection of its own (as after a browser's new navigation), so
/// a listener that has stopped refuses it instead of a kept-alive socket being reset.
function deliver(callbackUrl) {
  return new Promise((resolve) => {
    const req = http.get(callbackUrl, { agent: false, timeout: TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (e) => resolve({ error: `${e.code ?? 'ERROR'}: ${e.message}` }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => resolve({ error: `${e.code ?? 'ERROR'}: ${e.message}` }));
  });
}

async function main() {
  const authorizationUrl = process.argv[2];
  const s = readInstructions();
  const result = { callbacks: [] };
  if (s.action === 'ignore') {
    writeResult(s.result, result);
    return 0;
  }
  try {
    if (!['login', 'deny'].includes(s.action)) throw new Error(`unknown action ${s.action}`);
    if (!['keep', 'tamper'].includes(s.state)) throw new Error(`unknown state ${s.state}`);
    if (!authorizationUrl) throw new Error('usage: node login.mjs <authorization URL>');
    if (!s.login && s.action === 'login') throw new Error('the instructions name no login');
    const callback = new URL(await signIn(authorizationUrl, s.login, s.action === 'deny'));
    if (s.state === 'tamper') {
      callback.searchParams.set('state', `tampered-${crypto.randomBytes(8).toString('hex')}`);
    }
    for (let i = 0; i < s.callbacks; i += 1) {
      result.callbacks.push(await deliver(callback.href));
    }
    writeResult(s.result, result);
    return 0;
  } catch (e) {
    result.error = e.message;
    writeResult(s.result, result);
    process.stderr.write(`login.mjs: ${e.message}\n`);
    return 1;
  }
}

process.exitCode = await main();
