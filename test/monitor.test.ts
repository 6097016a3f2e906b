// `mlx monitor MODEL` (issue 8), spawned: checks on a schedule, one JSON line per check, the
// monitoring run and its metrics, the retraining trigger once per episode, Ctrl-C, and bad input
// refused in one line with nothing written. (The scheduling rules themselves are unit-tested with
// a fake clock in src/monitor/.)
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, mlxSpawn, tempProject } from './helpers/cli.js';
import { logTraffic, query, records, seedDriftData, storeCounts, writeReference } from './helpers/inference-log.js';
import { tabularBytes } from './helpers/serving-fixtures.js';

const T = 60_000;
const HOOK = `const fs = require('node:fs');
fs.appendFileSync('hook.log', fs.readFileSync(process.env.MLX_DRIFT_REPORT, 'utf8').replace(/\\n/g, ' ') + '\\n');
`;

/** Logged traffic of model clf in the last half hour: shifted (drifting) or not, with labels for the first 50 requests. */
async function project(shift: number): Promise<string> {
  const dir = tempProject('mlx-monitor-');
  writeReference(dir);
  fs.writeFileSync(path.join(dir, 'hook.cjs'), HOOK);
  const data = seedDriftData(200, 5, { shift });
  await logTraffic(dir, records(data, { start: Date.now() - 30 * 60_000, prefix: 'q' }));
  const labels = data.rows.slice(0, 50).map((_, i) => JSON.stringify({ request_id: `q-${i}`, label: i < 40 ? data.classNames[data.labels[i]] : 'wrong' }));
  expect(mlx(dir, ['feedback', '-'], { input: labels.join('\n') }).code).toBe(0);
  return dir;
}

let calm: string;
let drifting: string;
beforeAll(async () => {
  [calm, drifting] = await Promise.all([project(0), project(1)]);
});

const FAST = ['--reference', 'train.csv', '--every', '1s', '--window', '1h'];
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const history = (dir: string, run: string, key: string) =>
  query<{ step: number; value: number }>(dir, 'SELECT step, value FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step', run, key).map((m) => [
    m.step,
    m.value,
  ]);

