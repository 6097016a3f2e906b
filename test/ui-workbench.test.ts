// The web UI as a place to work (issue 22, items 6, 8 and 13-17), end to end: a store made with the
// CLI (runs, a real `mlx sweep`, artifacts), a spawned `mlx server`, and headless Chromium charting,
// editing through the REST API, registering, comparing and browsing sweeps. Every edit is checked
// in the store through the API afterwards; every refused input is checked to have written nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, ROOT, tempProject } from './helpers/cli.js';
import { launchBrowser, newPage, screenshot, startTrackingServer, stopAllServers, type TrackingServer } from './helpers/ui.js';

const T = 90_000;
const MODEL = path.join(ROOT, 'test/fixtures/seed-pipeline/seed-cnn.onnx');
const TOKEN = 'workbench-token-0123456789';

let dir: string;
let shots: string;
let server: TrackingServer;
let browser: Browser;
const ids: Record<string, string> = {};
const exps: Record<string, string> = {};

function ok(args: string[]): string {
  const r = mlx(dir, args);
  expect(r.code, `mlx ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stderr;
}

/** A run of train.js: acc and loss over 10 steps, margin from -2 to 7, final_f1 logged once. */
function train(experiment: string, name: string, lr: number, bs: number): string {
  const err = ok([
    'run',
    '--experiment',
    experiment,
    '--name',
    name,
    '--param',
    `lr=${lr}`,
    '--param',
    `bs=${bs}`,
    '--',
    process.execPath,
    'train.js',
    String(lr),
    '3',
  ]);
  return /run ([0-9a-f]{32})/.exec(err)![1];
}

/** The tracking API of the server under test, as a client would call it. */
async function api(method: string, endpoint: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const get = method === 'GET';
  const url = `${server.base}/api/2.0/mlflow/${endpoint}${get && body ? `?${new URLSearchParams(body as Record<string, string>)}` : ''}`;
  const res = await fetch(url, {
    method,
    // Asks for mlx's facts among a version's tags, as the UI does (plain MLflow clients see only their own tags).
    headers: { 'Content-Type': 'application/json', 'X-MLX-Model-Facts': 'true', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: get ? undefined : JSON.stringify(body ?? {}),
  });
  return { status: res.status, body: await res.json() };
}
const tagsOf = (run: any) => Object.fromEntries((run.data.tags ?? []).map((t: any) => [t.key, t.value]));
const getRun = async (id: string) => (await api('GET', 'runs/get', { run_id: id })).body.run;

beforeAll(async () => {
  dir = tempProject('mlx-ui-work-');
  shots = process.env.MLX_UI_SCREENSHOTS ? path.resolve(process.env.MLX_UI_SCREENSHOTS) : fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-ui-shots-'));
  fs.mkdirSync(shots, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'train.js'),
    `const lr = Number(process.argv[2]); const depth = Number(process.argv[3]);
for (let s = 0; s < 10; s++) {
  console.log('::mlx metric acc=' + (1 - 0.5 * Math.exp(-s * lr * depth)) + ' step=' + s);
  console.log('::mlx metric loss=' + (Math.exp(-s * lr) + 0.001) + ' step=' + s);
  console.log('::mlx metric margin=' + (s - 2) + ' step=' + s);
}
console.log('::mlx metric final_f1=' + (0.8 + lr / 10));\n`,
  );
  // bs as text sorts 1024, 128, 16, 8: the table must sort it as numbers.
  ids.a = train('vision', 'run-a', 0.1, 128);
  ids.b = train('vision', 'run-b', 0.3, 8);
  ids.c = train('vision', 'run-c', 0.2, 1024);
  ids.d = train('vision', 'run-d', 0.4, 16);
  ids.edit = train('editing', 'to-edit', 0.1, 8);
  fs.writeFileSync(path.join(dir, 'preds.csv'), 'id,label,score\n1,cat,0.93\n2,"dog, big",0.81\n3,bird,0.7\n');
  ok(['log', 'artifact', 'preds.csv', '--run', ids.b]);
  // 5,000 rows (~120 KB): more than the preview reads, cut mid-row.
  fs.writeFileSync(path.join(dir, 'big.csv'), 'n,text\n' + Array.from({ length: 5000 }, (_, i) => `${i},"row ${i}, quoted"`).join('\n') + '\n');
  ok(['log', 'artifact', 'big.csv', '--run', ids.b]);
  ok(['log', 'artifact', MODEL, '--run', ids.b, '--artifact-path', 'model']);
  const sweep = mlx(dir, [
    'sweep',
    '-e',
    'sweeps',
    '-n',
    'lr-sweep',
    '-p',
    'lr=0.05,0.1,0.2,0.4',
    '-p',
    'depth=1,3,7',
    '--metric',
    'acc',
    '--goal',
    'max',
    '--',
    process.execPath,
    'train.js',
    '{lr}',
    '{depth}',
  ]);
  expect(sweep.code, sweep.stderr).toBe(0);
  ids.sweep = /sweep ([0-9a-f]{32})/.exec(sweep.stdout + sweep.stderr)![1];
  server = await startTrackingServer(dir, path.join(dir, '.mlx'));
  for (const name of ['vision', 'editing', 'sweeps'])
    exps[name] = (await api('GET', 'experiments/get-by-name', { experiment_name: name })).body.experiment.experiment_id;
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stopAllServers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (!process.env.MLX_UI_SCREENSHOTS && shots) fs.rmSync(shots, { recursive: true, force: true });
});

async function open(page: Page, hash: string, ready: string): Promise<void> {
  await page.goto(`${server.base}/${hash}`);
  await page.locator(ready).first().waitFor();
}

describe('run page', () => {
  it(
    'charts each metric on its own axes with log scale and smoothing, shows single values as values, and previews CSV near the top',
    async () => {
      const { page, problems } = await newPage(browser);
      await open(page, `#/runs/${ids.b}`, '#run-chart .metric-chart canvas');
      const charts = page.locator('#run-chart .metric-chart');
      await expect.poll(() => charts.evaluateAll((els) => els.map((e) => (e as any).dataset.metric))).toEqual(['acc', 'loss', 'margin']);
      // final_f1 was logged once: a value, not a chart.
      expect(await page.locator('#single-values .value-tile[data-metric="final_f1"] .tile-value').textContent()).toBe('0.83');
      expect(await page.locator('#run-chart .metric-chart[data-metric="final_f1"]').count()).toBe(0);
      // Each chart has its own y scale: acc spans 0.5..1, loss 0..1, margin -2..7.
      const ranges = await charts.evaluateAll((els) =>
        els.map((e) => {
          const u = (e.querySelector('.chart') as any).chart;
          return [Math.round(u.scales.y.min * 10) / 10, Math.round(u.scales.y.max * 10) / 10];
        }),
      );
      expect(new Set(ranges.map((r) => r.join())).size).toBe(3);
      // Log scale: the three values <= 0 of margin cannot be drawn and are counted, not faked.
      const margin = page.locator('#run-chart .metric-chart[data-metric="margin"]');
      await margin.locator('input.log-toggle').check();
      await margin.locator('.chart[data-log="true"][data-dropped="3"] canvas').waitFor();
      expect(await margin.locator('.chart').evaluate((e) => (e as any).chart.scales.y.distr)).toBe(3);
      expect(await margin.locator('.small-note').textContent()).toBe('3 values ≤ 0 not drawn on the log scale.');
      // Smoothing: the raw line stays, faint, under the smoothed one.
      const acc = page.locator('#run-chart .metric-chart[data-metric="acc"]');
      await acc.locator('input.smoothing').evaluate((e) => {
        const input = e as any;
        input.value = '0.8';
        input.dispatchEvent(new Event('input'));
        input.dispatchEvent(new Event('change'));
      });
      await expect.poll(() => acc.locator('.chart').evaluate((e) => (e as any).chart?.series.map((s: any) => s.label))).toEqual(['step', 'acc (raw)', 'acc']);
      const [raw, smoothed] = await acc.locator('.chart').evaluate((e) => [(e as any).chart.data[1], (e as any).chart.data[2]]);
      expect(smoothed[0]).toBeCloseTo(raw[0], 9);
      expect(smoothed[5]).toBeLessThan(raw[5]);
      expect(await acc.locator('.smoothing-value').textContent()).toBe('0.80');

      // The artifacts come before the charts, and a CSV shows as a table (quoted comma kept).
      const order = await page.evaluate<number>("document.getElementById('artifacts').compareDocumentPosition(document.getElementById('run-chart'))");
      expect(order & 4).toBe(4);
      await page.click('#artifacts button.file-name[data-path="preds.csv"]');
      const csv = page.locator('#csv-preview');
      await csv.waitFor();
      expect(await csv.locator('thead th').allTextContents()).toEqual(['id', 'label', 'score']);
      expect(await csv.locator('tbody tr').nth(1).locator('td').allTextContents()).toEqual(['2', 'dog, big', '0.81']);
      expect(await page.locator('#artifact-preview').textContent()).toContain('3 rows, 3 columns');
      await page.click('#artifacts button.file-name[data-path="big.csv"]');
      await page.locator('#artifact-preview h3', { hasText: 'big.csv' }).waitFor();
      await page.locator('#csv-preview').waitFor();
      expect(await page.locator('#csv-preview tbody tr').count()).toBe(100);
      expect(await page.locator('#csv-preview tbody tr').last().locator('td').allTextContents()).toEqual(['99', 'row 99, quoted']);
      expect(await page.locator('#artifact-preview').textContent()).toMatch(/The first 100 rows, 2 columns \(\d+\.\d KiB in all\); download for the rest\./);
      await page.click('#artifacts button.file-name[data-path="preds.csv"]');
      await page.locator('#artifact-preview h3', { hasText: 'preds.csv' }).waitFor();
      await screenshot(page, shots, 'work-run-charts');
      expect(problems).toEqual([]);
    },
    T,
  );

  it(
    'refreshes the charts of a RUNNING run every few seconds and stops once it ends',
    async () => {
      const expId = (await api('POST', 'experiments/create', { name: 'live' })).body.experiment_id;
      const run = (await api('POST', 'runs/create', { experiment_id: expId, run_name: 'live-run' })).body.run;
      const id = run.info.run_id;
      const log = (step: number) => api('POST', 'runs/log-metric', { run_id: id, key: 'loss', value: 1 / (step + 1), step, timestamp: Date.now() });
      // Opened before its first metric: the page waits for it rather than saying "No metrics".
      const { page, problems } = await newPage(browser);
      await open(page, `#/runs/${id}`, '#run-chart');
      await expect.poll(() => page.locator('#run-chart').textContent()).toBe('No metrics yet.');
      await log(0);
      await log(1);
      await page.locator('#run-chart .metric-chart[data-metric="loss"] .chart[data-points="2"] canvas').waitFor({ timeout: 20_000 });
      expect(await page.locator('#live').textContent()).toMatch(/live/);
      await log(2);
      await log(3);
      await page.locator('#run-chart .metric-chart[data-metric="loss"] .chart[data-points="4"] canvas').waitFor({ timeout: 20_000 });
      expect((await api('POST', 'runs/update', { run_id: id, status: 'FINISHED', end_time: Date.now() })).status).toBe(200);
      await page.locator('#live', { hasText: 'refresh stopped' }).waitFor({ timeout: 20_000 });
      expect(await page.locator('#run-status').textContent()).toBe('FINISHED');
      expect(problems).toEqual([]);
    },
    T,
  );

  it(
    'renames a run, writes its Markdown description, sets and removes tags and deletes it, all stored through the API; refuses bad input',
    async () => {
      const { page, problems } = await newPage(browser);
      await open(page, `#/runs/${ids.edit}`, '#run-name');
      // Rename; an empty name is refused before anything is sent.
      await page.click('.rename-btn');
      await page.fill('#run-name-input', '   ');
      await page.press('#run-name-input', 'Enter');
      expect(await page.locator('.rename .error').textContent()).toBe('A name cannot be empty.');
      expect((await getRun(ids.edit)).info.run_name).toBe('to-edit');
      await page.fill('#run-name-input', 'baseline <b>v2</b>');
      await page.press('#run-name-input', 'Enter');
      await expect.poll(() => page.locator('#run-name').textContent()).toBe('baseline <b>v2</b>');
      expect((await getRun(ids.edit)).info.run_name).toBe('baseline <b>v2</b>');

      // Description: Markdown rendered, markup shown as text, stored as mlflow.note.content.
      const note = '## Notes\n\n**Better** than run-a. <img src=x onerror=alert(1)> [bad](javascript:alert(2))';
      await page.click('#run-description button.edit');
      await page.fill('#run-description textarea', note);
      await page.click('#run-description button[type=submit]');
      await page.locator('#run-description .markdown strong', { hasText: 'Better' }).waitFor();
      expect(await page.locator('#run-description img').count()).toBe(0);
      expect(await page.locator('#run-description a', { hasText: 'bad' }).getAttribute('href')).toBe('#');
      expect(tagsOf(await getRun(ids.edit))['mlflow.note.content']).toBe(note);

      // Tags: set, refused (the server's message, nothing stored), removed.
      const tags = page.locator('#run-tags');
      await tags.locator('input[name="tag-key"]').fill('team');
      await tags.locator('input[name="tag-value"]').fill('vision');
      await tags.locator('button[type=submit]').click();
      await tags.locator('button.remove-tag[data-key="team"]').waitFor();
      expect(tagsOf(await getRun(ids.edit)).team).toBe('vision');
      await tags.locator('input[name="tag-key"]').fill('bad\u0001key');
      await tags.locator('button[type=submit]').click();
      await expect.poll(() => tags.locator('.error').textContent()).toMatch(/^tag key "bad\\u0001key" has characters other than letters/);
      expect(Object.keys(tagsOf(await getRun(ids.edit))).filter((k) => k.startsWith('bad'))).toEqual([]);
      await tags.locator('button.remove-tag[data-key="team"]').click();
      await expect.poll(() => tags.locator('button.remove-tag[data-key="team"]').count()).toBe(0);
      expect(tagsOf(await getRun(ids.edit)).team).toBeUndefined();
      await screenshot(page, shots, 'work-run-edit');

      // Delete asks once more inline (no window.confirm), then goes back to the experiment.
      await page.click('#delete-run');
      await page.click('.confirm-yes');
      await page.waitForURL(new RegExp(`#/experiments/${exps.editing}$`));
      expect((await getRun(ids.edit)).info.lifecycle_stage).toBe('deleted');
      // The deleted run's page offers it back.
      await open(page, `#/runs/${ids.edit}`, '#restore-run');
      await page.click('#restore-run');
      await page.locator('#delete-run').waitFor();
      expect((await getRun(ids.edit)).info.lifecycle_stage).toBe('active');
      await api('POST', 'runs/delete', { run_id: ids.edit });
      expect(problems).toEqual([]);
    },
    T,
  );
});

