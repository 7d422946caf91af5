//! End-to-end tests of the cluster, consumer group and event log panels, as a trainer uses them: crash
//! a partition's leader and see the new leader and the shrunken ISR; add a consumer and see the group
//! rebalance; reset a group's offsets and see the committed offsets jump back (replay); start a replay
//! group; the event log tells each of these in words. Screenshots go to tests/e2e/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startApp, openApp, count, simTimeMs, until, seekTo, startSeek, seekLanded, ARTIFACTS, appLoaded } from './harness.mjs';

let app;
before(async () => { app = await startApp(); });
after(async () => { await app?.close(); });

/** Play at 10× until simulated time reaches `ms`, then pause (a few frames later). */
async function playUntil(page, ms) {
  await page.getByRole('combobox', { name: 'Speed' }).selectOption('10');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  const t = await until(() => simTimeMs(page), (t) => t >= ms, 30_000, 20);
  assert.ok(t >= ms, `simulated time reached only ${t} ms of ${ms}`);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
}

async function selectScenario(page, name) {
  await page.getByRole('combobox', { name: 'Scenario' }).selectOption({ label: name });
}

test('crashing a leader moves leadership and shrinks the ISR', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  await playUntil(page, 3_000);
  const row = page.getByTestId('partition-orders-0');
  const before = await row.getByTestId('leader').innerText();
  const oldLeader = Number(/★ (\d+)/.exec(before)[1]);
  assert.equal((await row.getByTestId('isr').innerText()).split(',').length, 3, 'all three replicas in sync first');
  await page.getByRole('button', { name: 'Crash the leader of orders-0' }).click();
  await assert.doesNotReject(page.getByTestId(`broker-${oldLeader}-status`).getByText('✕ down').waitFor({ timeout: 5_000 }));
  // Until the controller notices, the dead broker is still the leader, and the page says so.
  await row.getByText('✕ leader down').waitFor({ timeout: 2_000 });
  // Let the controller notice (broker.session.timeout.ms) and elect a new leader. Seek rather than
  // play: the scenario restarts the crashed broker at 20 s, and a pause lands a few frames late.
  const crashedAt = await simTimeMs(page);
  assert.ok(crashedAt < 6_000, `crashed at ${crashedAt} ms`);
  await seekTo(page, 18_000);
  assert.equal(await simTimeMs(page), 18_000);
  const after = await row.getByTestId('leader').innerText();
  const newLeader = Number(/★ (\d+)/.exec(after)?.[1]);
  assert.notEqual(newLeader, oldLeader, `leader still ${after}`);
  const isr = (await row.getByTestId('isr').innerText()).split(',').map((s) => Number(s.trim()));
  assert.ok(!isr.includes(oldLeader) && isr.length === 2, `ISR ${isr}`);
  await assert.doesNotReject(page.getByTestId('event-log').getByText(/crash/i).first().waitFor({ timeout: 2_000 }));
  // The metrics panel compares Kafka's JMX figures with their values just before the crash.
  const metrics = page.getByTestId('metrics');
  // (The scenario's own crash at 10 s is the latest fault by now.)
  assert.match(await metrics.locator('thead').innerText(), /Before crash_leader at 00:\d\d\.\d{3}/);
  const urp = (await metrics.getByRole('row', { name: /UnderReplicatedPartitions/ }).innerText()).split(/\s+/).filter(Boolean);
  assert.equal(urp[1], '6', `UnderReplicatedPartitions now: ${urp}`);
  assert.match(urp[2], /^\d+$/, `UnderReplicatedPartitions before: ${urp}`);
  await page.screenshot({ path: join(ARTIFACTS, 'crash-leader.png'), fullPage: true });
  // Restart it from its card: it runs at once, and is back in service once the controller has its
  // heartbeat.
  await page.getByRole('button', { name: `Restart broker ${oldLeader}` }).click();
  assert.doesNotMatch(await page.getByTestId(`broker-${oldLeader}-status`).innerText(), /down/);
  await playUntil(page, (await simTimeMs(page)) + 3_000);
  await page.getByTestId(`broker-${oldLeader}-status`).getByText('✓ up').waitFor({ timeout: 5_000 });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a consumer added from the page makes the group rebalance', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  await selectScenario(page, 'rebalance-eager');
  await playUntil(page, 10_000);
  const group = page.getByTestId('group-billing');
  assert.equal(await group.getByTestId('group-state').innerText(), 'Stable');
  await page.getByRole('button', { name: 'Add a consumer to billing' }).click();
  await playUntil(page, 18_000);
  await group.getByTestId('member-billing-3').waitFor({ timeout: 5_000 });
  assert.match(await group.getByText(/^Rebalances \(\d+\)$/).innerText(), /Rebalances \([1-9]/);
  await assert.doesNotReject(page.getByTestId('event-log').getByText(/billing/).first().waitFor({ timeout: 2_000 }));
  await page.screenshot({ path: join(ARTIFACTS, 'rebalance.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('resetting offsets to earliest replays the partition from the start', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  await playUntil(page, 8_000);
  const group = page.getByTestId('group-billing');
  await group.getByText(/^Partitions of billing/).click();
  const committed = async () => Number((await group.getByTestId('gp-billing-orders-0').getByTestId('committed').innerText()).replace(/\D/g, '') || '0');
  const before = await committed();
  assert.ok(before > 50, `committed ${before} before the reset`);
  // A bad value is explained, not applied.
  await group.getByRole('combobox', { name: 'Reset offsets' }).selectOption('offset');
  await group.getByRole('textbox').fill('-3');
  await group.getByRole('button', { name: 'Apply' }).click();
  await group.getByRole('alert').getByText(/whole number/).waitFor({ timeout: 2_000 });
  assert.equal(await committed(), before);
  await group.getByRole('combobox', { name: 'Reset offsets' }).selectOption('earliest');
  await group.getByRole('button', { name: 'Apply' }).click();
  assert.equal(await committed(), 0, 'the committed offset jumped back to the log start');
  await assert.doesNotReject(page.getByTestId('event-log').getByText(/--to-earliest/).first().waitFor({ timeout: 2_000 }));
  const consumedBefore = await count(page, 'consumed');
  await playUntil(page, 12_000);
  assert.ok(await count(page, 'consumed') > consumedBefore + before, 'the history was consumed again');
  await page.getByRole('button', { name: /New group .history. from the earliest offset/ }).click();
  await page.getByTestId('group-history').waitFor({ timeout: 5_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'replay.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('stepping back and seeking re-simulate the same run exactly', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  const hash = () => page.getByTestId('trace-hash').innerText();
  const step = page.getByRole('button', { name: 'Step', exact: true });
  await step.click();
  await step.click();
  const atTwo = await hash();
  await step.click();
  assert.equal(await simTimeMs(page), 300);
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  assert.equal(await simTimeMs(page), 200);
  assert.equal(await hash(), atTwo, 'back at 200 ms, the run is the one that stood there');
  // The keyboard: ← goes back, → steps.
  await page.locator('body').press('ArrowLeft');
  assert.equal(await simTimeMs(page), 100);
  await page.locator('body').press('ArrowRight');
  assert.equal(await simTimeMs(page), 200);
  assert.equal(await hash(), atTwo);
  // The timeline slider seeks forwards and backwards.
  const seek = (ms) => seekTo(page, ms);
  await seek(6000);
  assert.equal(await simTimeMs(page), 6000);
  await page.getByRole('button', { name: 'Crash broker 0' }).click();
  await page.getByTestId('broker-0-status').getByText('✕ down').waitFor({ timeout: 2_000 });
  const crashedAt6 = await hash();
  await seek(8000);
  await seek(6000);
  assert.equal(await hash(), crashedAt6, 'the crash at 6 s is replayed when going back to 6 s');
  await seek(3000);
  await page.getByTestId('broker-0-status').getByText('✓ up').waitFor({ timeout: 2_000 });
  assert.match(await page.getByTestId('notice').innerText(), /1 later action was undone/);
  await page.screenshot({ path: join(ARTIFACTS, 'rewound.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

/** The trace hash `streamlab run STEM --until-ms MS` prints: the native run to that moment. */
function cliHash(stem, ms) {
  const bin = process.env.STREAMLAB_BIN;
  assert.ok(bin, 'STREAMLAB_BIN must name the native streamlab binary (scripts/test.sh sets it)');
  return JSON.parse(execFileSync(bin, ['run', stem, '--until-ms', String(ms), '--json'], { encoding: 'utf8' })).trace_hash;
}

test('a long seek sweeps there frame by frame, and going back starts from a saved copy; both land on the CLI\'s run', { timeout: 120_000 }, async () => {
  const page = await openApp(app);
  await selectScenario(page, 'bench');
  const status = () => page.getByTestId('status').innerText();
  // Count the page's animation frames while the seek runs: the page keeps drawing.
  await page.evaluate(() => {
    window.__frames = 0;
    const tick = () => { window.__frames += 1; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  await startSeek(page, 20_000);
  assert.match(await status(), /^Going to t = 00:20\.000 \(Pause stops here\)\.$/);
  assert.ok((await simTimeMs(page)) < 20_000, 'the first slice does not get there');
  await page.locator('section[aria-labelledby="figures-title"]').screenshot({ path: join(ARTIFACTS, 'seeking.png') });
  await seekLanded(page);
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(frames >= 10, `${frames} animation frames drawn during a seek of millions of events`);
  assert.equal(await simTimeMs(page), 20_000);
  assert.equal(await status(), 'Paused.');
  assert.equal(await page.getByTestId('trace-hash').innerText(), cliHash('bench', 20_000));
  // Back 100 ms: from the latest copy before 19.9 s, not from t = 0.
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await seekLanded(page);
  assert.equal(await simTimeMs(page), 19_900);
  assert.equal(await page.getByTestId('trace-hash').innerText(), cliHash('bench', 19_900));
  // Pause stops a seek where it got to.
  await startSeek(page, 40_000);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const stopped = await simTimeMs(page);
  assert.ok(stopped > 19_900 && stopped < 40_000, `stopped at ${stopped} ms`);
  assert.equal(await status(), 'Paused.');
  await page.screenshot({ path: join(ARTIFACTS, 'seek-stopped.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the scenario editor checks as you type, runs your version and keeps it across a reload', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  const editor = page.getByRole('textbox', { name: 'Scenario JSON' });
  await page.getByText('Scenario (JSON)').click();
  const original = await editor.inputValue();
  // An invalid edit: every error with its path, nothing run, the app keeps working.
  await editor.fill(original.replace('"duration_ms": 30000', '"duration_ms": -5').replace('"brokers": 3', '"brokers": "three"'));
  const errors = await page.getByTestId('editor-errors').innerText();
  assert.match(errors, /\$\.duration_ms: out of range/);
  assert.match(errors, /\$\.cluster\.brokers: expected an integer, got the string "three"/);
  assert.ok(await page.getByRole('button', { name: 'Run this scenario' }).isDisabled());
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  assert.equal(await simTimeMs(page), 100, 'the loaded run still works');
  // Another design is the CLI's: the page says so and keeps the run it has.
  await editor.fill(original.replace('"duration_ms": 30000', '"duration_ms": 30000, "design": "queue"'));
  await page.getByRole('button', { name: 'Run this scenario' }).click();
  assert.match(await page.getByTestId('editor-errors').innerText(), /\$\.design: the single run is the log design; open this in Compare/);
  assert.equal(await simTimeMs(page), 100, 'the loaded run is untouched');
  await editor.fill(original.replace('"duration_ms": 30000', '"duration_ms": 30000, "fraud": {}'));
  assert.match(await page.getByTestId('editor-errors').innerText(), /\$\.fraud: another design's section: the single run is the log design/);
  // A valid edit runs from t = 0 with the new figures.
  await editor.fill(original.replace('"duration_ms": 30000', '"duration_ms": 12345'));
  assert.match(await page.getByTestId('editor-status').innerText(), /valid scenario/);
  await page.getByRole('button', { name: 'Run this scenario' }).click();
  assert.match(await page.locator('.clock').innerText(), /of 00:12\.345/);
  // A reload brings the edit back, and runs it.
  await page.reload();
  await appLoaded(page);
  assert.match(await page.locator('.clock').innerText(), /of 00:12\.345/);
  assert.match(await page.getByRole('textbox', { name: 'Scenario JSON' }).inputValue(), /"duration_ms": 12345/);
  await page.screenshot({ path: join(ARTIFACTS, 'editor.png'), fullPage: true });
  // Revert gives the built-in back.
  await page.getByRole('button', { name: 'Revert to the built-in' }).click();
  assert.match(await page.locator('.clock').innerText(), /of 00:30\.000/);
  assert.deepEqual(page.errors, []);
  // A corrupt store is reported and set aside, not dropped.
  await page.evaluate(() => localStorage.setItem('streamlab.workspace', '{"version": 1, "seed": oops'));
  await page.reload();
  await page.getByTestId('storage-problem').waitFor({ timeout: 5_000 });
  assert.match(await page.getByTestId('storage-problem').innerText(), /could not be loaded/);
  assert.equal(await page.evaluate(() => localStorage.getItem('streamlab.workspace.unreadable')), '{"version": 1, "seed": oops');
  await page.close();
});
