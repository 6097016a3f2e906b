// `mlx drift --current serving:MODEL` (issue 8): the traffic `mlx serve --log-inputs` logged, in a
// window, against a reference file, with everything `mlx drift` offers (--json, --html,
// --fail-on-drift, --on-drift, --log-to-run); bad input refused in one line, nothing written.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { logTraffic, query, records, seedDriftData, storeCounts, writeReference } from './helpers/inference-log.js';

const T = 60_000;
const HOUR = 3_600_000;
const HOOK = `require('node:fs').writeFileSync('hook.json', require('node:fs').readFileSync(process.env.MLX_DRIFT_REPORT));\n`;

/** calm traffic 3 h to 2 h ago (version 1), shifted traffic in the last 20 minutes (version 2), and a shifted shadow early on. */
async function project(): Promise<string> {
  const dir = tempProject('mlx-drift-live-');
  writeReference(dir);
  writeReference(dir, 'train-pred.csv', 400, { predictionColumn: 'prediction' });
  fs.writeFileSync(path.join(dir, 'hook.cjs'), HOOK);
  const now = Date.now();
  await logTraffic(dir, [
    ...records(seedDriftData(300, 2), { start: now - 3 * HOUR, prefix: 'calm' }),
    ...records(seedDriftData(300, 4, { shift: 1.5 }), { start: now - 3 * HOUR, prefix: 'calm', variant: 'cand', shadow: true, version: 9 }),
    ...records(seedDriftData(300, 3, { shift: 1 }), { start: now - 20 * 60_000, prefix: 'new', version: 2, variant: 'canary' }),
  ]);
  return dir;
}

let dir: string;
beforeAll(async () => {
  dir = await project();
});

const drift = (args: string[], d = dir) => mlx(d, ['drift', '--reference', 'train.csv', '--current', 'serving:clf', ...args]);

describe('mlx drift --current serving:MODEL', () => {
  it(
    'reads the window asked for: calm traffic does not drift, the last half hour does (exit 3 with --fail-on-drift)',
    () => {
      const before = drift(['--until', '1h', '--json', '--fail-on-drift']);
      expect(before.code, before.stderr).toBe(0);
      const b = JSON.parse(before.stdout);
      expect(b).toMatchObject({ dataset_drift: false, current: { file: 'serving:clf', rows: 300 }, prediction: null });
      expect(b.columns.map((c: { column: string }) => c.column)).toEqual(['age', 'income', 'score', 'clicks', 'time']);
      expect(b.current.window.until).toBeLessThan(Date.now() - HOUR + 5000);
      const after = drift(['--since', '30m', '--json', '--fail-on-drift']);
      expect(after.code).toBe(3);
      expect(JSON.parse(after.stdout)).toMatchObject({ dataset_drift: true, drift_share: 1, current: { rows: 300 } });
      const human = drift(['--since', '30m']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^Dataset drift: 5 of 5 columns drifted/m);
    },
    T,
  );

  it(
    'all logged traffic by default (shadows left out); --variant (a shadow too) and --model-version pick a part',
    () => {
      expect(mlxJson(dir, ['drift', '-r', 'train.csv', '-c', 'serving:clf']).current.rows).toBe(600);
      expect(mlxJson(dir, ['drift', '-r', 'train.csv', '-c', 'serving:clf', '--variant', 'cand'])).toMatchObject({
        current: { rows: 300 },
        dataset_drift: true,
      });
      expect(mlxJson(dir, ['drift', '-r', 'train.csv', '-c', 'serving:clf', '--model-version', '1'])).toMatchObject({
        current: { rows: 300 },
        dataset_drift: false,
      });
      expect(mlxJson(dir, ['drift', '-r', 'train.csv', '-c', 'serving:clf', '--variant', 'canary', '--since', '2026-01-01T00:00'])).toMatchObject({
        current: { rows: 300 },
        dataset_drift: true,
      });
    },
    T,
  );

  it(
    'the prediction is tested as prediction drift when the reference has the column (or --prediction-column names one)',
    () => {
      const r = mlxJson(dir, ['drift', '-r', 'train-pred.csv', '-c', 'serving:clf', '--until', '1h']);
      expect(r.prediction).toMatchObject({ column: 'prediction', role: 'prediction', type: 'categorical' });
      const l = mlxJson(dir, ['drift', '-r', 'train.csv', '-c', 'serving:clf', '--since', '30m', '--prediction-column', 'label']);
      expect(l.prediction).toMatchObject({ column: 'label', role: 'prediction' });
      expect(l.columns).toHaveLength(5);
    },
    T,
  );

  it(
    '--html, --log-to-run and --on-drift work as with files',
    () => {
      const d = dir;
      const run = mlx(d, ['runs', 'start', '--name', 'live']).stdout.trim();
      const r = drift(['--since', '30m', '--html', 'live.html', '--log-to-run', run, '--on-drift', 'node hook.cjs']);
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readFileSync(path.join(d, 'live.html'), 'utf8')).toMatch(/current <code>serving:clf<\/code> \(300 rows, logged \d{4}-/);
      expect(mlxJson(d, ['runs', 'show', run]).metrics).toMatchObject({ drift_share: 1, dataset_drift: 1, 'drift.age.drift': 1 });
      expect(JSON.parse(fs.readFileSync(path.join(d, 'hook.json'), 'utf8'))).toMatchObject({ dataset_drift: true, current: { file: 'serving:clf' } });
    },
    T,
  );
});

