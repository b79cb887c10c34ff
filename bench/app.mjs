// Desktop app benchmark, driven through WebDriver (tauri-driver) like the e2e tests, on a
// database made by `omni demo`. Prints, for one database: launch → first table page painted,
// scroll latency (jump anywhere → its rows in the DOM), search latency (keystroke → matching
// rows in the DOM, the 40 ms debounce included) and the total PSS of the app's processes. The
// page is polled with timers, not animation frames: WebKit throttles those in an unfocused
// Xvfb window, which would measure the throttling instead of the app.
// Usage (bench/app runs it): node bench/app.mjs APP_BINARY DB LABEL
import { readFileSync, readdirSync } from "node:fs";
import { Session } from "../tests/e2e/lib/webdriver.js";

const [app, db, label] = process.argv.slice(2);
const driver = process.env.WEBDRIVER ?? "http://127.0.0.1:4444";
const runs = Number(process.env.RUNS ?? 40);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.ceil(s.length * 0.95) - 1] };
};

function pss(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The app's process (by its --db argument) and every descendant (the WebKit processes). */
function appTree() {
  const procs = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return { pid: Number(pid), ppid, cmd };
    } catch {
      return null;
    }
  }).filter(Boolean);
  // The app itself: its first argument is the binary (this script's own command line names it too).
  const root = procs.find((p) => p.pid !== process.pid && p.cmd.split("\0")[0].endsWith("omni-admin") && p.cmd.includes(db));
  if (!root) return [];
  const tree = [root.pid];
  for (let i = 0; i < tree.length; i++) for (const p of procs) if (p.ppid === tree[i]) tree.push(p.pid);
  return tree;
}

const t0 = performance.now();
const session = await Session.create(driver, { "tauri:options": { application: app, args: ["--db", db] } }, { timeoutMs: 120_000 });
try {
  await session.setTimeouts({ implicit: 0, script: 60_000, pageLoad: 60_000 });
  for (;;) {
    const n = await session.execute("return document.querySelectorAll('.rows [role=row][aria-label]').length");
    if (n > 0) break;
    if (performance.now() - t0 > 120_000) throw new Error("no table rows after 120 s");
    await sleep(10);
  }
  const launch = performance.now() - t0;

  // Scroll: jump to a random position, wait until its rows are painted (no placeholder left).
  const scroll = await session.executeAsync(`
    const [runs, done] = arguments;
    const scroller = document.querySelector('.scroller');
    const first = () => document.querySelector('.rows [role=row]')?.getAttribute('aria-rowindex');
    const ready = (before) => first() !== before && !document.querySelector('.rows .placeholder') && document.querySelector('.rows [role=row][aria-label]');
    const times = [];
    let seed = 7;
    const next = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    (async () => {
      for (let i = 0; i < runs; i++) {
        const before = first();
        const t = performance.now();
        scroller.scrollTop = Math.floor(next() * (scroller.scrollHeight - scroller.clientHeight));
        while (!ready(before)) await new Promise((r) => setTimeout(r, 2));
        times.push(performance.now() - t);
      }
      done(times);
    })();`, [runs], 120_000);

  // Search: type a prefix, wait until the first row matches it.
  const search = await session.executeAsync(`
    const [terms, done] = arguments;
    const input = document.querySelector('input[type=search]');
    const firstEmail = () => document.querySelector('.rows [role=row][aria-label]')?.getAttribute('aria-label') ?? '';
    const times = [];
    (async () => {
      for (const term of terms) {
        const t = performance.now();
        input.value = term;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        while (!(firstEmail().startsWith(term) && !document.querySelector('.rows .placeholder')) && !document.querySelector('.rows .empty')) {
          await new Promise((r) => setTimeout(r, 2));
        }
        times.push(performance.now() - t);
      }
      input.value = '';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      done(times);
    })();`, [Array.from({ length: runs }, (_, i) => ["ana.", "bruno.s", "maria.c", "joao.lima1", "sofia.r", "pedro.", "tiago.m", "elena.sou"][i % 8])], 120_000);

  await sleep(1000);
  const tree = appTree();
  const parts = tree.map((pid) => pss(pid) / 1024);
  const memory = parts.reduce((a, b) => a + b, 0);
  const s = stats(scroll);
  const q = stats(search);
  const f = (x) => x.toFixed(1).padStart(9);
  console.log(`${label.padEnd(20)} ${f(launch)} ${f(s.median)} ${f(s.p95)} ${f(q.median)} ${f(q.p95)} ${f(memory)}   (PSS by process: ${parts.map((m) => m.toFixed(0)).join(" + ")} MB: app, then WebKit)`);
} finally {
  await session.delete().catch(() => {});
}
