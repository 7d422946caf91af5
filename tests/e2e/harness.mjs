//! Shared by the end-to-end tests: a tiny static server for the release build in `dist/` (node:http,
//! loopback only, a free port, `application/wasm` for .wasm) and a headless Debian Chromium driven by
//! playwright-core with a fresh profile. Both are started by `startApp()` and stopped by its `close()`.

import { createServer } from 'node:http';
import { readFile, stat, mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, extname, resolve, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const DIST = resolve(here, '..', '..', 'dist');
export const ARTIFACTS = join(here, 'artifacts');
export const CHROMIUM = process.env.STREAMLAB_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Serve `root` on 127.0.0.1 at a free port; resolves to { url, close }. */
export async function serveDir(root) {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let file = resolve(root, '.' + path);
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME[extname(file)] || 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/** Start the server and the browser; resolves to { url, context, close }. */
export async function startApp() {
  const index = await stat(join(DIST, 'index.html')).catch(() => null);
  if (!index) throw new Error(`${DIST}/index.html is missing: run \`trunk build --release\` first`);
  await mkdir(ARTIFACTS, { recursive: true });
  const server = await serveDir(DIST);
  const profile = await mkdtemp(join(tmpdir(), 'streamlab-e2e-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 720 },
    });
  } catch (e) {
    await server.close();
    await rm(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    url: server.url,
    context,
    close: async () => {
      await context.close().catch(() => {});
      await server.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Open the app in a new page, collecting console errors and uncaught exceptions into `page.errors`. */
export async function openApp(app) {
  const page = await app.context.newPage();
  page.errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') page.errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => page.errors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => page.errors.push(`request failed: ${req.url()}`));
  await page.goto(app.url);
  // Each test starts from a clean slate: the app keeps the user's work in localStorage. Wait until
  // the app is up first, so the reload cannot cut off a download still in flight (which the
  // `requestfailed` listener would rightly count as an error).
  await appLoaded(page);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await appLoaded(page);
  return page;
}

/** The app is up and has fetched its built-in scenarios (the first one is loaded). */
export async function appLoaded(page) {
  await page.getByTestId('sim-time').waitFor({ state: 'visible', timeout: 15_000 });
  await until(() => page.getByTestId('status').innerText(), (s) => s !== 'No simulation loaded.', 15_000, 20);
}

/** The number shown by a count figure (thin-space thousands separators removed). */
export async function count(page, testid) {
  const text = await page.getByTestId(testid).innerText();
  const digits = text.replace(/[^0-9]/g, '');
  if (digits === '') throw new Error(`figure ${testid} shows no number: ${JSON.stringify(text)}`);
  return Number(digits);
}

/** Simulated time shown as `t = mm:ss.mmm` (or `t = h:mm:ss.mmm`), in milliseconds. */
export async function simTimeMs(page) {
  const text = await page.getByTestId('sim-time').innerText();
  const m = /^t = (?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$/.exec(text.trim());
  if (!m) throw new Error(`sim-time is not "t = mm:ss.mmm": ${JSON.stringify(text)}`);
  const [, h = '0', min, s, ms] = m;
  return ((Number(h) * 60 + Number(min)) * 60 + Number(s)) * 1000 + Number(ms);
}

/** Poll `read()` until `ok(value)` or the timeout; resolves to the last value either way. */
export async function until(read, ok, timeoutMs = 10_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    value = await read();
  }
  return value;
}

/** Seek the run to `ms` with the Time slider: an exact re-simulation, unlike playing and pausing,
 *  which lands a few frames after the wanted time. */
export async function seekTo(page, ms) {
  await startSeek(page, ms);
  await seekLanded(page);
}

/** Move the timeline slider to `ms` as a person drops it there; a long seek then goes on frame by frame. */
export async function startSeek(page, ms) {
  await page.getByRole('slider', { name: 'Time' }).evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, ms);
}

/** Until the seek in progress has landed (the status no longer says "Going (back) to …"). */
export async function seekLanded(page, timeout = 60_000) {
  await page.waitForFunction(() => !(document.querySelector('[data-testid="status"]')?.textContent ?? '').startsWith('Going '), null, { timeout });
}
