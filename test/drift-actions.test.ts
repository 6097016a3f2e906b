// `mlx drift` in a pipeline (issue 5): --fail-on-drift exit codes, the --on-drift retraining
// trigger (no shell, MLX_DRIFT_REPORT), --log-to-run metrics over time, and the --html report
// (self-contained, one SVG per column, well formed; rendered in chromium when it is installed).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlx, mlxJson, tempProject } from './helpers/cli.js';
import { markupProblems, svgElements } from './helpers/markup.js';
import { SEED_FEATURES, write, writeAll } from './fixtures/drift-cli/data.js';

const T = 60_000;
const expected = JSON.parse(fs.readFileSync(new URL('./fixtures/drift-cli/expected.json', import.meta.url), 'utf8'));
const DRIFTS = ['--reference', 'seed-reference.csv', '--current', 'seed-current.csv', '--test', 'ks'];
const CALM = ['--reference', 'seed-reference.csv', '--current', 'seed-reference.csv'];

/** A retraining script that records what it was given (argv, report path and content) and prints `say`. */
const HOOK = `import fs from 'node:fs';
const file = process.env.MLX_DRIFT_REPORT;
fs.writeFileSync('hook-out.json', JSON.stringify({ argv: process.argv.slice(2), file, report: JSON.parse(fs.readFileSync(file, 'utf8')) }));
if (process.env.HOOK_SAY) console.log(process.env.HOOK_SAY);
process.exit(Number(process.env.HOOK_EXIT ?? 0));
`;

function project(): string {
  const dir = writeAll(tempProject('mlx-drift-act-'));
  write(dir, 'hook.mjs', HOOK);
  return dir;
}
const hookOut = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'hook-out.json'), 'utf8'));

// Rendering needs a browser; nothing is installed for it: the check runs only where both exist.
const chromium = spawnSync('which', ['chromium'], { encoding: 'utf8' }).stdout?.trim();
const pwName = 'playwright-core';
const playwright = await import(pwName).catch(() => null);

let dir: string;
beforeAll(() => {
  dir = project();
});

describe('--fail-on-drift', () => {
  it(
    'exits 3 when the dataset drifts, 0 when it does not, 1 on an error; the report is printed either way',
    () => {
      const drifted = mlx(dir, ['drift', ...DRIFTS, '--fail-on-drift']);
      expect(drifted.code).toBe(3);
      expect(drifted.stdout).toMatch(/^Dataset drift: 5 of 5/m);
      const json = mlx(dir, ['drift', ...DRIFTS, '--fail-on-drift', '--json']);
      expect(json.code).toBe(3);
      expect(JSON.parse(json.stdout).dataset_drift).toBe(true);
      expect(mlx(dir, ['drift', ...CALM, '--fail-on-drift']).code).toBe(0);
      expect(mlx(dir, ['drift', ...DRIFTS]).code).toBe(0);
      expect(mlx(dir, ['drift', '-r', 'nope.csv', '-c', 'seed-current.csv', '--fail-on-drift']).code).toBe(1);
    },
    T,
  );
});

describe('--on-drift', () => {
  it(
    'runs the command without a shell, only on drift, with MLX_DRIFT_REPORT = the --json report',
    () => {
      const d = project();
      const cmd = `node hook.mjs arg "$HOME" 'a;b' two\\ words $(id)`;
      const r = mlx(d, ['drift', ...DRIFTS, '--json', '--on-drift', cmd]);
      expect(r.code, r.stderr).toBe(0);
      const got = hookOut(d);
      expect(got.argv).toEqual(['arg', '$HOME', 'a;b', 'two words', '$(id)']);
      expect(got.file).toMatch(/\.json$/);
      expect(got.report).toEqual(JSON.parse(r.stdout));
      expect(got.report.columns.map((c: { column: string }) => c.column)).toEqual([...SEED_FEATURES]);
      // Not run when nothing drifted.
      fs.rmSync(path.join(d, 'hook-out.json'));
      expect(mlx(d, ['drift', ...CALM, '--on-drift', cmd]).code).toBe(0);
      expect(fs.existsSync(path.join(d, 'hook-out.json'))).toBe(false);
    },
    T,
  );

  it(
    'with --fail-on-drift: the hook runs, then the exit code is 3; a failing hook is an error (exit 1)',
    () => {
      const d = project();
      expect(mlx(d, ['drift', ...DRIFTS, '--fail-on-drift', '--on-drift', 'node hook.mjs']).code).toBe(3);
      expect(hookOut(d).report.dataset_drift).toBe(true);
      const failed = mlx(d, ['drift', ...DRIFTS, '--on-drift', 'node hook.mjs'], { env: { HOOK_EXIT: '4' } });
      expect(failed.code).toBe(1);
      expect(failed.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mlx: .*hook\.mjs.*4/)]);
    },
    T,
  );

  it(
    '--json stays one JSON document on stdout even when the hook prints',
    () => {
      const d = project();
      const r = mlx(d, ['drift', ...DRIFTS, '--json', '--on-drift', 'node hook.mjs'], { env: { HOOK_SAY: 'retraining started' } });
      expect(r.code).toBe(0);
      expect(() => JSON.parse(r.stdout), `stdout must be only the report:\n…${r.stdout.slice(-80)}`).not.toThrow();
      expect(r.stderr, "the hook's output is not lost: it goes to stderr").toContain('retraining started');
    },
    T,
  );
});