describe('CSV preview reader', () => {
  it('reads RFC 4180 (quotes, doubled quotes, line breaks in quotes, CRLF, BOM, TSV) and drops a row the preview cut', async () => {
    const { page } = await newPage(browser);
    await page.goto(`${server.base}/#/models`);
    const parse = (text: string, delimiter: string, max: number, truncated: boolean) =>
      page.evaluate(`import('/ui/js/csv.js').then((m) => m.parseDelimited(${JSON.stringify(text)}, ${JSON.stringify(delimiter)}, ${max}, ${truncated}))`);
    expect(await parse('\ufeffa,b\r\n1,"x, ""y"""\r\n2,"two\nlines"\n3,last', ',', 100, false)).toEqual({
      rows: [
        ['a', 'b'],
        ['1', 'x, "y"'],
        ['2', 'two\nlines'],
        ['3', 'last'],
      ],
      complete: true,
    });
    expect(await parse('a\tb\n1\t2\n3\t4', '\t', 100, true)).toEqual({
      rows: [
        ['a', 'b'],
        ['1', '2'],
      ],
      complete: false,
    });
    expect(await parse('a\n1\n2\n3\n', ',', 2, false)).toEqual({ rows: [['a'], ['1']], complete: false });
    expect(await parse('', ',', 100, false)).toEqual({ rows: [], complete: true });
  });
});