describe('mlx drift --current serving:MODEL: bad input', () => {
  const refused = (args: string[], code: number, ...mentions: (string | RegExp)[]) => {
    const run = query<{ run_uuid: string }>(dir, 'SELECT run_uuid FROM runs LIMIT 1')[0]?.run_uuid ?? mlx(dir, ['runs', 'start']).stdout.trim();
    const before = { ...storeCounts(dir), files: fs.readdirSync(dir).sort() };
    const r = mlx(dir, ['drift', '--reference', 'train.csv', ...args, '--html', 'bad.html', '--log-to-run', run, '--on-drift', 'node hook.cjs']);
    expectError(r, code, ...mentions);
    expect({ ...storeCounts(dir), files: fs.readdirSync(dir).sort() }).toEqual(before);
  };

  it(
    'an empty window, an unknown model or variant: one line saying which window and what was logged',
    () => {
      refused(['--current', 'serving:clf', '--since', '2h', '--until', '1h'], 1, 'no logged rows for model "clf" from', 'to');
      refused(['--current', 'serving:other'], 1, 'no logged rows for model "other"', 'mlx serve --log-inputs');
      refused(
        ['--current', 'serving:clf', '--variant', 'nope'],
        1,
        'variant "nope"',
        'logged variants in that window: canary (300 rows), cand (shadow) (300 rows), primary (300 rows)',
      );
    },
    T,
  );

  it(
    'window flags that do not parse or do not fit',
    () => {
      refused(['--current', 'serving:clf', '--since', 'yesterday'], 2, '--since "yesterday" is neither a duration ago');
      refused(['--current', 'serving:clf', '--until', '5x'], 2, '--until "5x"');
      refused(['--current', 'serving:clf', '--since', '1h', '--until', '2h'], 2, '--since 1h is not before --until 2h');
      refused(['--current', 'serving:clf', '--model-version', 'two'], 2, '--model-version "two"');
      refused(['--current', 'serving:clf', '--variant', ' '], 2, '--variant needs a variant name');
      refused(['--current', 'serving:'], 2, "give the served model's name after serving:");
      refused(['--current', 'train.csv', '--since', '1h'], 2, '--since only applies to --current serving:MODEL');
      refused(['--current', 'train.csv', '--model-version', '1'], 2, '--model-version only applies');
    },
    T,
  );

  it(
    'a logged column the reference does not have; a tracking server as the store',
    () => {
      fs.writeFileSync(path.join(dir, 'narrow.csv'), 'age,income\n1,2\n3,4\n5,6\n');
      refused(['--current', 'serving:clf', '-r', 'narrow.csv'], 1, 'serving:clf logged column "score", which narrow.csv does not have');
      const r = mlx(dir, ['--tracking-uri', 'http://127.0.0.1:9', 'drift', '-r', 'train.csv', '-c', 'serving:clf']);
      expectError(r, 1, 'inference logging needs a local store');
    },
    T,
  );
});
