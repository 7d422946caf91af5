//! Seek benchmark (not a test: it prints figures). In the release build in headless Chromium, loads the
//! heavy built-in `bench` and times the seeks a person makes with the timeline: far forwards (the run
//! sweeps there a slice per frame), back 100 ms (re-simulated from the latest saved copy of the run),
//! and far back. For each: wall time until it landed, animation frames drawn meanwhile, and the
//! longest gap between two of them (how long the page was unresponsive at most).
//!
//!   node tests/e2e/bench-seek.mjs            (after `trunk build --release`; scripts/test.sh does it)

import { startApp, openApp, simTimeMs, startSeek, seekLanded } from './harness.mjs';

async function timed(page, label, go) {
  await page.evaluate(() => {
    window.__frames = [];
    window.__tick = (t) => { window.__frames.push(t); if (window.__frames) requestAnimationFrame(window.__tick); };
    requestAnimationFrame(window.__tick);
  });
  const t0 = Date.now();
  await go();
  await seekLanded(page, 300_000);
  const wall = Date.now() - t0;
  const frames = await page.evaluate(() => window.__frames);
  const gaps = frames.slice(1).map((t, i) => t - frames[i]);
  const longest = gaps.length ? Math.max(...gaps) : wall;
  const events = (await page.getByTestId('events').innerText()).trim();
  console.log(`${label}: ${wall} ms wall, ${frames.length} frames drawn, longest gap ${longest.toFixed(0)} ms; now at ${(await simTimeMs(page)) / 1000} s, ${events} events`);
}

const app = await startApp();
try {
  const page = await openApp(app);
  await page.getByRole('combobox', { name: 'Scenario' }).selectOption({ label: 'bench' });
  await timed(page, 'bench: forwards 0 → 59 s', () => startSeek(page, 59_000));
  await timed(page, 'bench: back 59 s → 58.9 s', () => page.getByRole('button', { name: 'Back', exact: true }).click());
  await timed(page, 'bench: back 58.9 s → 19 s', () => startSeek(page, 19_000));
  await timed(page, 'bench: back 19 s → 18.9 s', () => page.getByRole('button', { name: 'Back', exact: true }).click());
  if (page.errors.length) console.log(`page errors: ${page.errors.join('; ')}`);
  await page.close();
} finally {
  await app.close();
}