describe('--log-to-run', () => {
  it(
    'records drift_share, dataset_drift and per-column statistic / p_value / drift, one step per check',
    () => {
      const d = project();
      const run = mlx(d, ['runs', 'start', '--name', 'monitor']).stdout.trim();
      expect(run).toMatch(/^[0-9a-f]{32}$/);
      expect(mlx(d, ['drift', ...DRIFTS, '--log-to-run', run]).code).toBe(0);
      expect(mlx(d, ['drift', ...CALM, '--test', 'ks', '--log-to-run', run]).code).toBe(0);

      const keys = ['drift_share', 'dataset_drift', ...SEED_FEATURES.flatMap((f) => ['statistic', 'p_value', 'drift'].map((m) => `drift.${f}.${m}`))];
      const latest = mlxJson(d, ['runs', 'show', run]).metrics;
      expect(Object.keys(latest).sort()).toEqual([...keys].sort());
      expect(latest).toMatchObject({ drift_share: 0, dataset_drift: 0, 'drift.age.statistic': 0, 'drift.age.p_value': 1, 'drift.age.drift': 0 });
      expect(mlxJson(d, ['compare', run]).runs[0].metrics).toEqual(latest);

      const db = new Database(path.join(d, '.mlx', 'mlx.db'), { readonly: true });
      try {
        const history = (key: string) => db.prepare('SELECT step, value FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step').all(run, key);
        expect(history('drift_share')).toEqual([
          { step: 0, value: 1 },
          { step: 1, value: 0 },
        ]);
        expect(history('dataset_drift')).toEqual([
          { step: 0, value: 1 },
          { step: 1, value: 0 },
        ]);
        for (const f of SEED_FEATURES) {
          const [stat, p, flag] = ['statistic', 'p_value', 'drift'].map((m) => history(`drift.${f}.${m}`) as { step: number; value: number }[]);
          expect(stat.map((h) => h.step)).toEqual([0, 1]);
          expect(stat[0].value).toBeCloseTo(expected.seed_ks[f].statistic, 12);
          expect(Math.abs(p[0].value - expected.seed_ks[f].p_value)).toBeLessThan(1e-12);
          expect(flag.map((h) => h.value)).toEqual([1, 0]);
        }
        expect(db.prepare('SELECT count(*) FROM metrics WHERE run_uuid = ?').pluck().get(run)).toBe(2 * keys.length);
      } finally {
        db.close();
      }
    },
    T,
  );

  it(
    'logs the prediction column too, and distances without a p_value',
    () => {
      const d = project();
      const run = mlx(d, ['runs', 'start']).stdout.trim();
      const args = ['drift', '-r', 'large-reference.csv', '-c', 'large-current.csv', '--prediction-column', 'flag', '--log-to-run', run];
      expect(mlx(d, args).code).toBe(0);
      const m = mlxJson(d, ['runs', 'show', run]).metrics;
      expect(m['drift.flag.statistic']).toBeCloseTo(expected.large_auto.flag.statistic, 12);
      expect(m['drift.num.statistic']).toBeCloseTo(expected.large_auto.num.statistic, 12);
      expect(Object.keys(m).filter((k) => k.endsWith('.p_value'))).toEqual([]);
      expect(m.drift_share).toBe(0.25);
    },
    T,
  );
});

