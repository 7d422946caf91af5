//! End-to-end tests of the views that explain a run: the partition log (cells per replica, the
//! un-replicated tail, group cursors that jump back on a replay), the charts (a traffic spike from the
//! producers panel shows as lag rising on the chart, and the canvas is drawn, not blank), and the
//! event log, whose times seek the run.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startApp, openApp, simTimeMs, seekTo, ARTIFACTS } from './harness.mjs';

let app;
before(async () => { app = await startApp(); });
after(async () => { await app?.close(); });

/** How many pixels of a canvas differ from its top-left pixel (the background). */
const inkedPixels = (page, testid) => page.getByTestId(testid).evaluate((c) => {
  const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - data[0]) + Math.abs(data[i + 1] - data[1]) + Math.abs(data[i + 2] - data[2]) > 30) n++;
  }
  return n;
});

/** "billing 6 now (peak 881)" → 881, from a chart's text alternative. */
const peakOf = async (page, testid, line) => {
  const label = await page.getByTestId(testid).getAttribute('aria-label');
  const m = new RegExp(`${line} [\\d\\s\\u2009\\u202f]+ now \\(peak ([\\d\\s\\u2009\\u202f]+)\\)`).exec(label);
  assert.ok(m, `no ${line} in ${label}`);
  return Number(m[1].replace(/\D/g, ''));
};