describe('plot and chart helpers', () => {
  it('picks log axes for learning rates, categories for text, round ticks, 48 distinct colours and debiased smoothing', async () => {
    const { page } = await newPage(browser);
    await page.goto(`${server.base}/#/models`);
    const out: any = await page.evaluate(`Promise.all([import('/ui/js/plots.js'), import('/ui/js/chart.js')]).then(([p, c]) => {
      const lr = p.axisScale(['0.001', '0.01', '0.1']);
      const depth = p.axisScale([2, 4, 8]);
      const opt = p.axisScale(['sgd', 'adam', 'adam', null]);
      const acc = p.axisScale([0.51, 0.73, 0.98, 0.6, 0.7, 0.8, 0.9, 0.95, 0.55]);
      return {
        lr: { log: lr.log, mid: lr.at('0.01'), ticks: lr.ticks.map((t) => t[1]) },
        depth: { log: depth.log, at4: depth.at(4), ticks: depth.ticks.map((t) => t[1]) },
        opt: { numeric: opt.numeric, adam: opt.at('adam'), sgd: opt.at('sgd'), missing: opt.at(null) },
        accTicks: acc.ticks.map((t) => t[1]),
        nice: p.niceTicks(0, 1),
        colours: new Set(Array.from({ length: 48 }, (_, i) => c.colorOf(i))).size,
        smooth: c.smooth([1, 1, 1, null, 1], 0.9),
        raw: c.smooth([3, 4], 0),
      };
    })`);
    expect(out.lr).toEqual({ log: true, mid: 0.5, ticks: ['0.001', '0.01', '0.1'] });
    expect(out.depth).toEqual({ log: false, at4: 1 / 3, ticks: ['2', '4', '8'] });
    expect(out.opt).toEqual({ numeric: false, adam: 0, sgd: 1, missing: null });
    expect(out.accTicks).toEqual(['0.6', '0.7', '0.8', '0.9']);
    expect(out.nice).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(out.colours).toBe(48);
    // Debiased: a constant series stays constant from its first point, and gaps stay gaps.
    expect(out.smooth.map((v: number | null) => (v === null ? null : Math.round(v * 1e9) / 1e9))).toEqual([1, 1, 1, null, 1]);
    expect(out.raw).toEqual([3, 4]);
  });
});

