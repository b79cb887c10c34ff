// The harness: one fresh app (own data directory, own database) per test, found by role and
// name, screenshots of each step, the `omni` CLI on the same database, native dialogs via xdotool.
import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Session, Keys } from './webdriver.js';
import { BY_ROLE_SCRIPT, ROLE_SNAPSHOT_SCRIPT } from './roles.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');

export const config = {
  webdriver: process.env.E2E_WEBDRIVER_URL || 'http://127.0.0.1:4444',
  app: process.env.E2E_APP || join(repo, 'target/debug/omni-admin'),
  omni: process.env.E2E_OMNI || join(repo, 'target/debug/omni'),
  server: process.env.E2E_SERVER || join(repo, 'target/debug/omni-server'),
  tmp: process.env.E2E_TMP || join(tmpdir(), `omni-e2e-${process.pid}`),
  artifacts: process.env.E2E_ARTIFACTS || join(repo, 'tests/e2e/artifacts'),
  // Default wait for something to appear on screen.
  timeoutMs: Number(process.env.E2E_WAIT_MS || 10_000),
};

export { Keys };

/** A file-name-safe form of a title, cut at a word boundary. */
export const slug = (s, max = 48) => {
  const full = s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  if (full.length <= max) return full;
  const cut = full.slice(0, max + 1);
  return cut.slice(0, cut.lastIndexOf('-') > 0 ? cut.lastIndexOf('-') : max);
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value (returned), within `timeout` ms. Errors thrown by
 * `fn` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor(fn, { timeout = config.timeoutMs, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  let lastValue;
  for (;;) {
    try {
      lastValue = await fn();
      if (lastValue) return lastValue;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : ` (last value: ${JSON.stringify(lastValue)})`;
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${why}`);
    }
    await sleep(interval);
  }
}

const describe = (role, name) => (name === undefined || name === null ? `${role}` : `${role} "${typeof name === 'object' ? `/${name.regex}/` : name}"`);

export class App {
  /**
   * Starts the app on a fresh data directory. `setup(omni)` runs before the launch, for data
   * the test needs (through the `omni` CLI on the same database).
   */
  static async launch(name, { setup, keep = false } = {}) {
    const dir = join(config.tmp, name);
    if (!keep) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    mkdirSync(config.artifacts, { recursive: true });
    const app = new App(name, dir);
    if (setup) await setup(app);
    app.session = await Session.create(config.webdriver, {
      'tauri:options': { application: config.app, args: ['--db', app.db] },
    }, { timeoutMs: 60_000 });
    await app.session.setTimeouts({ implicit: 0, script: 30_000, pageLoad: 30_000 });
    const href = await waitFor(async () => {
      const state = await app.session.execute('return [document.readyState, location.href]');
      return state[0] === 'complete' && state[1];
    }, { timeout: 30_000, message: 'the page to load' });
    if (!href.startsWith('tauri://')) {
      throw new Error(`the app shows ${href}, not the embedded UI: build it with --features custom-protocol (scripts/e2e does)`);
    }
    return app;
  }

  constructor(name, dir) {
    this.name = name;
    this.dir = dir;
    this.db = join(dir, 'omni.db');
    this.session = null;
    this.step = 0;
  }

  /** Polls `fn` until it returns something truthy (see `waitFor`). */
  waitFor(fn, opts) {
    return waitFor(fn, opts);
  }

  // ---- finding things as a user sees them ------------------------------------------------

  /**
   * One attempt: every visible element with this role (and name, when given), with what a test
   * reads from it (text, value, checked, the attributes in `attrs`) taken in the same call.
   * `within`: an element, or a path of containers `[role, name]` / `[[role, name], ...]`
   * resolved in the same call (use a path for anything that re-renders, like table rows).
   */
  async query(role, name, { within = null, exact = true, attrs = [] } = {}) {
    const toWire = (n) => (n instanceof RegExp ? { regex: n.source, flags: n.flags } : n ?? null);
    let scope = null;
    let path = [];
    if (Array.isArray(within)) {
      path = (typeof within[0] === 'string' ? [within] : within).map(([r, n]) => [r, toWire(n)]);
    } else if (within) {
      scope = within;
    }
    return this.session.execute(BY_ROLE_SCRIPT, [role, toWire(name), { exact, path, attrs }, scope]);
  }

  /** One attempt: the matching elements. */
  async findAll(role, name, opts = {}) {
    return (await this.query(role, name, opts)).map((r) => r.el);
  }

  /** Waits until exactly one visible element matches (or the first, with `first`); its record. */
  async locate(role, name, { timeout = config.timeoutMs, first = false, ...opts } = {}) {
    const where = opts.within ? ` inside ${Array.isArray(opts.within) ? JSON.stringify(opts.within) : 'its container'}` : '';
    return waitFor(async () => {
      const found = await this.query(role, name, opts);
      if (found.length > 1 && !first) throw new Error(`${found.length} elements match ${describe(role, name)}`);
      return found[0];
    }, { timeout, message: `${describe(role, name)}${where}` });
  }

  /** Waits until exactly one visible element has this role and name; returns it. */
  async find(role, name, opts = {}) {
    return (await this.locate(role, name, opts)).el;
  }

  /** Waits until nothing visible has this role and name. */
  async gone(role, name, { timeout = config.timeoutMs, ...opts } = {}) {
    await waitFor(async () => (await this.query(role, name, opts)).length === 0,
      { timeout, message: `${describe(role, name)} to go away` });
  }

  async exists(role, name, opts) {
    return (await this.query(role, name, opts)).length > 0;
  }

  /** Clicks the element with this role and name (found again if the UI re-rendered it). */
  async click(role, name, opts = {}) {
    await waitFor(async () => {
      const el = await this.find(role, name, { ...opts, timeout: opts.timeout ?? config.timeoutMs });
      await this.session.click(el); // a re-rendered (stale) or covered element: try again
      return true;
    }, { timeout: opts.timeout ?? config.timeoutMs, message: `a click on ${describe(role, name)}` });
  }

  /**
   * Replaces the text of a text field as a person does: select all, delete, type. (WebDriver's
   * Element Clear fires no input event in WebKit, so an emptied search would go unnoticed.)
   */
  async fill(role, name, value, opts = {}) {
    const el = await this.find(role, name, opts);
    const current = await this.session.execute('return arguments[0].value', [el]);
    if (current !== '') await this.session.sendKeys(el, `${Keys.Control}a${Keys.Null}${Keys.Backspace}`);
    if (String(value) !== '') await this.session.sendKeys(el, value);
    const now = await this.session.execute('return arguments[0].value', [el]);
    if (now !== String(value)) throw new Error(`${describe(role, name)} reads ${JSON.stringify(now)} after typing ${JSON.stringify(String(value))}`);
    return el;
  }

  /** Picks an option by its visible label in a combobox (a <select>, or an ARIA combobox). */
  async choose(name, label, opts = {}) {
    const box = await this.find('combobox', name, opts);
    const tag = await this.session.execute('return arguments[0].localName', [box]);
    if (tag === 'select') {
      // WebDriver selects an <option> by clicking it, as a person picks it from the list.
      const option = await waitFor(() => this.session.execute(
        'return Array.from(arguments[0].options).find((o) => o.label.trim() === arguments[1]) || null', [box, label]),
      { message: `option "${label}" in combobox "${name}"` });
      await this.session.click(option);
    } else {
      await this.session.click(box);
      await this.click('option', label);
    }
    await waitFor(async () => (await this.valueOf('combobox', name, opts)) === label,
      { message: `combobox "${name}" to show "${label}"` });
  }

  /** The label of the selected option of a <select>, or the value of an input. */
  valueText(el) {
    return this.session.execute(
      'const e = arguments[0]; return e.localName === "select" ? (e.selectedOptions[0]?.label ?? "").trim() : e.value', [el]);
  }

  /** Visible text of an element (W3C "Get Element Text"). */
  text(el) {
    return this.session.text(el);
  }

  /** Visible text (innerText, whitespace collapsed) of the element with this role and name. */
  async textOf(role, name, opts) {
    return (await this.locate(role, name, opts)).text;
  }

  /** An attribute of the element with this role and name (null when absent). */
  async attrOf(role, name, attr, opts = {}) {
    return (await this.locate(role, name, { ...opts, attrs: [attr] })).attrs[attr];
  }

  /** The selected option's label (select) or the value (input) of the control. */
  async valueOf(role, name, opts) {
    const r = await this.locate(role, name, opts);
    return r.selected ?? r.value;
  }

  /** Whether the checkbox/radio with this role and name is checked. */
  async checkedOf(role, name, opts) {
    return (await this.locate(role, name, opts)).checked;
  }

  attr(el, name) {
    return this.session.attribute(el, name);
  }

  prop(el, name) {
    return this.session.property(el, name);
  }

  /** Waits until the text of the element with this role and name satisfies `test`. */
  async waitText(role, name, test, opts = {}) {
    const ok = typeof test === 'function' ? test
      : test instanceof RegExp ? (t) => test.test(t) : (t) => t.includes(test);
    let last = '';
    try {
      return await waitFor(async () => {
        last = await this.textOf(role, name, { ...opts, timeout: 1_000 });
        return ok(last) && last;
      }, { timeout: opts.timeout ?? config.timeoutMs, message: `${describe(role, name)} to read ${test}` });
    } catch (e) {
      e.message += `; it reads ${JSON.stringify(last)}`;
      throw e;
    }
  }

  /** Texts of the visible alerts (role="alert") that say something. */
  async alerts() {
    return (await this.query('alert')).map((r) => r.text).filter((t) => t !== '');
  }

  /** Presses keys (WebDriver key names, e.g. Keys.Escape) on the focused element. */
  press(...keys) {
    return this.session.pressKeys(keys);
  }

  // ---- evidence ------------------------------------------------------------------------

  /**
   * Saves a screenshot of the app as the X server shows it (the web view and any native dialog):
   * artifacts/<test>-<nn>-<step>.png. Not WebDriver's screenshot: with the app's web view painting
   * in software (src-tauri/src/footprint.rs), WebKitWebDriver's snapshot of some screens never
   * answers, while the window itself shows them.
   */
  async shot(step) {
    this.step += 1;
    const file = join(config.artifacts, `${this.name}-${String(this.step).padStart(2, '0')}-${slug(step)}.png`);
    try {
      await run('import', ['-window', 'root', file], { timeout: 15_000 });
    } catch (e) {
      // A screenshot must never hide the real outcome.
      process.stderr.write(`# screenshot ${file} failed: ${e.message}\n`);
    }
    return file;
  }

  /** Screenshot of the whole X screen, native dialogs included (the same as `shot`). */
  screenShot(step) {
    return this.shot(step);
  }

  /** What a failure leaves behind: screenshots, the role tree, the page source. */
  async evidence(error) {
    const base = join(config.artifacts, `${this.name}-failure`);
    const notes = [`${error?.stack || error}`];
    if (this.session) {
      try {
        const roles = await this.session.execute(ROLE_SNAPSHOT_SCRIPT, [null]);
        notes.push('', 'Visible elements with a role (role "name"):',
          ...roles.map((r) => `  ${r.role} ${JSON.stringify(r.name)}`));
      } catch (e) {
        notes.push(`role snapshot: ${e.message}`);
      }
      try {
        writeFileSync(`${base}.html`, await this.session.source());
      } catch (e) {
        notes.push(`page source: ${e.message}`);
      }
    }
    await this.screenShot('failure-screen').catch((e) => notes.push(`screen: ${e.message}`));
    writeFileSync(`${base}.txt`, notes.join('\n') + '\n');
  }

  async close() {
    if (!this.session) return;
    const s = this.session;
    this.session = null;
    await s.delete().catch((e) => process.stderr.write(`# closing the session failed: ${e.message}\n`));
  }

  // ---- the omni CLI on the same database ---------------------------------------------------

  /** Runs `omni --db <this test's db> ...args`; returns stdout. Throws with stderr on failure. */
  async omni(...args) {
    try {
      const { stdout } = await run(config.omni, ['--db', this.db, ...args], { timeout: 30_000, maxBuffer: 64 << 20 });
      return stdout;
    } catch (e) {
      throw new Error(`omni ${args.join(' ')} failed (exit ${e.code}): ${e.stderr || e.message}`);
    }
  }

  /** Same, with --json, parsed. */
  async omniJson(...args) {
    return JSON.parse(await this.omni('--json', ...args));
  }

  // ---- native GTK dialogs (outside the web view) ------------------------------------------

  /** X windows currently shown with exactly this title. */
  async windows(title) {
    const pattern = `^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
    try {
      const { stdout } = await run('xdotool', ['search', '--onlyvisible', '--name', pattern], { timeout: 5_000 });
      return stdout.split(/\s+/).filter(Boolean);
    } catch (e) {
      if (e.code === 1) return []; // xdotool: nothing found
      throw e;
    }
  }

  /**
   * Answers the native GTK open dialog titled `title` with an absolute path, as a person
   * would: focus it, open the location field (Ctrl+L; typing "/" also opens it, but GTK fills
   * it from an idle callback that can swallow the next keys), type the path, press Return.
   */
  answerOpenDialog(title, path) {
    return this.answerFileDialog(title, path, false);
  }

  /**
   * Answers the native GTK save dialog titled `title` with an absolute path: select the whole
   * proposed name (GTK preselects only its stem), type the path over it, press Return.
   */
  answerSaveDialog(title, path) {
    return this.answerFileDialog(title, path, true);
  }

  async answerFileDialog(title, path, save) {
    const [win] = await waitFor(async () => {
      const w = await this.windows(title);
      return w.length > 0 && w;
    }, { timeout: 15_000, message: `the native dialog "${title}"` });
    // No window manager under Xvfb: give the dialog the keyboard focus ourselves.
    await waitFor(async () => {
      await run('xdotool', ['windowfocus', win], { timeout: 5_000 }).catch(() => {});
      const { stdout } = await run('xdotool', ['getwindowfocus'], { timeout: 5_000 });
      return stdout.trim() === win;
    }, { timeout: 10_000, message: `focus on the native dialog "${title}"` });
    await this.screenShot(`native-${title}`);
    // Open: Ctrl+L shows the location field. Save: the name field has the focus. Either way
    // select what is there (GTK preselects only a proposed name's stem) and type over it.
    if (!save) await run('xdotool', ['key', 'ctrl+l'], { timeout: 5_000 });
    await run('xdotool', ['key', 'ctrl+a'], { timeout: 5_000 });
    await run('xdotool', ['type', '--delay', '25', '--', path], { timeout: 30_000 });
    await this.screenShot(`native-${title}-typed`);
    // Return accepts the path. GTK drops it now and then while it is still looking the typed
    // folder up: press it again (on the dialog, re-focused) while the dialog stays open, a
    // bounded number of times.
    const waits = [1_500, 1_500, 3_000, 3_000, 10_000];
    for (let attempt = 0; ; attempt++) {
      await run('xdotool', ['key', 'Return'], { timeout: 5_000 });
      try {
        await waitFor(async () => (await this.windows(title)).length === 0,
          { timeout: waits[attempt], message: `the native dialog "${title}" to close` });
        return;
      } catch (e) {
        if (attempt === waits.length - 1) throw e;
        await this.screenShot(`native-${title}-still-open`);
        const still = await this.windows(title);
        if (still.length === 0) return;
        await run('xdotool', ['windowfocus', still[0]], { timeout: 5_000 });
      }
    }
  }
}

/**
 * Declares one end-to-end test on its own fresh app and data directory. On failure it saves
 * screenshots (web view and X screen), the visible roles and the page source to artifacts/.
 * `options.setup(app)` prepares data with the CLI before the app starts.
 */
export function e2e(title, options, body) {
  if (typeof options === 'function') [body, options] = [options, {}];
  const { timeout = 180_000, setup } = options;
  test(title, { timeout }, async (t) => {
    const name = slug(title);
    let app;
    // On the test's timeout the runner moves on without waiting: close the app right away.
    t.signal.addEventListener('abort', () => void app?.close());
    try {
      app = await App.launch(name, { setup });
      await body(app, t);
    } catch (e) {
      await (app ?? new App(name, join(config.tmp, name))).evidence(e).catch((err) => process.stderr.write(`# evidence: ${err.message}\n`));
      throw e;
    } finally {
      await app?.close();
    }
  });
}