test('a traffic spike started from the producers panel shows as lag rising on the chart', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  await seekTo(page, 4_000);
  const lagBefore = await peakOf(page, 'chart-lag', 'billing');
  const producer = page.getByTestId('producer-checkout');
  // A bad duration is explained and nothing happens.
  await producer.getByRole('textbox', { name: 'Spike duration in seconds for checkout' }).fill('forever');
  await producer.getByRole('button', { name: 'Start spike' }).click();
  await producer.getByRole('alert').getByText('“forever” is not a number of seconds').waitFor({ timeout: 2_000 });
  await producer.getByRole('combobox', { name: 'Spike factor for checkout' }).selectOption('10');
  await producer.getByRole('textbox', { name: 'Spike duration in seconds for checkout' }).fill('3');
  await producer.getByRole('button', { name: 'Start spike' }).click();
  assert.match(await producer.getByTestId('rate').innerText(), /2\s?000\/s ⚡ spike \(normally 200\/s\)/);
  await seekTo(page, 8_000);
  const lagAfter = await peakOf(page, 'chart-lag', 'billing');
  assert.ok(lagAfter > 5 * Math.max(lagBefore, 10), `lag peak ${lagBefore} → ${lagAfter}`);
  assert.ok(await inkedPixels(page, 'chart-lag') > 500, 'the lag chart is drawn');
  assert.ok(await inkedPixels(page, 'chart-rate') > 500, 'the rate chart is drawn');
  assert.match(await page.getByText(/^ fault \(\d+\)/).innerText(), /fault \(1\)/);
  await page.getByTestId('chart-lag').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'charts-spike.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the log shows each replica, the un-replicated tail and cursors that jump back on a replay', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  const log = page.getByTestId('log-view');
  await seekTo(page, 8_000);
  const leaderRow = log.locator('.log-row').first();
  assert.match(await leaderRow.locator('.who').innerText(), /broker \d ★/);
  assert.equal(await log.locator('[data-testid^="log-row-"]').count(), 3, 'one row per replica');
  assert.equal(await leaderRow.locator('.cell').count(), 40);
  const offsets = await leaderRow.getByTestId('offsets').innerText();
  assert.match(offsets, /^start 0 · HW \d+ · LEO \d+$/);
  // Crash the leader: its row is marked down, and the followers stop at the high watermark they
  // last heard of, so their last record shows hatched (above their high watermark: not yet readable).
  await page.getByRole('button', { name: 'Crash the leader of orders-0' }).click();
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  assert.match(await leaderRow.locator('.who').innerText(), /★ ✕/);
  assert.ok(await log.locator('.cell.tail').count() >= 1, 'the un-replicated tail is visible');
  // The group's cursors: position ▲ and committed ◆ under the cells.
  const cursor = log.getByTestId('cursor-billing');
  assert.match(await cursor.innerText(), /position [\d\s]+ · committed [\d\s]+/);
  // A reset to the earliest offset makes the committed cursor jump back to 0.
  const group = page.getByTestId('group-billing');
  await group.getByRole('combobox', { name: 'Reset offsets' }).selectOption('earliest');
  await group.getByRole('button', { name: 'Apply' }).click();
  assert.match(await cursor.innerText(), /committed 0/);
  await log.getByRole('button', { name: 'Show older offsets' }).click();
  await log.getByRole('button', { name: 'Show older offsets' }).click();
  await log.getByRole('button', { name: 'Follow the end' }).click();
  await log.getByRole('combobox', { name: 'Partition shown in the log' }).selectOption('3');
  assert.match(await log.locator('.log-row').first().getByTestId('offsets').innerText(), /^start 0 · HW \d+ · LEO \d+$/);
  await log.screenshot({ path: join(ARTIFACTS, 'log-view.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a time in the event log seeks the run to that moment', { timeout: 60_000 }, async () => {
  const page = await openApp(app);
  await seekTo(page, 12_000);
  // The scenario crashes the leader of orders-0 at 10 s.
  const line = page.getByTestId('event-log').locator('li', { hasText: /crash/i }).first();
  const time = line.getByRole('button');
  const label = await time.getAttribute('aria-label');
  const m = /^Go to (\d\d):(\d\d)\.(\d{3})$/.exec(label);
  assert.ok(m, label);
  await time.click();
  assert.equal(await simTimeMs(page), (Number(m[1]) * 60 + Number(m[2])) * 1000 + Number(m[3]));
  assert.deepEqual(page.errors, []);
  await page.close();
});

/** Pick built-in scenario `label` and seek to its end. */
async function openAtEnd(page, label) {
  await page.getByRole('combobox', { name: 'Scenario' }).selectOption({ label });
  const end = Number(await page.getByRole('slider', { name: 'Time' }).getAttribute('max'));
  await seekTo(page, end);
}

test('the checker lists a lost record and its story says how it was lost', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  await openAtEnd(page, 'acks1-loss');
  const checker = page.getByTestId('checker');
  const lost = checker.getByTestId('findings-lost');
  assert.equal(await lost.getByTestId('count').innerText(), '1');
  await lost.locator('summary').click();
  await lost.getByRole('button', { name: /^Show me record #\d+ of / }).click();
  const story = checker.getByTestId('record-story');
  await story.getByTestId('lost').waitFor({ timeout: 2_000 });
  const text = await story.innerText();
  assert.match(text, /✓ Sent \(no copy of it is left/);
  assert.match(text, /✓ Acknowledged to payments-api/);
  assert.match(text, /· Appended not in any replica's log/);
  await page.screenshot({ path: join(ARTIFACTS, 'checker-lost.png'), fullPage: true });
  await story.getByRole('button', { name: 'Close' }).click();
  assert.equal(await checker.getByTestId('record-story').count(), 0);
  // A cell of the log opens the story of that record.
  await page.getByTestId('log-view').locator('button.cell').first().click();
  assert.match(await checker.getByTestId('record-story').innerText(), /The story of .+ #\d+/);
  assert.match(await checker.getByTestId('record-story').innerText(), /✓ Appended to \S+-0 at offset \d+/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the log outlines the duplicates and order violations the checker found', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  await openAtEnd(page, 'reordering');
  const log = page.getByTestId('log-view');
  // The lossy network of this lesson leaves duplicates and reordered records in every partition;
  // the last offsets of at least one of them hold some, outlined, with the reason in the tooltip.
  let flagged = 0;
  for (const p of ['0', '1', '2']) {
    await log.getByRole('combobox', { name: 'Partition shown in the log' }).selectOption(p);
    flagged = await log.locator('button.cell.flagged').count();
    if (flagged > 0) break;
  }
  assert.ok(flagged > 0, 'some cells are outlined');
  const title = await log.locator('button.cell.flagged').first().getAttribute('title');
  assert.match(title, /^⚠ (duplicate|stored out of order for its key|processed out of order for its key) · offset \d+/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a record's story shows its key sent, stored and processed, with the records out of place marked", { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  await openAtEnd(page, 'reordering');
  const checker = page.getByTestId('checker');
  const late = checker.getByTestId('findings-processing');
  assert.ok(Number((await late.getByTestId('count').innerText()).replace(/,/g, '')) > 0);
  await late.locator('summary').click();
  const show = late.getByRole('button', { name: /^Show me record #\d+ of / }).first();
  const seq = /#(\d+)/.exec(await show.getAttribute('aria-label'))[1];
  await show.click();
  const orders = checker.getByTestId('key-orders');
  await orders.waitFor({ timeout: 2_000 });
  // Sent: ascending sequence numbers, this record among them.
  const sent = (await orders.getByTestId('send-order').locator('.seq').allInnerTexts()).map((t) => Number(t.replace(/^\D*#/, '')));
  assert.ok(sent.length > 5 && sent.every((s, i) => i === 0 || sent[i - 1] < s), sent.join(' '));
  assert.ok(sent.includes(Number(seq)));
  // Processed by the group: this record marked ⇵, with the later record it came after in its tooltip.
  const processed = orders.getByTestId('processing-order').first();
  const here = processed.locator('.seq.this');
  assert.match(await here.innerText(), new RegExp(`^⇵#${seq}$`));
  assert.match(await here.getAttribute('title'), /^processed after #\d+, which was sent later$/);
  assert.match(await orders.innerText(), /Stored in \S+-\d/);
  await checker.screenshot({ path: join(ARTIFACTS, 'key-orders.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});