describe('registry editing', () => {
  it(
    'registers a version from a run artifact, then edits descriptions, aliases and tags; a bad alias or tag writes nothing',
    async () => {
      const { page, problems } = await newPage(browser);
      await open(page, `#/runs/${ids.b}`, '#artifacts button.dir[data-path="model"]');
      await page.click('#artifacts button.dir[data-path="model"]');
      await page.click('#artifacts button.register[data-path="model/seed-cnn.onnx"]');
      await page.fill('#register-name', 'cats');
      await page.fill('#register-alias', 'v1');
      await page.click('#register-form button[type=submit]');
      await expect.poll(() => page.locator('#register-form .error').textContent()).toMatch(/"v1" is reserved/);
      expect((await api('GET', 'registered-models/get', { name: 'cats' })).status).toBe(404);
      await page.fill('#register-alias', 'champion');
      await page.click('#register-form button[type=submit]');
      await page.locator('#registered-link', { hasText: 'cats version 1' }).waitFor();
      const v1 = (await api('GET', 'registered-models/alias', { name: 'cats', alias: 'champion' })).body.model_version;
      expect(v1).toMatchObject({ version: '1', run_id: ids.b, source: `runs:/${ids.b}/model/seed-cnn.onnx` });
      // The folder registers too (its one .onnx file): version 2, no alias.
      await page.click('#artifacts button.register[data-path="model"]');
      await page.fill('#register-name', 'cats');
      await page.click('#register-form button[type=submit]');
      await page.locator('#registered-link', { hasText: 'cats version 2' }).waitFor();

      await page.click('#registered-link');
      await page.locator('#version-title', { hasText: 'cats version 2' }).waitFor();
      // The version's run by name and experiment, not by id.
      expect(await page.locator('#version-run').textContent()).toBe('run-b in vision');
      await page.click('#version-description button.edit');
      await page.fill('#version-description textarea', 'Retrained on **April** data.');
      await page.click('#version-description button[type=submit]');
      await page.locator('#version-description strong', { hasText: 'April' }).waitFor();
      expect((await api('GET', 'model-versions/get', { name: 'cats', version: '2' })).body.model_version.description).toBe('Retrained on **April** data.');
      const vtags = page.locator('#version-tags');
      await vtags.locator('input[name="tag-key"]').fill('mlx.sha256');
      await vtags.locator('input[name="tag-value"]').fill('forged');
      await vtags.locator('button[type=submit]').click();
      await expect.poll(() => vtags.locator('.error').textContent()).toMatch(/computed from the model/);
      await vtags.locator('input[name="tag-key"]').fill('reviewed');
      await vtags.locator('input[name="tag-value"]').fill('yes');
      await vtags.locator('button[type=submit]').click();
      await vtags.locator('button.remove-tag[data-key="reviewed"]').waitFor();
      const v2tags = (await api('GET', 'model-versions/get', { name: 'cats', version: '2' })).body.model_version.tags;
      expect(v2tags).toContainEqual({ key: 'reviewed', value: 'yes' });
      expect(v2tags.find((t: any) => t.key === 'mlx.sha256').value).not.toBe('forged');

      // The model page: description, then the alias moved to version 2, a new one, one deleted.
      await open(page, '#/models/cats', '#aliases');
      await page.click('#model-description button.edit');
      await page.fill('#model-description textarea', 'Cats **only**.');
      await page.click('#model-description button[type=submit]');
      await page.locator('#model-description strong', { hasText: 'only' }).waitFor();
      expect((await api('GET', 'registered-models/get', { name: 'cats' })).body.registered_model.description).toBe('Cats **only**.');
      await page.selectOption('select.move-alias[data-alias="champion"]', '2');
      await expect.poll(async () => (await api('GET', 'registered-models/alias', { name: 'cats', alias: 'champion' })).body.model_version?.version).toBe('2');
      await page.locator('#aliases tr', { hasText: '@champion' }).locator('select.move-alias').waitFor();
      expect(await page.locator('#versions tr', { hasText: 'Version 2' }).textContent()).toContain('@champion');
      await page.fill('input.new-alias', 'latest');
      await page.click('.alias-form button[type=submit]');
      await expect.poll(() => page.locator('.aliases-editor > .error').textContent()).toMatch(/reserved/);
      expect((await api('GET', 'registered-models/alias', { name: 'cats', alias: 'latest' })).status).toBe(404);
      await page.fill('input.new-alias', 'staging');
      await page.selectOption('select.new-alias-version', '1');
      await page.click('.alias-form button[type=submit]');
      await page.locator('#aliases tr', { hasText: '@staging' }).waitFor();
      expect((await api('GET', 'registered-models/alias', { name: 'cats', alias: 'staging' })).body.model_version.version).toBe('1');
      await page.locator('#aliases tr', { hasText: '@champion' }).locator('button.delete-alias').click();
      await page.locator('#aliases tr', { hasText: '@champion' }).locator('.confirm-yes').click();
      await expect.poll(() => page.locator('#aliases tr', { hasText: '@champion' }).count()).toBe(0);
      expect((await api('GET', 'registered-models/alias', { name: 'cats', alias: 'champion' })).status).toBe(404);
      const mtags = page.locator('#model-tags');
      await mtags.locator('input[name="tag-key"]').fill('owner');
      await mtags.locator('input[name="tag-value"]').fill('ml-team');
      await mtags.locator('button[type=submit]').click();
      await mtags.locator('button.remove-tag[data-key="owner"]').waitFor();
      expect((await api('GET', 'registered-models/get', { name: 'cats' })).body.registered_model.tags).toContainEqual({ key: 'owner', value: 'ml-team' });
      await screenshot(page, shots, 'work-model-edit');
      // Rename: the page moves to the new name, the registry answers to it, the old name is gone.
      await page.click('.rename-btn');
      await page.fill('#model-name-input', 'felines');
      await page.press('#model-name-input', 'Enter');
      await page.waitForURL(/#\/models\/felines$/);
      await page.locator('#model-name', { hasText: 'felines' }).waitFor();
      expect((await api('GET', 'registered-models/get', { name: 'felines' })).body.registered_model.description).toBe('Cats **only**.');
      expect((await api('GET', 'registered-models/get', { name: 'cats' })).status).toBe(404);
      expect(problems).toEqual([]);
    },
    T,
  );
});

describe('runs table', () => {
  it(
    'puts metrics before params, keeps chosen columns, sorts numeric params as numbers, counts runs and lists runs across experiments by name',
    async () => {
      const { page, problems } = await newPage(browser);
      await open(page, '#/experiments', `.run-count.num[data-experiment="${exps.vision}"]`);
      expect(await page.locator(`.run-count[data-experiment="${exps.vision}"]`).textContent()).toBe('4');
      expect(await page.locator(`.run-count[data-experiment="${exps.sweeps}"]`).textContent()).toBe('13');
      await screenshot(page, shots, 'work-experiments');

      await open(page, `#/experiments/${exps.vision}`, '#runs tbody tr');
      const heads = await page
        .locator('#runs thead tr')
        .nth(1)
        .locator('th')
        .evaluateAll((ths) => ths.map((t) => t.className));
      expect(heads.findIndex((c) => c.includes('metric'))).toBeLessThan(heads.findIndex((c) => c.includes('param')));
      await page.click('#runs th[data-sort="params.bs"]');
      await page.locator('#runs th.sorted[data-sort="params.bs"]').waitFor();
      const names = () => page.locator('#runs tbody a.run-link').allTextContents();
      expect(await names()).toEqual(['run-b', 'run-d', 'run-a', 'run-c']);
      expect(await page.locator('#sort-note').textContent()).toMatch(/as numbers/);
      await page.click('#runs th[data-sort="params.bs"]');
      await page.locator('#runs th[aria-sort="descending"][data-sort="params.bs"]').waitFor();
      expect(await names()).toEqual(['run-c', 'run-a', 'run-d', 'run-b']);

      // Hide loss; the sorted-by column cannot be hidden; the choice survives a reload.
      await page.click('#columns summary');
      expect(await page.locator('#columns input[value="params.bs"]').isDisabled()).toBe(true);
      await page.uncheck('#columns input[value="metrics.loss"]');
      await expect.poll(() => page.locator('#runs th[data-sort="metrics.loss"]').count()).toBe(0);
      await page.reload();
      await page.locator('#runs tbody tr').first().waitFor();
      expect(await page.locator('#runs th[data-sort="metrics.loss"]').count()).toBe(0);
      expect(await page.locator('#columns summary').textContent()).toMatch(/Columns \(\d+ of \d+\)/);
      await page.click('#columns summary');
      await page.check('#columns input[value="metrics.loss"]');
      await page.locator('#runs th[data-sort="metrics.loss"]').waitFor();

      await open(page, '#/experiments', '#all-runs');
      await page.click('#all-runs');
      await page.locator('#runs tbody tr').first().waitFor();
      // Names, never ids: every experiment that has active runs is listed by its name.
      const expNames = [...new Set(await page.locator('#runs td.experiment').allTextContents())];
      expect(expNames).toEqual(expect.arrayContaining(['sweeps', 'vision']));
      expect(expNames.every((n) => !/^\d+$/.test(n))).toBe(true);
      await screenshot(page, shots, 'work-all-runs');
      expect(problems).toEqual([]);
    },
    T,
  );
});

describe('sweeps', () => {
  it(
    'nests trials under their parent, ranks them on the parent page by the sweep metric, links best_run_id and marks early-stopped trials',
    async () => {
      const parent = await getRun(ids.sweep);
      const best = tagsOf(parent).best_run_id;
      const children = (
        await api('POST', 'runs/search', { experiment_ids: [exps.sweeps], filter: `tags.mlflow.parentRunId = '${ids.sweep}'`, max_results: 100 })
      ).body.runs;
      expect(children).toHaveLength(12);
      const acc = (r: any) => r.data.metrics.find((m: any) => m.key === 'acc').value;
      const ranked = [...children].sort((a, b) => acc(b) - acc(a));
      expect(ranked[0].info.run_id).toBe(best);
      // What the median rule records on a trial it stops: KILLED and mlx.early_stopped=true.
      const stopped = ranked[11].info.run_id;
      await api('POST', 'runs/update', { run_id: stopped, status: 'KILLED' });
      await api('POST', 'runs/set-tag', { run_id: stopped, key: 'mlx.early_stopped', value: 'true' });

      const { page, problems } = await newPage(browser);
      await open(page, `#/experiments/${exps.sweeps}`, '#runs tbody tr');
      expect(await page.locator('#runs tbody tr').count()).toBe(1);
      expect(await page.locator('#runs button.expand').textContent()).toBe('▸ 12');
      expect(await page.locator('#page-info').textContent()).toBe('Runs 1–1 · 12 trials under their sweep');
      // The parent's acc is its best trial's: said so, not shown as a second result.
      expect(await page.locator('#runs td.from-best').textContent()).toMatch(/^best (0\.\d+|1)$/);
      await page.click('#runs button.expand');
      await expect.poll(() => page.locator('#runs tr.child').count()).toBe(12);
      expect(await page.locator('#runs tr.child a.run-link').allTextContents()).toEqual(ranked.map((r) => r.info.run_name));
      expect(await page.locator(`#runs tr.child[data-run="${stopped}"] .status`).textContent()).toBe('EARLY_STOPPED');
      await screenshot(page, shots, 'work-sweep-nested');
      await page.check('#flat');
      await expect.poll(() => page.locator('#runs tbody tr').count()).toBe(13);
      expect(await page.locator('#runs a.child-of').count()).toBe(12);

      await open(page, `#/runs/${ids.sweep}`, '#trials tbody tr');
      expect(await page.locator('#trials tbody tr').count()).toBe(12);
      expect(await page.locator('#trials tbody tr').first().getAttribute('data-run')).toBe(best);
      expect(await page.locator('#trials tbody tr').first().locator('.best-chip').count()).toBe(1);
      expect(await page.locator('#trials tbody tr a').allTextContents()).toEqual(ranked.map((r) => r.info.run_name));
      expect(await page.locator(`#trials tr[data-run="${stopped}"] .status`).textContent()).toBe('EARLY_STOPPED');
      expect(await page.locator('#trials-summary').textContent()).toBe('12 trials · sorted by acc, highest first · 1 stopped early');
      expect(await page.locator('#best-run a').getAttribute('href')).toBe(`#/runs/${best}`);
      expect(await page.locator('#best-run a').textContent()).toBe(ranked[0].info.run_name);
      expect(await page.locator('#single-values .value-tile[data-metric="acc"] .tile-key').textContent()).toBe('acc · best trial');
      await screenshot(page, shots, 'work-sweep-parent');
      await page.click('#best-run a');
      await page.waitForURL(new RegExp(`#/runs/${best}$`));
      await open(page, `#/runs/${stopped}`, '#run-status');
      expect(await page.locator('#run-status').textContent()).toBe('EARLY_STOPPED');
      expect(problems).toEqual([]);
    },
    T,
  );

  it(
    'shows the trials of a RUNNING sweep as they arrive, best first',
    async () => {
      const expId = (await api('POST', 'experiments/create', { name: 'sweep-live' })).body.experiment_id;
      const sweepTags = [
        { key: 'mlx.sweep.size', value: '3' },
        { key: 'mlx.sweep.metric', value: 'acc' },
        { key: 'mlx.sweep.goal', value: 'max' },
      ];
      const parent = (await api('POST', 'runs/create', { experiment_id: expId, run_name: 'live-sweep', tags: sweepTags })).body.run.info.run_id;
      const trial = async (n: number, acc: number) => {
        const tags = [
          { key: 'mlflow.parentRunId', value: parent },
          { key: 'mlx.sweep.trial', value: String(n) },
        ];
        const id = (await api('POST', 'runs/create', { experiment_id: expId, run_name: `live-sweep-${n}`, tags })).body.run.info.run_id;
        await api('POST', 'runs/log-metric', { run_id: id, key: 'acc', value: acc, step: 0, timestamp: Date.now() });
        return id;
      };
      const { page, problems } = await newPage(browser);
      await open(page, `#/runs/${parent}`, '#run-name');
      expect(await page.locator('#trials').count()).toBe(0);
      await trial(1, 0.7);
      await page.locator('#trials tbody tr').first().waitFor({ timeout: 20_000 });
      const second = await trial(2, 0.9);
      await expect.poll(() => page.locator('#trials tbody tr').count(), { timeout: 20_000 }).toBe(2);
      expect(await page.locator('#trials tbody tr').first().getAttribute('data-run')).toBe(second);
      expect(await page.locator('#trials tbody tr a').allTextContents()).toEqual(['live-sweep-2', 'live-sweep-1']);
      await api('POST', 'runs/update', { run_id: parent, status: 'FINISHED', end_time: Date.now() });
      expect(problems).toEqual([]);
    },
    T,
  );

  it(
    'compares the 12 trials: sorted by the metric, short ids, 12 distinct colours, a scatter and parallel coordinates',
    async () => {
      const { page, problems } = await newPage(browser);
      await open(page, `#/runs/${ids.sweep}`, '#trials tbody tr');
      await page.click('a:has-text("in Compare")');
      await page.locator('#parallel').waitFor();
      await page.locator('#compare-chart .chart[data-series="12"] canvas').waitFor();
      expect(await page.locator('#compare-table').getAttribute('class')).toContain('wide');
      expect(await page.locator('#compare-sort').inputValue()).toBe('acc');
      const accs = (await page.locator('#compare-table tr[data-key="acc"] td').allTextContents()).map(Number);
      expect(accs).toHaveLength(12);
      expect(accs).toEqual([...accs].sort((a, b) => b - a));
      const shortIds = await page.locator('#compare-table tr[data-key="Run ID"] td').allTextContents();
      expect(shortIds.every((s) => /^[0-9a-f]{8}$/.test(s))).toBe(true);
      const colours = await page
        .locator('#compare-table .swatch')
        .evaluateAll((els) => els.map((e) => (globalThis as any).getComputedStyle(e).backgroundColor));
      expect(new Set(colours).size).toBe(12);
      expect(await page.locator('#compare-table tr[data-key="Experiment"] td').first().textContent()).toBe('sweeps');
      expect(await page.locator('#scatter').getAttribute('data-points')).toBe('12');
      expect(await page.locator('#parallel').getAttribute('data-lines')).toBe('12');
      expect(await page.locator('#parallel').getAttribute('data-axes')).toBe('3');
      expect(await page.locator('#parallel g.axis').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-axis')))).toEqual(['depth', 'lr', 'acc']);
      await page.selectOption('#scatter-x', 'p:lr');
      await expect.poll(() => page.locator('#scatter text.axis-label').first().textContent()).toBe('lr');
      // Lowest first puts the worst trial first.
      await page.selectOption('#compare-dir', 'asc');
      await page.waitForURL(/dir=asc/);
      await page.locator('#parallel').waitFor();
      await page.locator('#compare-chart .chart[data-series="12"] canvas').waitFor();
      // Reading order changed, the metric's goal did not: the best (highest) acc is still the bold one.
      expect(await page.locator('#compare-table tr[data-key="acc"] td.best').textContent()).toBe(String(accs[0]));
      const asc = (await page.locator('#compare-table tr[data-key="acc"] td').allTextContents()).map(Number);
      expect(asc).toEqual([...accs].reverse());
      await screenshot(page, shots, 'work-compare-sweep');
      // A mistyped id in a compare link: named on one line, the other runs still compared.
      await page.goto(`${server.base}/#/compare?runs=${ids.a},${ids.b},nosuchrun0000`);
      await page.locator('#compare-table').waitFor();
      expect(await page.locator('p.error').allTextContents()).toEqual([expect.stringMatching(/^Run "nosuchrun0000" left out: .*nosuchrun0000/)]);
      expect(await page.locator('#compare-table th.run-head').count()).toBe(2);
      expect(problems).toEqual([]);
    },
    T,
  );
});

describe('a server with --token', () => {
  it(
    'sends the token with every edit, and the server refuses the same edit without it',
    async () => {
      const guarded = await startTrackingServer(dir, path.join(dir, '.mlx'), ['--token', TOKEN]);
      const { page, problems } = await newPage(browser);
      await page.goto(`${guarded.base}/#/runs/${ids.a}`);
      await page.locator('#login').waitFor();
      await page.fill('#token', TOKEN);
      await page.click('#login button[type=submit]');
      await page.locator('#run-description button.edit').waitFor();
      await page.click('#run-description button.edit');
      await page.fill('#run-description textarea', 'Edited behind a token.');
      await page.click('#run-description button[type=submit]');
      await page.locator('#run-description .markdown', { hasText: 'Edited behind a token.' }).waitFor();
      expect(tagsOf(await getRun(ids.a))['mlflow.note.content']).toBe('Edited behind a token.');
      const refused = await fetch(`${guarded.base}/api/2.0/mlflow/runs/set-tag`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ run_id: ids.a, key: 'mlflow.note.content', value: 'no token' }),
      });
      expect(refused.status).toBe(401);
      expect(tagsOf(await getRun(ids.a))['mlflow.note.content']).toBe('Edited behind a token.');
      expect(problems).toEqual([]);
      await guarded.stop();
    },
    T,
  );
});