describe('mlx monitor', () => {
  it(
    '--json: one JSON object per check; --log-to-run: a monitoring run with every check as metrics; the trigger runs once',
    () => {
      const d = drifting;
      const r = mlx(d, ['monitor', 'clf', ...FAST, '--max-checks', '2', '--json', '--log-to-run', '--on-drift', 'node hook.cjs', '--min-accuracy', '0.9']);
      expect(r.code, r.stderr).toBe(0);
      const checks = lines(r.stdout);
      expect(checks.map((c) => [c.check, c.rows, c.verdict, c.triggered, c.dataset_drift, c.labeled, c.accuracy])).toEqual([
        [1, 200, 'alert', true, true, 50, 0.8],
        [2, 200, 'alert', false, true, 50, 0.8],
      ]);
      expect(checks[0].reasons).toEqual(['dataset drift: 5 of 5 columns (100%)', 'accuracy of variant primary 0.800 < 0.9']);
      expect(checks[0].drift.columns).toHaveLength(5);
      const hook = fs
        .readFileSync(path.join(d, 'hook.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(hook).toHaveLength(1);
      expect(hook[0]).toMatchObject({
        dataset_drift: true,
        current: { file: 'serving:clf', rows: 200 },
        monitor: { check: 1, triggered: true, verdict: 'alert' },
      });

      const run = /monitoring run ([0-9a-f]{32}) \(monitor-clf\) in experiment "monitoring"/.exec(r.stderr)![1];
      expect(r.stderr).toMatch(/monitor finished: 2 checks, 2 alerting, 1 triggered/);
      const shown = mlxJson(d, ['runs', 'show', run]);
      expect(shown).toMatchObject({
        run_name: 'monitor-clf',
        status: 'FINISHED',
        params: { model: 'clf', every: '1s', window: '1h', min_accuracy: '0.9' },
        tags: { 'mlx.monitor.model': 'clf' },
      });
      expect(shown.metrics).toMatchObject({
        rows: 200,
        dataset_drift: 1,
        drift_share: 1,
        accuracy: 0.8,
        'accuracy/primary': 0.8,
        labeled: 50,
        unknown_feedback: 0,
        alert: 1,
        triggered: 0,
      });
      expect(shown.metrics['drift.income.p_value']).toBeLessThan(0.05);
      expect(history(d, run, 'triggered')).toEqual([
        [1, 1],
        [2, 0],
      ]);
      expect(history(d, run, 'drift_share')).toEqual([
        [1, 1],
        [2, 1],
      ]);
    },
    T,
  );

  it(
    'people get one line per check; calm traffic is ok and triggers nothing',
    () => {
      const r = mlx(calm, ['monitor', 'clf', ...FAST, '--max-checks', '1', '--on-drift', 'node hook.cjs']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /^check 1 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d to \d\d:\d\d:\d\d: 200 rows · 0 of 5 columns drifted · 50 labeled, accuracy 0\.8 · ok\n$/,
      );
      expect(fs.existsSync(path.join(calm, 'hook.log'))).toBe(false);
      expect(query(calm, 'SELECT count(*) AS n FROM runs')).toEqual([{ n: 0 }]);
    },
    T,
  );

  it(
    '--log-to-run RUN adds to an existing run, steps continuing, and leaves its status alone',
    () => {
      const run = mlx(calm, ['runs', 'start', '--name', 'watch']).stdout.trim();
      for (let i = 0; i < 2; i++) expect(mlx(calm, ['monitor', 'clf', ...FAST, '--max-checks', '1', '--log-to-run', run]).code).toBe(0);
      expect(history(calm, run, 'rows')).toEqual([
        [1, 200],
        [2, 200],
      ]);
      expect(mlxJson(calm, ['runs', 'show', run]).status).toBe('RUNNING');
    },
    T,
  );

  it(
    'Ctrl-C stops it after the check under way; the monitoring run ends KILLED',
    async () => {
      const p = mlxSpawn(calm, ['monitor', 'clf', '--reference', 'train.csv', '--every', '1h', '--json', '--log-to-run', '--name', 'ctrl-c']);
      let out = '';
      let err = '';
      p.stderr!.on('data', (d) => (err += d));
      await new Promise<void>((resolve) => p.stdout!.on('data', (d) => ((out += d), out.includes('\n') && resolve())));
      p.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
      expect(code, err).toBe(0);
      expect(lines(out)).toHaveLength(1);
      expect(err).toMatch(/SIGINT: finishing the current check, then stopping/);
      expect(query(calm, "SELECT status FROM runs WHERE name = 'ctrl-c'")).toEqual([{ status: 'KILLED' }]);
    },
    T,
  );
});

describe('mlx monitor: bad input', () => {
  const cases: [string[], number, (string | RegExp)[]][] = [
    [['--every', '0s'], 2, ['--every "0s" is not a duration']],
    [['--every', 'often'], 2, ['--every "often"']],
    [['--window', '10'], 2, ['--window "10"', '30s, 10m, 1h']],
    [['--min-accuracy', '1.5'], 2, ['--min-accuracy "1.5" must be a number from 0 to 1']],
    [['--max-mae', '-1'], 2, ['--max-mae "-1"']],
    [['--max-checks', '0'], 2, ['--max-checks "0"']],
    [['--min-rows', '1'], 2, ['--min-rows "1"']],
    [['--min-labels', 'x'], 2, ['--min-labels "x"']],
    [['--model-version', 'v2'], 2, ['--model-version "v2"']],
    [['--variant', ''], 2, ['--variant needs a variant name']],
    [['--test', 'bogus'], 2, ['bogus']],
    [['--correction', 'maybe'], 2, ['--correction "maybe"']],
    [['--on-drift', 'no-such-command-xyz'], 1, ['--on-drift command not found: no-such-command-xyz']],
    [['--log-to-run', 'abcdef'], 1, ['abcdef']],
  ];
  it.each(cases)(
    '%j: one line, exit %i, nothing written',
    (args, code, mentions) => {
      const before = storeCounts(calm);
      expectError(mlx(calm, ['monitor', 'clf', ...FAST, '--max-checks', '1', '--log-to-run', ...args]), code, ...mentions);
      expect(storeCounts(calm)).toEqual(before);
    },
    T,
  );

  it(
    'a missing reference, an odd model name, a tracking server (for serve --log-inputs too), or no reference at all',
    () => {
      const before = storeCounts(calm);
      expectError(mlx(calm, ['monitor', 'clf', '--reference', 'nope.csv', '--log-to-run']), 1, '"nope.csv" does not exist');
      expectError(mlx(calm, ['monitor', 'models:/clf', '-r', 'train.csv', '--log-to-run']), 2, 'MODEL "models:/clf" must be the served model\'s name');
      expectError(mlx(calm, ['--tracking-uri', 'http://127.0.0.1:9', 'monitor', 'clf', '-r', 'train.csv']), 1, 'inference logging needs a local store');
      expectError(mlx(calm, ['monitor', 'clf']), 2, /required option .*--reference/);
      expectError(mlx(calm, ['monitor', 'clf', ...FAST, '--name', 'x']), 2, '--name names the monitoring run: add --log-to-run');
      expectError(mlx(calm, ['monitor', 'clf', ...FAST, '--experiment', 'x']), 2, '--experiment names the monitoring run');
      expect(storeCounts(calm)).toEqual(before);
      // The serving side of the same rule: logging needs the store's own tables.
      fs.writeFileSync(path.join(calm, 'tab.onnx'), tabularBytes());
      expectError(
        mlx(calm, ['--tracking-uri', 'http://127.0.0.1:9', 'serve', 'tab.onnx', '--log-inputs', '--port', '0']),
        1,
        'inference logging needs a local store',
      );
      const empty = tempProject('mlx-monitor-empty-');
      expectError(mlx(empty, ['monitor', 'clf', '-r', 'x.csv', '--log-to-run']), 1, 'x.csv');
      expect(fs.existsSync(path.join(empty, '.mlx'))).toBe(false);
    },
    T,
  );
});
