// The web UI end to end: a real store made with the CLI, a spawned `mlx server`, and headless
// Chromium clicking through runs, charts, artifacts, compare, the registry and the login form.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, ROOT, tempProject } from './helpers/cli.js';
import { bulkRuns, launchBrowser, newPage, screenshot, startTrackingServer, stopAllServers, type TrackingServer } from './helpers/ui.js';

const T = 60_000;
const FIXTURES = path.join(ROOT, 'test/fixtures/seed-pipeline');
const XSS = '<img src=x onerror=alert(1)>';
const TOKEN = 'ui-test-token-0123456789';

function ok(dir: string, args: string[]): string {
  const r = mlx(dir, args);
  expect(r.code, `mlx ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A training run: acc and loss at steps 0..9, one second apart, and two params. */
function train(dir: string, name: string, lr: number): string {
  const script = `for (let s = 0; s < 10; s++) { const t = 1700000000000 + s * 1000;
    console.log('::mlx metric acc=' + (0.5 + s * ${lr}) + ' step=' + s + ' timestamp=' + t);
    console.log('::mlx metric loss=' + (1 / (1 + s * ${lr})) + ' step=' + s + ' timestamp=' + t); }`;
  const r = mlx(dir, [
    'run',
    '--experiment',
    'vision',
    '--name',
    name,
    '--param',
    `lr=${lr}`,
    '--param',
    'optimizer=adam',
    '--',
    process.execPath,
    '-e',
    script,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return /run ([0-9a-f]{32})/.exec(r.stderr)![1];
}

let dir: string;
let shots: string;
let server: TrackingServer;
let browser: Browser;
const runs: Record<string, string> = {};
const temps: string[] = [];

beforeAll(async () => {
  dir = tempProject('mlx-ui-');
  temps.push(dir);
  // MLX_UI_SCREENSHOTS keeps the screenshots in a folder of your choice; else they go with the temp files.
  shots = process.env.MLX_UI_SCREENSHOTS ? path.resolve(process.env.MLX_UI_SCREENSHOTS) : fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-ui-shots-'));
  fs.mkdirSync(shots, { recursive: true });
  runs.a = train(dir, 'run-a', 0.01);
  runs.b = train(dir, 'run-b', 0.03);
  runs.c = train(dir, 'run-c', 0.02);
  runs.x = train(dir, XSS, 0.005);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello from the artifact preview\nline two\n');
  ok(dir, ['log', 'artifact', 'notes.txt', '--run', runs.b]);
  ok(dir, ['log', 'artifact', path.join(FIXTURES, 'sticker-160x120-rgba.png'), '--run', runs.b, '--artifact-path', 'plots']);
  ok(dir, ['log', 'artifact', path.join(FIXTURES, 'seed-cnn.onnx'), '--run', runs.b, '--artifact-path', 'model']);
  ok(dir, [
    'register',
    `runs:/${runs.b}/model`,
    '--name',
    'pets',
    '--alias',
    'champion',
    '--labels',
    path.join(FIXTURES, 'labels.txt'),
    '--description',
    'Pet classifier. <script>alert(2)</script> [bad](javascript:alert(3)) **bold**',
  ]);
  server = await startTrackingServer(dir, path.join(dir, '.mlx'));
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stopAllServers();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
  if (!process.env.MLX_UI_SCREENSHOTS && shots) fs.rmSync(shots, { recursive: true, force: true });
});

async function openRuns(page: Page): Promise<void> {
  await page.goto(`${server.base}/`);
  await page.waitForURL(/#\/experiments$/);
  await page.locator('#experiments a.exp-link', { hasText: 'vision' }).click();
  await page.locator('#runs tbody tr').first().waitFor();
}

const runNames = (page: Page) => page.locator('#runs tbody a.run-link').allTextContents();

describe('web UI in headless Chromium', () => {
  it(
    'lists runs, filters them with the search grammar, sorts by a metric, and shows names as text',
    async () => {
      const { page, problems } = await newPage(browser);
      await openRuns(page);
      expect((await runNames(page)).sort()).toEqual([XSS, 'run-a', 'run-b', 'run-c'].sort());
      // The run named like markup is text: no <img> in the table, no alert.
      expect(await page.locator('#runs img').count()).toBe(0);
      expect(await page.locator('#runs thead th[data-sort="metrics.acc"]').count()).toBe(1);
      expect(await page.locator('#runs thead th[data-sort="params.lr"]').count()).toBe(1);

      await page.fill('#filter', 'metrics.acc > 0.6');
      await page.press('#filter', 'Enter');
      await expect.poll(() => page.locator('#runs tbody tr').count()).toBe(2);
      expect((await runNames(page)).sort()).toEqual(['run-b', 'run-c']);

      await page.click('#runs th[data-sort="metrics.acc"]');
      await page.waitForURL(/order=metrics\.acc/);
      await page.locator('#runs th.sorted[data-sort="metrics.acc"]').waitFor();
      expect(await runNames(page)).toEqual(['run-b', 'run-c']);
      await page.click('#runs th[data-sort="metrics.acc"]');
      await page.waitForURL(/order=metrics\.acc\+ASC|order=metrics\.acc%20ASC/);
      await page.locator('#runs th[aria-sort="ascending"]').waitFor();
      expect(await runNames(page)).toEqual(['run-c', 'run-b']);
      await screenshot(page, shots, 'runs-filtered');

      // A filter the server refuses: its message, on one line, and no table.
      await page.fill('#filter', 'metrics.acc >> 1');
      await page.press('#filter', 'Enter');
      const error = page.locator('p.error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/^Invalid filter.*position/);
      expect((await error.textContent())!.split('\n')).toHaveLength(1);
      expect(problems).toEqual([]);
    },
    T,
  );

  it(
    'opens a run: params, a chart of its metric history, step/time axis, artifact previews and downloads',
    async () => {
      const { page, problems } = await newPage(browser);
      await openRuns(page);
      await page.locator('#runs a.run-link', { hasText: 'run-b' }).click();
      await page.waitForURL(new RegExp(`#/runs/${runs.b}`));
      expect(await page.locator('#run-name').textContent()).toBe('run-b');
      expect(await page.locator('#params').textContent()).toContain('0.03');
      // One chart per metric (MLflow's model-metrics tab), then time on x for all of them.
      const chart = page.locator('#run-chart .metric-chart[data-metric="acc"] .chart');
      await chart.locator('canvas').waitFor();
      expect(await chart.getAttribute('data-points')).toBe('10');
      expect(await chart.getAttribute('data-x')).toBe('step');
      await page.locator('#run-chart .metric-chart[data-metric="loss"] .chart[data-points="10"] canvas').waitFor();
      await page.check('input[name="xmode"][value="time"]');
      await page.locator('#run-chart .metric-chart[data-metric="loss"] .chart[data-x="time"][data-points="10"] canvas').waitFor();
      await screenshot(page, shots, 'run-chart');

      await page.click('#artifacts button.file-name[data-path="notes.txt"]');
      await page.locator('#artifact-preview pre').waitFor();
      expect(await page.locator('#artifact-preview pre').textContent()).toBe('hello from the artifact preview\nline two\n');
      await page.click('#artifacts button.dir[data-path="plots"]');
      await page.click('#artifacts button.file-name[data-path="plots/sticker-160x120-rgba.png"]');
      const img = page.locator('#artifact-preview img');
      await img.waitFor();
      await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBe(160);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#artifacts button.download[data-path="notes.txt"]')]);
      expect(download.suggestedFilename()).toBe('notes.txt');
      expect(fs.readFileSync(await download.path(), 'utf8')).toContain('hello from the artifact preview');
      await screenshot(page, shots, 'run-artifacts');
      expect(problems).toEqual([]);
    },
    T,
  );

  it(
    'compares two picked runs: differing values highlighted, one metric overlaid',
    async () => {
      const { page, problems } = await newPage(browser);
      await openRuns(page);
      await page.check(`#runs tbody input[data-run="${runs.a}"]`);
      await page.check(`#runs tbody input[data-run="${runs.c}"]`);
      expect(await page.locator('#compare').textContent()).toBe('Compare (2)');
      await page.click('#compare');
      await page.waitForURL(/#\/compare\?runs=/);
      const table = page.locator('#compare-table');
      await table.waitFor();
      expect(await table.locator('tr.diff[data-key="lr"]').count()).toBe(1);
      expect(await table.locator('tr.same[data-key="optimizer"]').count()).toBe(1);
      await page.locator('#compare-chart .chart[data-series="2"][data-points="20"] canvas').waitFor();
      await page.selectOption('#compare-metric', 'loss');
      await page.waitForURL(/metric=loss/);
      // Seconds since each run's start on x: the runs overlay point for point.
      await page.check('input[name="compare-x"][value="relative"]');
      await page.locator('#compare-chart .chart[data-x="relative"][data-points="20"] canvas').waitFor();
      await screenshot(page, shots, 'compare');
      expect(problems).toEqual([]);
    },
    T,
  );

  it(
    'browses the registry: models, a version with its signature, labels and rendered model card',
    async () => {
      const { page, problems } = await newPage(browser);
      await page.goto(`${server.base}/#/models`);
      await page.locator('#models a.model-link', { hasText: 'pets' }).click();
      await page.locator('#versions a.version-link', { hasText: 'Version 1' }).click();
      await page.locator('#model-card').waitFor();
      expect(await page.locator('#version-title').textContent()).toBe('pets version 1');
      expect(await page.locator('#sha256').textContent()).toMatch(/^[0-9a-f]{64}$/);
      expect(await page.locator('#sig-inputs').textContent()).toContain('image');
      expect(await page.locator('#labels li').count()).toBe(5);
      expect(await page.locator('#model-card h1').first().textContent()).toMatch(/pets/);
      expect(await page.locator('#model-card table').count()).toBeGreaterThan(0);
      // The description's markup is shown as text, and the javascript: link is inert.
      expect(await page.locator('#model-card').textContent()).toContain('<script>alert(2)</script>');
      expect(await page.locator('#model-card script').count()).toBe(0);
      expect(await page.locator('#model-card a', { hasText: 'bad' }).evaluateAll((links) => links.map((a) => a.getAttribute('href')))).toEqual(['#', '#']);
      expect(await page.locator('#model-card strong', { hasText: 'bold' }).count()).toBeGreaterThan(0);
      const [model] = await Promise.all([page.waitForEvent('download'), page.click('#download-model')]);
      expect(fs.statSync(await model.path()).size).toBe(fs.statSync(path.join(FIXTURES, 'seed-cnn.onnx')).size);
      await screenshot(page, shots, 'model-card');
      expect(problems).toEqual([]);
    },
    T,
  );

  it(
    'asks for the token of a server started with --token, and sends it on every request',
    async () => {
      const guarded = await startTrackingServer(dir, path.join(dir, '.mlx'), ['--token', TOKEN]);
      const { page, problems } = await newPage(browser);
      await page.goto(`${guarded.base}/#/runs/${runs.b}`);
      await page.locator('#login').waitFor();
      await screenshot(page, shots, 'login');
      await page.fill('#token', 'not-the-token');
      await page.click('#login button[type=submit]');
      await page.locator('#login .error').waitFor();
      await page.fill('#token', TOKEN);
      await page.click('#login button[type=submit]');
      await page.locator('#run-chart .chart canvas').first().waitFor();
      // Artifact previews go through fetch with the Bearer header too.
      await page.click('#artifacts button.file-name[data-path="notes.txt"]');
      await page.locator('#artifact-preview pre').waitFor();
      expect(await page.locator('#logout').isVisible()).toBe(true);
      await page.click('#logout');
      await page.locator('#login').waitFor();
      expect(problems).toEqual([]);
      await guarded.stop();
    },
    T,
  );

  it('pages through 10,000 runs on the server', async () => {
    const big = tempProject('mlx-ui-big-');
    temps.push(big);
    ok(big, ['experiments', 'create', 'placeholder']);
    const expId = bulkRuns(path.join(big, '.mlx'), 'sweep', 10_000);
    const bigServer = await startTrackingServer(big, path.join(big, '.mlx'));
    const { page, problems } = await newPage(browser);
    await page.goto(`${bigServer.base}/#/experiments/${expId}`);
    await expect.poll(() => page.locator('#runs tbody tr').count()).toBe(50);
    expect(await page.locator('#page-info').textContent()).toBe('Runs 1–50');
    const first = (await runNames(page))[0];
    expect(first).toBe('bulk-09999');
    await page.click('#next');
    await page.locator('#page-info', { hasText: /^Runs 51–100$/ }).waitFor();
    expect((await runNames(page))[0]).toBe('bulk-09949');
    await page.click('#prev');
    await page.locator('#page-info', { hasText: /^Runs 1–50$/ }).waitFor();
    await page.click('#runs th[data-sort="metrics.acc"]');
    await page.locator('#runs th.sorted[data-sort="metrics.acc"]').waitFor();
    expect(await page.locator('#runs tbody tr').count()).toBe(50);
    // A param over more runs than the page sorts itself (5,000): the server's text order, said so.
    await page.click('#runs th[data-sort="params.seed"]');
    await page.locator('#sort-note', { hasText: 'Over 5,000 runs' }).waitFor();
    expect((await runNames(page)).slice(0, 3)).toEqual(['bulk-00000', 'bulk-00001', 'bulk-00010']);
    await screenshot(page, shots, 'runs-10000');
    expect(problems).toEqual([]);
    await bigServer.stop();
  }, 120_000);

  it(
    'renders Markdown without letting markup through',
    async () => {
      const { page } = await newPage(browser);
      await page.goto(`${server.base}/#/models`);
      // A string, so the test runner's transform of import() does not reach the browser.
      const md =
        '# T <img src=x onerror=alert(1)>\n\n| a | b |\n|---|--:|\n| `x\\|y` | [l](javascript:alert(1)) |\n\n```\n<script>alert(1)</script>\n```\n\n- [ok](https://example.com) <b>b</b>\n  - nested';
      const html = await page.evaluate<string>(`import('/ui/js/markdown.js').then((m) => m.renderMarkdown(${JSON.stringify(md)}).innerHTML)`);
      expect(html).not.toMatch(/<img|<script|<b>|javascript:/);
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(html).toContain('<code>x|y</code>');
      expect(html).toContain('href="https://example.com"');
      expect(html).toMatch(/<ul><li>.*<ul><li>nested<\/li><\/ul><\/li><\/ul>/s);
    },
    T,
  );

  it('saved its screenshots', () => {
    for (const name of ['runs-filtered', 'run-chart', 'run-artifacts', 'compare', 'model-card', 'login', 'runs-10000'])
      expect(fs.statSync(path.join(shots, `${name}.png`)).size, name).toBeGreaterThan(1000);
  });
});
