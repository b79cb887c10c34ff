// A tiny W3C WebDriver client over fetch: only what the tests use, every request bounded in time.
// https://www.w3.org/TR/webdriver2/

export const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverError extends Error {
  constructor(command, status, error, message) {
    super(`${command}: ${error || `HTTP ${status}`}: ${message}`);
    this.name = 'WebDriverError';
    this.status = status;
    this.error = error; // W3C error code, e.g. "no such element", "stale element reference"
  }
}

/** An element reference as the protocol passes it around (usable as a script argument). */
export function isElement(value) {
  return value !== null && typeof value === 'object' && typeof value[ELEMENT_KEY] === 'string';
}

async function request(base, method, path, body, timeoutMs) {
  const command = `${method} ${path}`;
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message;
    throw new WebDriverError(command, 0, 'request failed', why);
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new WebDriverError(command, res.status, 'bad response', text.slice(0, 300));
  }
  const value = json.value;
  if (!res.ok || (value && typeof value === 'object' && typeof value.error === 'string')) {
    throw new WebDriverError(command, res.status, value?.error, value?.message ?? text.slice(0, 300));
  }
  return value;
}

export class Session {
  /**
   * Creates a session. `capabilities` goes into `alwaysMatch`.
   * @param {string} base e.g. http://127.0.0.1:4444
   */
  static async create(base, capabilities, { timeoutMs = 60_000 } = {}) {
    const value = await request(base, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } }, timeoutMs);
    return new Session(base, value.sessionId, value.capabilities);
  }

  constructor(base, id, capabilities) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
    // Above the session's script timeout (30 s), so the driver reports a slow script itself.
    this.commandTimeoutMs = 45_000;
  }

  cmd(method, path, body, timeoutMs = this.commandTimeoutMs) {
    return request(this.base, method, `/session/${this.id}${path}`, body, timeoutMs);
  }

  delete() {
    return this.cmd('DELETE', '', undefined, 30_000);
  }

  setTimeouts(t) {
    return this.cmd('POST', '/timeouts', t);
  }

  url() {
    return this.cmd('GET', '/url');
  }

  title() {
    return this.cmd('GET', '/title');
  }

  source() {
    return this.cmd('GET', '/source');
  }

  /** @returns {Promise<{x:number,y:number,width:number,height:number}>} */
  windowRect() {
    return this.cmd('GET', '/window/rect');
  }

  setWindowRect(rect) {
    return this.cmd('POST', '/window/rect', rect);
  }

  findElement(using, value, from) {
    const path = from ? `/element/${from[ELEMENT_KEY]}/element` : '/element';
    return this.cmd('POST', path, { using, value });
  }

  findElements(using, value, from) {
    const path = from ? `/element/${from[ELEMENT_KEY]}/elements` : '/elements';
    return this.cmd('POST', path, { using, value });
  }

  activeElement() {
    return this.cmd('GET', '/element/active');
  }

  click(el) {
    return this.cmd('POST', `/element/${el[ELEMENT_KEY]}/click`, {});
  }

  clear(el) {
    return this.cmd('POST', `/element/${el[ELEMENT_KEY]}/clear`, {});
  }

  sendKeys(el, text) {
    return this.cmd('POST', `/element/${el[ELEMENT_KEY]}/value`, { text: String(text) });
  }

  text(el) {
    return this.cmd('GET', `/element/${el[ELEMENT_KEY]}/text`);
  }

  attribute(el, name) {
    return this.cmd('GET', `/element/${el[ELEMENT_KEY]}/attribute/${encodeURIComponent(name)}`);
  }

  property(el, name) {
    return this.cmd('GET', `/element/${el[ELEMENT_KEY]}/property/${encodeURIComponent(name)}`);
  }

  enabled(el) {
    return this.cmd('GET', `/element/${el[ELEMENT_KEY]}/enabled`);
  }

  selected(el) {
    return this.cmd('GET', `/element/${el[ELEMENT_KEY]}/selected`);
  }

  /** Runs `body` (a function body; `arguments` holds args) in the page and returns its value. */
  execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Like execute; the script calls `arguments[arguments.length - 1](value)` when done. */
  executeAsync(script, args = [], timeoutMs = this.commandTimeoutMs) {
    return this.cmd('POST', '/execute/async', { script, args }, timeoutMs);
  }

  /** Key presses through the Actions API (e.g. Escape), sent to the focused element. */
  async pressKeys(keys) {
    const actions = [];
    for (const k of keys) actions.push({ type: 'keyDown', value: k }, { type: 'keyUp', value: k });
    await this.cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
    await this.cmd('DELETE', '/actions');
  }

  /** @returns {Promise<Buffer>} PNG of the web view's viewport. */
  async screenshot() {
    const b64 = await this.cmd('GET', '/screenshot', undefined, 30_000);
    return Buffer.from(b64, 'base64');
  }
}

/** WebDriver special keys (https://www.w3.org/TR/webdriver2/#keyboard-actions). */
export const Keys = {
  Null: '\uE000', // releases the modifier keys held down in the same Send Keys
  Enter: '\uE007',
  Escape: '\uE00C',
  Tab: '\uE004',
  Backspace: '\uE003',
  Control: '\uE009',
  Home: '\uE011',
  End: '\uE010',
  PageUp: '\uE00E',
  PageDown: '\uE00F',
  ArrowLeft: '\uE012',
  ArrowUp: '\uE013',
  ArrowRight: '\uE014',
  ArrowDown: '\uE015',
};
