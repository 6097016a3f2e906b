// `mlx monitor MODEL --schema schema.json` (issue 20): each window of logged traffic is validated
// against a data schema beside the drift tests; the result is in the check's JSON and, with
// --log-to-run, in the monitoring run's metrics.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tabularClassifierOnnx, tabularDataCsv, trainTabularClassifier } from '../src/models/onnx/tabular-model.js';
import { expectError, mlx, tempProject } from './helpers/cli.js';
import { logTraffic, query, records, seedDriftData, writeReference } from './helpers/inference-log.js';

const T = 60_000;
let dir: string;

beforeAll(async () => {
  dir = tempProject('mlx-monitor-schema-');
  writeReference(dir);
  fs.writeFileSync(path.join(dir, 'ref.csv'), tabularDataCsv(seedDriftData(300, 1), { label: false }));
  expect(mlx(dir, ['data', 'profile', 'ref.csv', '--out', 'schema.json']).code).toBe(0);
  // Traffic far outside the reference's ranges.
  await logTraffic(dir, records(seedDriftData(60, 3, { shift: 50 }), { start: Date.now() - 10 * 60_000, prefix: 'q' }));
}, T);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const FAST = ['--reference', 'train.csv', '--every', '1s', '--window', '1h', '--max-checks', '1'];

describe('mlx monitor --schema', () => {
  it(
    'validates each window beside drift: in the JSON, as an alert, and as metrics of the monitoring run',
    () => {
      const r = mlx(dir, ['monitor', 'clf', ...FAST, '--schema', 'schema.json', '--json', '--log-to-run']);
      expect(r.code, r.stderr).toBe(0);
      const check = JSON.parse(r.stdout.trim().split('\n')[0]);
      expect(check.validation.valid).toBe(false);
      expect(check.validation.rows).toBe(60);
      expect(check.validation.results.some((x: any) => x.expect === 'range' && x.status === 'failed')).toBe(true);
      expect(check.validation.columns).toBeUndefined();
      expect(check.verdict).toBe('alert');
      expect(check.reasons.some((x: string) => /^data validation: \d+ error expectations? failed$/.test(x))).toBe(true);
      const run = query<{ run_uuid: string }>(dir, "SELECT run_uuid FROM runs WHERE name = 'monitor-clf'")[0].run_uuid;
      const metric = (key: string) => query<{ value: number }>(dir, 'SELECT value FROM metrics WHERE run_uuid = ? AND key = ?', run, key).map((m) => m.value);
      expect(metric('validation.valid')).toEqual([0]);
      expect(metric('validation.rows')).toEqual([60]);
      expect(metric('validation.age.range.failed')).toEqual([1]);

      const text = mlx(dir, ['monitor', 'clf', ...FAST, '--schema', 'schema.json']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/invalid: \d+ error expectations? failed/);
      // Without --schema: no validation in the check.
      const plain = JSON.parse(
        mlx(dir, ['monitor', 'clf', ...FAST, '--json'])
          .stdout.trim()
          .split('\n')[0],
      );
      expect(plain.validation).toBeUndefined();
    },
    T,
  );

  it(
    '--schema models:/NAME/V validates against the schema registered with that version',
    () => {
      fs.writeFileSync(path.join(dir, 'tab.onnx'), tabularClassifierOnnx(trainTabularClassifier(seedDriftData(200, 5))));
      expect(mlx(dir, ['register', 'tab.onnx', '--name', 'tab']).code).toBe(0);
      const withSchema = mlx(dir, ['register', 'tab.onnx', '--name', 'tab', '--schema', 'schema.json']);
      expect(withSchema.code, withSchema.stderr).toBe(0);
      const r = mlx(dir, ['monitor', 'clf', ...FAST, '--schema', 'models:/tab/2', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const check = JSON.parse(r.stdout.trim().split('\n')[0]);
      expect(check.validation.valid).toBe(false);
      expect(check.validation.schema).toBe('registered with models:/tab/2');
      expectError(
        mlx(dir, ['monitor', 'clf', ...FAST, '--schema', 'models:/tab/1']),
        1,
        '--schema models:/tab/1: version 1 of tab has no registered data schema; give a schema file, or register the model with mlx register --schema FILE',
      );
      expectError(mlx(dir, ['monitor', 'clf', ...FAST, '--schema', 'models:/nope/1']), 1, 'nope');
    },
    T,
  );

  it('a bad schema: one line, exit 1 (an empty value: exit 2), before any check', () => {
    fs.writeFileSync(path.join(dir, 'maxx.json'), JSON.stringify({ mlx_data_schema: 1, expectations: [{ expect: 'range', column: 'age', maxx: 3 }] }));
    expectError(mlx(dir, ['monitor', 'clf', ...FAST, '--schema', 'maxx.json']), 1, '"range" takes no "maxx"');
    expectError(mlx(dir, ['monitor', 'clf', ...FAST, '--schema', 'nope.json']), 1, 'nope.json');
    expectError(mlx(dir, ['monitor', 'clf', ...FAST, '--schema', '']), 2, '--schema needs a schema file');
  });
});
