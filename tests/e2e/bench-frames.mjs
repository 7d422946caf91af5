//! Frame-time benchmark (not a test: it prints figures). Loads the release build in headless Chromium,
//! replaces the quickstart scenario in the editor with a heavier one, plays it at 1× and records the
//! interval between animation frames while the simulation runs: when a frame of engine work plus
//! rendering takes too long, the next frame comes late. Prints p50 / p95 / p99 / max of the
//! intervals, the share of frames over 16.7 ms, and how far simulated time got against wall time.
//!
//!   node tests/e2e/bench-frames.mjs            (after `trunk build --release`; scripts/test.sh does it)
//!
//! It also prints the time from navigation to the app's first render on loopback.
//!
//! Workloads: the bar (12 partitions, 3 brokers, 10,000 records/s) and the scale bar (50
//! brokers, 1,000 partitions, 64 consumers, 10,000 records/s).

import { startApp, openApp, simTimeMs } from './harness.mjs';

const SECONDS = Number(process.env.SECONDS_PER_WORKLOAD || 8);

function workload({ name, brokers, partitions, members, rate }) {
  return JSON.stringify({
    name,
    seed: 1,
    duration_ms: 600000,
    cluster: { brokers },
    topics: [{ name: 'orders', partitions, 'replication.factor': 3, config: { 'min.insync.replicas': 2 } }],
    producers: [{ name: 'checkout', topic: 'orders', rate_per_sec: rate, arrival: 'poisson', keys: { distribution: 'uniform', count: 1000 }, config: { acks: 'all', 'linger.ms': 5 } }],
    consumer_groups: [{ 'group.id': 'billing', topics: ['orders'], members, processing_ms: { distribution: 'exponential', mean: 0.05 }, config: { 'auto.offset.reset': 'earliest' } }],
  }, null, 2);
}

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function measure(app, spec) {
  const page = await openApp(app);
  await page.getByText('Scenario (JSON)').click();
  await page.getByRole('textbox', { name: 'Scenario JSON' }).fill(workload(spec));
  await page.getByRole('button', { name: 'Run this scenario' }).click();
  await page.getByRole('combobox', { name: 'Speed' }).selectOption('1');
  // Collapse the editor so the page renders what a user watches.
  await page.getByText('Scenario (JSON)').click();
  await page.evaluate(() => {
    window.__frames = [];
    const tick = (t) => { window.__frames.push(t); requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const wallStart = Date.now();
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForTimeout(SECONDS * 1000);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const wall = (Date.now() - wallStart) / 1000;
  const sim = (await simTimeMs(page)) / 1000;
  const events = Number((await page.getByTestId('events').innerText()).replace(/\D/g, ''));
  const frames = await page.evaluate(() => window.__frames);
  const gaps = frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b);
  const over = gaps.filter((g) => g > 16.7 * 1.5).length / gaps.length;
  console.log(`${spec.name}: ${spec.brokers} brokers, ${spec.partitions} partitions, ${spec.members} consumers, ${spec.rate} records/s at 1×`);
  console.log(`  frames ${gaps.length} in ${wall.toFixed(1)} s wall; interval p50 ${percentile(gaps, 0.5).toFixed(1)} ms, p95 ${percentile(gaps, 0.95).toFixed(1)} ms, p99 ${percentile(gaps, 0.99).toFixed(1)} ms, max ${gaps[gaps.length - 1].toFixed(1)} ms; ${(over * 100).toFixed(1)}% of frames later than 25 ms`);
  console.log(`  simulated ${sim.toFixed(2)} s in ${wall.toFixed(1)} s of wall time (${(sim / wall).toFixed(2)}× real time), ${events} engine events`);
  if (page.errors.length) console.log(`  page errors: ${page.errors.join('; ')}`);
  await page.close();
}

/** Wall time from navigation to the first render of the app (the clock is on screen), best of 3. */
async function firstRender(app) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const page = await app.context.newPage();
    const t0 = Date.now();
    await page.goto(app.url);
    await page.getByTestId('sim-time').waitFor({ state: 'visible' });
    times.push(Date.now() - t0);
    await page.close();
  }
  console.log(`first render on loopback: ${Math.min(...times)} ms best of 3 (${times.join(', ')} ms)`);
}

const app = await startApp();
try {
  await firstRender(app);
  await measure(app, { name: 'issue bar', brokers: 3, partitions: 12, members: 4, rate: 10000 });
  await measure(app, { name: 'scale', brokers: 50, partitions: 1000, members: 64, rate: 10000 });
} finally {
  await app.close();
}
