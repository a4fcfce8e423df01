// What the browser tests run against: a redis-server and `hub serve` on free ports of
// 127.0.0.1 in a temporary directory, the generated city, tokens from `hub token`, hub-cli for
// the steps no page takes, and Debian's Chromium driven by playwright-core. Every wait is on
// a condition with a bound, never a sleep.

import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (ctest sets it: tests/browser/CMakeLists.txt)`);
  return v;
};

const wwwRequire = createRequire(path.join(env('HUB_WWW'), 'package.json'));
export const { chromium } = wwwRequire('playwright-core');
export const msgpack = await import(wwwRequire.resolve('@msgpack/msgpack'));
export const artifacts = env('HUB_BROWSER_ARTIFACTS');
mkdirSync(artifacts, { recursive: true });

/// A free TCP port of 127.0.0.1 (bound and released: nobody else on this machine picks it in
/// between, in practice).
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/// Resolves with the first match of `re` in the child's `stream` output within `ms`.
function waitFor(child, stream, re, ms, what) {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no "${re}" within ${ms} ms; got: ${text.slice(-2000)}`)), ms);
    const on = (chunk) => {
      text += chunk;
      const m = re.exec(text);
      if (m) { clearTimeout(timer); child[stream].off('data', on); resolve(m); }
    };
    child[stream].on('data', on);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}): ${text.slice(-2000)}`)); });
  });
}

export class City {
  async start() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'hub-browser-'));
    this.file = path.join(this.dir, 'xinyang.tsv');
    this.secret = path.join(this.dir, 'hub.secret');
    await run(env('HUB_GEN'), ['--seed', '20261125', '--out', this.file]);
    this.redisPort = await freePort();
    this.redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(this.redisPort), '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitFor(this.redis, 'stdout', /Ready to accept connections/, 10000, 'redis-server');
    this.port = await freePort();
    await this.startHub();
  }

  async startHub() {
    this.hub = spawn(env('HUB_BINARY'), ['serve', '--hierarchy', this.file, '--port', String(this.port),
      '--secret-file', this.secret, '--redis', `127.0.0.1:${this.redisPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Read, so that it never blocks; the tail is printed if the hub dies on its own (a crash,
    // a sanitizer's report), since every test after that fails only with refused connections.
    const hub = this.hub;
    let tail = '';
    hub.stderr.on('data', (d) => { tail = (tail + d).slice(-16384); });
    hub.once('exit', (code, signal) => {
      if (!hub.expectedExit) process.stderr.write(`hub serve exited by itself (${signal ?? `code ${code}`}); the end of its stderr:\n${tail}\n`);
    });
    await waitFor(this.hub, 'stdout', /listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 30000, 'hub serve');
    this.url = `http://127.0.0.1:${this.port}`;
  }

  /// Kills the hub outright (SIGKILL: a crash) and waits until it is gone.
  async killHub() {
    const exited = new Promise((r) => this.hub.once('exit', r));
    this.hub.expectedExit = true;
    this.hub.kill('SIGKILL');
    await exited;
  }

  async token(person) {
    const { stdout } = await run(env('HUB_BINARY'), ['token', '--hierarchy', this.file, '--secret-file', this.secret, '--person', String(person)]);
    return stdout.trim();
  }

  /// A page's address, logged in as `person` (the token in the fragment).
  async pageUrl(page, person) { return `${this.url}/${page}.html#token=${await this.token(person)}`; }

  /// One hub-cli request as `person`; returns the parsed reply (exit 1 on an error reply).
  async cli(person, ...args) {
    const { stdout } = await run(env('HUB_CLI'), ['--url', `ws://127.0.0.1:${this.port}/`, '--secret-file', this.secret,
      '--hierarchy', this.file, '--json', '--token-for', String(person), ...args]);
    return JSON.parse(stdout.trim().split('\n').pop(), (k, v, ctx) => (Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(ctx.source) : v));
  }

  /// hub-sim at `rate` reports a second; returns the child (kill it to stop).
  simulate(rate) {
    const sim = spawn(env('HUB_SIM'), ['--url', `ws://127.0.0.1:${this.port}/`, '--hierarchy', this.file,
      '--secret-file', this.secret, '--rate', String(rate)], { stdio: ['ignore', 'pipe', 'pipe'] });
    sim.stdout.on('data', () => {});
    sim.stderr.on('data', () => {});
    return sim;
  }

  async stop() {
    for (const p of [this.hub, this.redis]) {
      if (p && p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.expectedExit = true;
        p.kill('SIGTERM');
        await exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/// The bound on any one wait in the browser tests, in ms: 20 s, times HUB_TEST_SLOWDOWN where
/// the hub under test is slower by design (3 in a sanitizer build, set by tests/browser's CMake).
export const T = 20000 * Math.max(1, Number(process.env.HUB_TEST_SLOWDOWN) || 1);

/// One test file's city and Chromium, started in its `before` hook and stopped in its `after`
/// hook (node:test's, passed in), and the helpers its tests open pages with:
/// open(page, person, viewport): the page logged in as `person`, live (#status open), with
/// `frames_` (recordFrames) and `errors` (uncaught page errors); reload(page): reloaded (the
/// token stays in the tab) and live again, recording frames afresh; shot(page, name): a
/// screenshot into the artifacts.
export function withBrowser(before, after) {
  const city = new City();
  let browser;
  before(async () => {
    await city.start();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  });
  after(async () => {
    await browser?.close();
    await city.stop();
  });
  async function open(pageName, person, viewport = { width: 1440, height: 900 }) {
    const page = await browser.newPage({ viewport });
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e));
    page.frames_ = recordFrames(page);
    await page.goto(await city.pageUrl(pageName, person));
    await page.locator('#status[data-state="open"]').waitFor({ timeout: T });
    return page;
  }
  async function reload(page) {
    page.frames_ = recordFrames(page);
    await page.reload();
    await page.locator('#status[data-state="open"]').waitFor({ timeout: T });
  }
  const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`) });
  return { city, open, reload, shot };
}

/// Decoded MessagePack frames a page sends and receives, for waiting on frames.
export function recordFrames(page) {
  const frames = { sent: [], received: [] };
  const decode = (payload) => {
    try {
      return msgpack.decode(typeof payload === 'string' ? Buffer.from(payload) : payload, { useBigInt64: true });
    } catch { return undefined; }
  };
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => { const m = decode(f.payload); if (m) frames.sent.push(m); });
    ws.on('framereceived', (f) => { const m = decode(f.payload); if (m) frames.received.push(m); if (frames.received.length > 20000) frames.received.splice(0, 10000); });
  });
  return frames;
}

/// Waits until `pred()` is true, checking on each frame the page exchanges or every 50 ms.
export async function until(pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50)); // a poll interval, not a wait for time to pass
  }
}
