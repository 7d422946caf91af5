//! End-to-end tests of sharing and reproducing a run, as a trainer does it: make a few moves, press
//! Share, and every attendee who opens the link gets the identical run (same moment, same trace hash);
//! the exported session file replays to that hash in the CLI. A damaged link is explained and the page
//! keeps working. The ⚙ menu's theme and presenter scale stick across a reload.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { startApp, openApp, simTimeMs, seekTo, ARTIFACTS, appLoaded } from './harness.mjs';

const BIN = process.env.STREAMLAB_BIN;

let app;
before(async () => { app = await startApp(); });
after(async () => { await app?.close(); });

test('a shared link and an exported session reproduce the run and its trace hash', { timeout: 90_000 }, async () => {
  assert.ok(BIN, 'STREAMLAB_BIN must name the native streamlab binary (scripts/test.sh sets it)');
  const page = await openApp(app);
  await seekTo(page, 3_000);
  await page.getByRole('button', { name: 'Crash the leader of orders-0' }).click();
  await seekTo(page, 6_000);
  await page.getByRole('button', { name: 'Add a consumer to billing' }).click();
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  const hash = await page.getByTestId('trace-hash').innerText();
  const at = await simTimeMs(page);
  assert.equal(at, 6_200);

  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share this run' });
  assert.match(await dialog.innerText(), new RegExp(`2 actions\\), trace hash ${hash}`));
  const link = await dialog.getByRole('textbox', { name: 'Share link' }).inputValue();
  assert.match(link, /#s1=[A-Za-z0-9_-]+$/);
  assert.ok(link.length < 4_000, `a link of ${link.length} characters`);
  assert.equal(page.url(), link, 'the address bar holds the link too');
  await page.screenshot({ path: join(ARTIFACTS, 'share.png') });

  // The session file replays in the CLI to the same trace hash.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export session' }).click(),
  ]);
  const file = join(tmpdir(), `streamlab-e2e-session-${process.pid}.json`);
  await download.saveAs(file);
  const report = JSON.parse(execFileSync(BIN, ['run', file, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  assert.equal(report.trace_hash, hash, 'the CLI replays the exported session to the hash the page shows');
  assert.equal(report.sim_time_ms, 6_200);
  assert.deepEqual(page.errors, []);
  await page.close();

  // An attendee opens the link: the same moment, the same hash, paused.
  const attendee = await app.context.newPage();
  attendee.errors = [];
  attendee.on('pageerror', (err) => attendee.errors.push(err.message));
  await attendee.goto(link);
  await attendee.getByTestId('sim-time').waitFor();
  assert.equal(await simTimeMs(attendee), 6_200);
  assert.equal(await attendee.getByTestId('trace-hash').innerText(), hash);
  assert.match(await attendee.getByTestId('notice').innerText(), /Opened a shared run: 2 actions replayed/);
  assert.match(await attendee.getByRole('combobox', { name: 'Scenario' }).innerText(), /quickstart \(shared\)/);
  // And it plays on like the original would.
  await attendee.getByRole('button', { name: 'Step', exact: true }).click();
  assert.equal(await simTimeMs(attendee), 6_300);
  assert.deepEqual(attendee.errors, []);
  await attendee.close();
});

test('a damaged link is explained and the page keeps working', { timeout: 60_000 }, async () => {
  const page = await openApp(app);
  await page.goto(`${app.url}#s1=this-is-not-a-session`);
  await appLoaded(page);
  await page.reload();
  await page.getByTestId('link-errors').waitFor({ timeout: 10_000 });
  assert.match(await page.getByTestId('link-errors').innerText(), /link: the link is damaged/);
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  assert.equal(await simTimeMs(page), 100, 'the default scenario runs as before');
  // Base64url that does not unpack, pasted into the address of the open page (no reload).
  await page.evaluate(() => { location.hash = '#s1=AAAA'; });
  await page.getByTestId('link-errors').getByText(/its data does not unpack/).waitFor({ timeout: 5_000 });
  assert.equal(await simTimeMs(page), 100, 'the run is untouched');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the theme and the presenter scale apply at once and survive a reload', { timeout: 60_000 }, async () => {
  const page = await openApp(app);
  await page.getByRole('button', { name: 'Settings: theme and text size' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('radio', { name: 'Dark' }).check();
  await settings.getByRole('radio', { name: '150%' }).check();
  const root = () => page.evaluate(() => [document.documentElement.dataset.theme, getComputedStyle(document.documentElement).fontSize]);
  assert.deepEqual(await root(), ['dark', '22.5px']);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgb(20, 23, 28)', 'the dark palette is in use');
  await page.reload();
  await appLoaded(page);
  assert.deepEqual(await root(), ['dark', '22.5px']);
  await page.screenshot({ path: join(ARTIFACTS, 'dark-presenter.png') });
  await page.getByRole('button', { name: 'Settings: theme and text size' }).click();
  await page.getByRole('dialog', { name: 'Settings' }).getByRole('radio', { name: 'Light' }).check();
  await page.getByRole('dialog', { name: 'Settings' }).getByRole('radio', { name: '100%' }).check();
  assert.deepEqual(await root(), ['light', '15px']);
  assert.deepEqual(page.errors, []);
  await page.close();
});
