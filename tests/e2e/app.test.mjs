//! End-to-end tests of the web app as a person uses it: the release build in dist/, served locally,
//! in headless Chromium. They check that the page loads cleanly, that the live figures show, that Play,
//! Pause, Step and Reset drive the simulation (simulated time moves, records are produced and consumed,
//! equal runs give equal trace hashes), and that every control has an accessible name.
//! Screenshots go to tests/e2e/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startApp, openApp, count, simTimeMs, until, ARTIFACTS } from './harness.mjs';

let app;
before(async () => { app = await startApp(); });
after(async () => { await app?.close(); });

const FIGURES = ['sim-time', 'produced', 'acked', 'consumed', 'lag', 'events', 'trace-hash'];

/** The app needs a built-in scenario that parses before Play can do anything: say so plainly. */
async function assertScenarioLoaded(page) {
  const play = page.getByRole('button', { name: 'Play' });
  const status = await page.getByTestId('status').innerText();
  const errors = await page.getByTestId('scenario-errors').allInnerTexts();
  assert.ok(await play.isEnabled(),
    `Play is disabled: no built-in scenario is loaded (status: ${status}; errors: ${errors.join(' ') || 'none'})`);
}

test('the page loads with no console errors', { timeout: 60_000 }, async () => {
  const page = await openApp(app);
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(ARTIFACTS, 'loaded.png') });
  assert.equal(await page.title(), 'Streamlab — a Kafka cluster, simulated');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the live figures are visible and well formed', { timeout: 60_000 }, async () => {
  const page = await openApp(app);
  for (const id of FIGURES) {
    assert.ok(await page.getByTestId(id).isVisible(), `figure ${id} is not visible`);
  }
  await simTimeMs(page);
  assert.match(await page.getByTestId('trace-hash').innerText(), /^[0-9a-f]{16}$/);
  for (const id of ['produced', 'acked', 'consumed', 'lag', 'events']) {
    assert.match(await page.getByTestId(id).innerText(), /^[0-9\u2009]+$/, `figure ${id}`);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('every control has an accessible name', { timeout: 60_000 }, async () => {
  const page = await openApp(app);
  const named = [
    page.getByRole('combobox', { name: 'Scenario' }),
    page.getByRole('spinbutton', { name: 'Seed' }),
    page.getByRole('button', { name: 'Play' }),
    page.getByRole('button', { name: 'Step' }),
    page.getByRole('button', { name: 'Reset' }),
    page.getByRole('combobox', { name: 'Speed' }),
  ];
  for (const control of named) assert.equal(await control.count(), 1, `${control}`);
  // Nothing interactive without a name, in every panel: an aria-label, a <label> (for= or wrapping),
  // or (for a button) its text.
  const unnamed = await page.locator('button, select, input, textarea, a[href]').evaluateAll((els) => els
    .filter((el) => {
      const label = el.getAttribute('aria-label')
        || (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent)
        || el.closest('label')?.textContent
        || (el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent : '');
      return !label || !label.trim();
    })
    .map((el) => el.outerHTML.slice(0, 120)));
  assert.deepEqual(unnamed, []);
  assert.ok(await page.locator('button, select, input').count() > 20, 'the panels offer their controls');
  await page.close();
});

test('Play advances simulated time; records are produced and consumed', { timeout: 90_000 }, async () => {
  const page = await openApp(app);
  await assertScenarioLoaded(page);
  assert.equal(await simTimeMs(page), 0);
  await page.getByRole('combobox', { name: 'Speed' }).selectOption('10');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.getByRole('button', { name: 'Pause' }).waitFor({ timeout: 5_000 });

  const t = await until(() => simTimeMs(page), (ms) => ms >= 5_000, 20_000);
  assert.ok(t >= 5_000, `simulated time only reached ${t} ms after Play at 10×`);
  const produced = await until(() => count(page, 'produced'), (n) => n > 0, 20_000);
  const consumed = await until(() => count(page, 'consumed'), (n) => n > 0, 20_000);
  await page.screenshot({ path: join(ARTIFACTS, 'playing.png') });
  assert.ok(produced > 0, 'no record was produced');
  assert.ok(await count(page, 'acked') > 0, 'no record was acked');
  assert.ok(consumed > 0, 'no record was consumed');
  assert.ok(await count(page, 'events') > 0, 'the engine processed no event');

  await page.getByRole('button', { name: 'Pause' }).click();
  const paused = await simTimeMs(page);
  await page.waitForTimeout(300);
  assert.equal(await simTimeMs(page), paused, 'simulated time moved while paused');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Step advances 100 ms; Reset and the same steps give the same trace hash', { timeout: 60_000 }, async () => {
  const page = await openApp(app);
  await assertScenarioLoaded(page);
  const step = page.getByRole('button', { name: 'Step' });
  for (let i = 0; i < 30; i++) await step.click();
  assert.equal(await simTimeMs(page), 3_000);
  const hash = await page.getByTestId('trace-hash').innerText();
  const events = await count(page, 'events');
  assert.ok(events > 0, 'three simulated seconds ran no event');

  await page.getByRole('button', { name: 'Reset' }).click();
  assert.equal(await simTimeMs(page), 0);
  for (let i = 0; i < 30; i++) await step.click();
  assert.equal(await page.getByTestId('trace-hash').innerText(), hash);
  assert.equal(await count(page, 'events'), events);
  await page.screenshot({ path: join(ARTIFACTS, 'stepped.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('one event at a time: each said in words, and back over it exactly', { timeout: 60_000 }, async () => {
  const page = await openApp(app);
  await assertScenarioLoaded(page);
  for (let i = 0; i < 5; i++) await page.getByRole('button', { name: 'Step' }).click();
  const next = page.getByRole('button', { name: 'Next event' });
  const narration = page.getByTestId('narration');
  await next.click();
  const first = { events: await count(page, 'events'), hash: await page.getByTestId('trace-hash').innerText(), words: await narration.innerText() };
  assert.match(first.words, /^Event [\d\u2009]+ at t = \d\d:\d\d\.\d{3}: .+\.$/);
  assert.equal(Number(/^Event ([\d\u2009]+)/.exec(first.words)[1].replace(/\u2009/g, '')), first.events);
  await next.click();
  assert.equal(await count(page, 'events'), first.events + 1);
  const second = { hash: await page.getByTestId('trace-hash').innerText(), words: await narration.innerText() };
  assert.notEqual(second.words, first.words);
  // Back one event: the very run after the first step, with the same words.
  await page.getByRole('button', { name: 'Previous event' }).click();
  assert.equal(await count(page, 'events'), first.events);
  assert.equal(await page.getByTestId('trace-hash').innerText(), first.hash);
  assert.equal(await narration.innerText(), first.words);
  // Shift+→ is the next event again, identical to the first time.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Shift+ArrowRight');
  await until(() => count(page, 'events'), (n) => n === first.events + 1);
  assert.equal(await page.getByTestId('trace-hash').innerText(), second.hash);
  assert.equal(await narration.innerText(), second.words);
  await page.getByRole('region', { name: 'Live figures' }).or(page.locator('section[aria-labelledby="figures-title"]')).first().screenshot({ path: join(ARTIFACTS, 'event-step.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a run in the browser ends with the same trace hash as the native CLI', { timeout: 120_000 }, async () => {
  // scripts/test.sh runs `streamlab run quickstart --json` natively and passes its trace hash here:
  // the same scenario and seed must give the same bits in wasm32 as on x86_64.
  const expected = process.env.STREAMLAB_QUICKSTART_HASH;
  assert.match(expected ?? '', /^[0-9a-f]{16}$/, 'STREAMLAB_QUICKSTART_HASH is not set (run through scripts/test.sh)');
  const page = await openApp(app);
  await assertScenarioLoaded(page);
  await page.getByRole('combobox', { name: 'Scenario' }).selectOption({ label: 'quickstart' });
  await page.getByRole('combobox', { name: 'Speed' }).selectOption('max');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.getByRole('button', { name: 'Play' }).waitFor({ timeout: 90_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'finished.png') });
  assert.equal(await page.getByTestId('trace-hash').innerText(), expected);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a panic shows an error panel with the run so far instead of a dead page', { timeout: 60_000 }, async () => {
  const page = await app.context.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  await page.goto(app.url + '#debug-panic');
  const panel = page.getByTestId('crash');
  await panel.waitFor({ timeout: 15_000 });
  assert.match(await panel.innerText(), /hit a bug and stopped/i);
  assert.match(await panel.innerText(), /deliberate panic/);
  const session = await panel.getByRole('textbox', { name: 'The run so far, to copy' }).inputValue();
  assert.match(session, /seed: \d+/);
  assert.match(session, /actions: \[/);
  assert.ok(consoleErrors.some((e) => e.includes('deliberate panic')), 'the panic is on the console too');
  await page.screenshot({ path: join(ARTIFACTS, 'panic.png') });
  await page.close();
});
