//! End-to-end tests of the comparison view, as an architect and a trainer use it: open a ready-made
//! comparison, play it, inject one fault into every run at once, read the scorecard and see the runs
//! overlaid on the charts; and branch a single run ("What if…") into two futures that share their
//! past exactly (same trace hash) until one of them takes a different fault.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startApp, openApp, seekTo, until, ARTIFACTS } from './harness.mjs';

let app;
before(async () => { app = await startApp(); });
after(async () => { await app?.close(); });

/** The simulated time the comparison shows, in ms. */
async function compareTimeMs(page) {
  const text = await page.getByTestId('compare-time').innerText();
  const m = text.match(/t = (\d+):(\d+)\.(\d+)/);
  return m ? (Number(m[1]) * 60 + Number(m[2])) * 1000 + Number(m[3]) : -1;
}

test('open a comparison, play it, crash a broker in every run, read the scorecard', { timeout: 120_000 }, async () => {
  const page = await openApp(app);
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  const view = page.getByTestId('compare');
  await until(() => page.locator('#comparison option').count(), (n) => n >= 6, 20_000);
  await page.locator('#comparison').selectOption('log-vs-queue');
  await until(() => view.locator('article.lane').count(), (n) => n === 4, 20_000);
  assert.equal(await page.getByTestId('compare-status').innerText(), 'Paused.');

  await page.locator('#compare-speed').selectOption('100');
  await page.getByRole('button', { name: 'Play' }).click();
  await until(() => compareTimeMs(page), (t) => t >= 8_000, 30_000);
  await page.getByRole('button', { name: 'Pause' }).click();
  await until(() => page.getByTestId('compare-status').innerText(), (s) => s === 'Paused.');
  const at = await compareTimeMs(page);

  // The same fault, at the same moment, in all four runs.
  const hashesBefore = await Promise.all([0, 1, 2, 3].map((i) => page.getByTestId(`lane-hash-${i}`).innerText()));
  await page.locator('#compare-fault').selectOption({ label: 'Crash broker 0' });
  await page.locator('#compare-target').selectOption('all');
  await page.getByRole('button', { name: 'Apply now' }).click();
  await until(() => view.getByText('Applied:').count(), (n) => n === 4);
  const applied = await view.locator('article.lane p.small-print').allInnerTexts();
  for (const line of applied) assert.match(line, /Applied: t = 00:\d\d\.\d{3} Crash broker 0/);
  const hashesAfter = await Promise.all([0, 1, 2, 3].map((i) => page.getByTestId(`lane-hash-${i}`).innerText()));
  for (let i = 0; i < 4; i++) assert.notEqual(hashesAfter[i], hashesBefore[i], `run ${i} took the fault`);
  assert.equal(await compareTimeMs(page), at, 'applying a fault does not move the clock');

  // Play on to the end; the scorecard shows every run and marks what differs.
  await page.getByRole('button', { name: 'Run to end' }).click();
  await until(() => page.getByTestId('compare-status').innerText(), (s) => s.startsWith('Finished'), 60_000);
  const card = page.getByTestId('scorecard');
  const heads = await card.locator('thead th').allInnerTexts();
  assert.deepEqual(heads.slice(1), ['kafka-1-partition', 'kafka-3-partitions', 'rabbitmq-classic', 'rabbitmq-quorum']);
  const design = await card.locator('tr[data-key="design"] td').allInnerTexts();
  assert.deepEqual(design, ['log', 'log', 'queue', 'queue']);
  assert.match(await card.locator('tr[data-key="design"] th').innerText(), /^≠ /, 'a differing row is marked');
  const replay = await card.locator('tr[data-key="replay"] td').allInnerTexts();
  assert.match(replay[0], /^yes/);
  assert.equal(replay[2], 'no');
  // Three charts, one line per run, a fault marker on each.
  for (const id of ['compare-chart-throughput', 'compare-chart-latency', 'compare-chart-backlog']) {
    const chart = page.getByTestId(id);
    assert.equal(await chart.locator('polyline').count(), 4, id);
    assert.equal(await chart.locator('line.marker.fault').count(), 1, id);
    assert.match(await chart.getAttribute('aria-label'), /run kafka-1-partition .* now \(peak /);
  }
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.screenshot({ path: join(ARTIFACTS, 'compare.png'), fullPage: true });

  // Back to the single run, which waited where it was.
  await page.getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('trace-hash').waitFor();
  assert.deepEqual(page.errors, []);
});

test('what if: two futures share the past, then split on a different fault', { timeout: 120_000 }, async () => {
  const page = await openApp(app);
  await seekTo(page, 5_000);
  const past = await page.getByTestId('trace-hash').innerText();
  await page.getByRole('button', { name: 'What if…' }).click();
  await until(() => page.getByTestId('compare').locator('article.lane').count(), (n) => n === 2, 20_000);
  assert.match(await page.getByTestId('branch-note').innerText(), /^Branched at t = 00:05\.000/);
  assert.equal(await page.getByTestId('lane-hash-0').innerText(), past, 'run A is the run so far');
  assert.equal(await page.getByTestId('lane-hash-1').innerText(), past, 'run B shares the past exactly');

  await page.locator('#compare-fault').selectOption({ label: 'Crash broker 1' });
  await page.locator('#compare-target').selectOption({ label: 'run B' });
  await page.getByRole('button', { name: 'Apply now' }).click();
  await until(() => page.getByTestId('lane-hash-1').innerText(), (h) => h !== past);
  assert.equal(await page.getByTestId('lane-hash-0').innerText(), past, 'only run B took the fault');
  await page.locator('#compare-speed').selectOption('100');
  await page.getByRole('button', { name: 'Play' }).click();
  await until(() => compareTimeMs(page), (t) => t >= 9_000, 30_000);
  await page.getByRole('button', { name: 'Pause' }).click();
  await until(() => page.getByTestId('compare-status').innerText(), (s) => s === 'Paused.');
  const a = await page.getByTestId('lane-hash-0').innerText();
  const b = await page.getByTestId('lane-hash-1').innerText();
  assert.notEqual(a, b);
  await page.screenshot({ path: join(ARTIFACTS, 'what-if.png'), fullPage: true });

  // A comparison file that does not parse is explained, and the view keeps working.
  await page.locator('#compare-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"base": "mm1", "variants": [{"label": "x", "set": {"seed": "seven"}}]}') });
  await until(() => page.getByTestId('compare-errors').count(), (n) => n === 1);
  assert.match(await page.getByTestId('compare-errors').innerText(), /seed/);
  assert.equal(await page.getByTestId('lane-hash-1').innerText(), b, 'the open comparison stays');
  assert.deepEqual(page.errors, []);
});