describe('--html', () => {
  function report(d: string, args: string[], file = 'reports/drift.html'): string {
    const r = mlx(d, ['drift', ...args, '--html', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(file);
    return fs.readFileSync(path.join(d, file), 'utf8');
  }

  it(
    'writes one self-contained, well-formed file with the verdict and one SVG chart per column',
    () => {
      const d = project();
      const html = report(d, DRIFTS);
      expect(fs.readdirSync(path.join(d, 'reports'))).toEqual(['drift.html']);
      expect(html).toMatch(/^<!doctype html>/i);
      // Nothing to fetch: no scripts, stylesheets, images or frames by URL; the only URL is the SVG namespace.
      expect(html).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
      expect(html).not.toMatch(/\b(src|href)\s*=/i);
      expect(html).not.toMatch(/url\(|@import/i);
      expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
      expect(markupProblems(html, 'html')).toEqual([]);
      const svgs = svgElements(html);
      expect(svgs).toHaveLength(SEED_FEATURES.length);
      for (const svg of svgs) {
        expect(markupProblems(svg, 'xml')).toEqual([]);
        expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="[\d. ]+"/);
        expect((svg.match(/<rect\b/g) ?? []).length).toBeGreaterThanOrEqual(2);
      }
      for (const f of SEED_FEATURES) expect(html).toMatch(new RegExp(`<h3>${f}\\b`));
      expect(html).toContain('Dataset drift: 5 of 5 columns drifted');
    },
    T,
  );

  it(
    'the no-drift report is well formed too (its verdict compares shares with <)',
    () => {
      const html = report(project(), CALM);
      expect(html).toContain('No dataset drift: 0 of 5 columns drifted');
      expect(markupProblems(html, 'html')).toEqual([]);
    },
    T,
  );

  it(
    'bar charts for categories, the prediction column included, names escaped; --json keeps stdout clean',
    () => {
      const d = project();
      const rows = fs.readFileSync(path.join(d, 'small-reference.csv'), 'utf8').trim().split('\n').slice(1);
      // A hostile column name must come out as text, not markup.
      write(
        d,
        'r.csv',
        `num,"a<b & ""c""",flag\n${rows
          .map((l) => l.split(','))
          .map((c) => [c[0], c[1], c[4]].join(','))
          .join('\n')}\n`,
      );
      write(
        d,
        'c.csv',
        `num,"a<b & ""c""",flag\n${rows
          .map((l) => l.split(','))
          .map((c) => [c[0], c[1] === 'a' ? 'c' : c[1], c[4]].join(','))
          .join('\n')}\n`,
      );
      const r = mlx(d, ['drift', '-r', 'r.csv', '-c', 'c.csv', '--prediction-column', 'flag', '--html', 'out.html', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).prediction.column).toBe('flag');
      const html = fs.readFileSync(path.join(d, 'out.html'), 'utf8');
      expect(markupProblems(html, 'html')).toEqual([]);
      expect(svgElements(html)).toHaveLength(3);
      for (const svg of svgElements(html)) expect(markupProblems(svg, 'xml')).toEqual([]);
      expect(html).toContain('a&lt;b &amp; &quot;c&quot;');
      expect(html).not.toContain('a<b & "c"');
      expect(html).toMatch(/flag[^<]*\(prediction\)|prediction · /);
    },
    T,
  );

  it.skipIf(!chromium || !playwright)(
    'renders in headless chromium with no network request',
    async () => {
      const d = project();
      report(d, DRIFTS, 'drift.html');
      const browser = await playwright.chromium.launch({ executablePath: chromium, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const requests: string[] = [];
        page.on('request', (req: { url(): string }) => requests.push(req.url()));
        await page.goto(`file://${path.join(d, 'drift.html')}`);
        const png = path.join(d, 'drift.png');
        await page.screenshot({ path: png, fullPage: true });
        expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
        expect(await page.$$eval('svg', (els: unknown[]) => els.length)).toBe(SEED_FEATURES.length);
        expect(fs.statSync(png).size).toBeGreaterThan(10_000);
      } finally {
        await browser.close();
      }
    },
    T,
  );
});
