// Issue 22, item 8: `mlx compare` of many runs stays readable: best first by a metric, one row
// per run when side by side would not fit, short ids, a --plot title that fits.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';

const T = 90_000;
let dir: string;
const runs: string[] = [];
const ACC = [0.61, 0.93, 0.72, 0.88, 0.5, 0.97, 0.8, 0.66, 0.9, 0.7, 0.85, 0.55];

beforeAll(() => {
  dir = tempProject('mlx-compare-many-');
  ACC.forEach((acc, i) => {
    const id = mlx(dir, [
      'runs',
      'start',
      '-n',
      `trial-number-${i + 1}`,
      '-p',
      `lr=${(i + 1) / 1000}`,
      '-p',
      'optimizer=adamw',
      '-p',
      `layers=${(i % 3) + 2}`,
    ]).stdout.trim();
    expect(mlx(dir, ['log', 'metric', 'val_accuracy', String(acc), '--run', id]).code).toBe(0);
    runs.push(id);
  });
}, T);

describe('mlx compare of many runs', () => {
  it(
    'sorted best first by --sort-by, one row per run with 8-character ids, shared params listed once',
    () => {
      const r = mlx(dir, ['compare', ...runs, '--sort-by', 'val_accuracy']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      expect(Math.max(...lines.map((l) => l.length)), 'fits 160 columns').toBeLessThanOrEqual(160);
      const rows = lines.filter((l) => /^│ [0-9a-f]{8} /.test(l)).map((l) => l.split('│').map((c) => c.trim()));
      expect(rows).toHaveLength(12);
      const order = [...ACC.keys()].sort((a, b) => ACC[b] - ACC[a]);
      expect(rows.map((c) => c[1])).toEqual(order.map((i) => runs[i].slice(0, 8)));
      expect(rows[0][rows[0].length - 2]).toBe('0.97 *');
      expect(r.stdout).toContain('same in every run: optimizer=adamw');
      // --side keeps runs as columns however wide; --json is sorted too and says by what.
      expect(mlx(dir, ['compare', ...runs.slice(0, 3), '--side']).stdout.split('\n')[1]).toMatch(/trial-number-1 .*trial-number-2 .*trial-number-3/);
      const doc = mlxJson(dir, ['compare', ...runs, '--sort-by', 'val_accuracy']);
      expect(doc.sorted_by).toBe('val_accuracy');
      expect(doc.runs.map((x: any) => x.run_id)).toEqual(order.map((i) => runs[i]));
      // Without --sort-by the given order is kept.
      expect(mlxJson(dir, ['compare', runs[2], runs[0]]).runs.map((x: any) => x.run_id)).toEqual([runs[2], runs[0]]);
    },
    T,
  );

  it(
    '--plot: a title that fits for 12 runs',
    () => {
      const svg = path.join(dir, 'many.svg');
      expect(mlx(dir, ['compare', ...runs, '--plot', svg]).code).toBe(0);
      const title = /<title>([^<]*)<\/title>/.exec(fs.readFileSync(svg, 'utf8'))![1];
      expect(title).toBe('mlx compare: 12 runs');
      expect(mlx(dir, ['compare', runs[0], runs[1], '--plot', svg]).code).toBe(0);
      expect(/<title>([^<]*)<\/title>/.exec(fs.readFileSync(svg, 'utf8'))![1]).toBe('mlx compare: trial-number-1 vs trial-number-2');
    },
    T,
  );

  it(
    'bad uses: a metric no run has, both layouts: exit 2, one line',
    () => {
      expectError(mlx(dir, ['compare', runs[0], runs[1], '--sort-by', 'val_acc']), 2, '--sort-by "val_acc": none of the runs has this metric');
      expectError(mlx(dir, ['compare', runs[0], runs[1], '--rows', '--side']), 2, '--rows and --side');
    },
    T,
  );
});
