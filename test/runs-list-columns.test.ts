// Issue 22, items 5 and 6: `mlx runs list` shows the columns the query names, says what it left
// out, exports CSV, and nests sweep trials under their parent.
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, tempProject } from './helpers/cli.js';

const T = 90_000;
let dir: string;
const ids: Record<string, string> = {};

function start(name: string, ...args: string[]): string {
  const r = mlx(dir, ['runs', 'start', '-e', 'exp', '-n', name, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return (ids[name] = r.stdout.trim());
}
const metric = (run: string, key: string, value: number) => expect(mlx(dir, ['log', 'metric', key, String(value), '--run', run]).code).toBe(0);
/** The table's lines that hold a run, as arrays of trimmed cells. */
const rowsOf = (out: string) =>
  out
    .split('\n')
    .filter((l) => /^│ [0-9a-f]{8} /.test(l))
    .map((l) =>
      l
        .split('│')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
const headOf = (out: string) =>
  out
    .split('\n')[1]
    .split('│')
    .slice(1, -1)
    .map((c) => c.trim());

beforeAll(() => {
  dir = tempProject('mlx-runs-list-');
  // A sweep-like parent with three trials; the parent carries its best child's metric, as mlx sweep records it.
  const parent = start('sweep', '-p', 'lr=0.01');
  const kids = [0.1, 0.01, 0.001].map((lr, i) => start(`sweep-${i + 1}`, '-p', `lr=${lr}`, '-t', `mlflow.parentRunId=${parent}`));
  [0.7, 0.9, 0.8].forEach((acc, i) => metric(kids[i], 'acc', acc));
  metric(parent, 'acc', 0.9);
  expect(mlx(dir, ['log', 'tag', 'best_run_id', kids[1], '--run', parent]).code).toBe(0);
  // The third trial was stopped by the median rule.
  expect(mlx(dir, ['log', 'tag', 'mlx.early_stopped', 'true', '--run', kids[2]]).code).toBe(0);
  expect(mlx(dir, ['runs', 'end', kids[2], '--status', 'KILLED']).code).toBe(0);
  // A run with many params and metrics: more than a table shows by default.
  const wide = start('wide', ...Array.from({ length: 8 }, (_, i) => ['-p', `p${i}=${i}`]).flat());
  for (let i = 0; i < 6; i++) metric(wide, `m${i}`, i);
  metric(wide, 'zz_rare', 5);
}, T);

describe('item 6: sweeps nest', () => {
  it(
    'children under their parent in list order, the best marked ★ and its metric not repeated on the parent; EARLY_STOPPED, not KILLED',
    () => {
      const r = mlx(dir, ['runs', 'list', '-e', 'exp', '--order-by', 'metrics.acc DESC', '--columns', 'params.lr']);
      expect(r.code, r.stderr).toBe(0);
      const rows = rowsOf(r.stdout);
      const names = rows.map((c) => c[1]);
      expect(names.slice(0, 4)).toEqual(['sweep', '├─ sweep-2 ★', '├─ sweep-3', '└─ sweep-1']);
      const head = headOf(r.stdout);
      const acc = head.indexOf('acc');
      expect(acc, 'the ordered-by column is shown with --columns too').toBeGreaterThan(0);
      expect(rows[0][acc]).toBe('');
      expect(rows[1][acc]).toBe('0.9');
      expect(rows[2][head.indexOf('status')]).toBe('EARLY_STOPPED');
      // --flat: the store's order, no drawing.
      const flat = rowsOf(mlx(dir, ['runs', 'list', '-e', 'exp', '--order-by', 'metrics.acc DESC', '--flat']).stdout).map((c) => c[1]);
      expect(flat.slice(0, 2).sort()).toEqual(['sweep', 'sweep-2']);
      expect(flat.every((n) => !/[├└★]/.test(n))).toBe(true);
      // JSON stays the store's flat list with the real status.
      const doc = JSON.parse(mlx(dir, ['runs', 'list', '-e', 'exp', '--json']).stdout);
      expect(doc.runs.find((x: any) => x.run_id === ids['sweep-3']).status).toBe('KILLED');
    },
    T,
  );
});

describe('item 5: columns', () => {
  it(
    'the ordered-by and filtered-on columns are always shown, and what was left out is said on stderr',
    () => {
      const r = mlx(dir, ['runs', 'list', '-e', 'exp', '--filter', "params.p7 = '7'", '--order-by', 'metrics.zz_rare']);
      expect(r.code, r.stderr).toBe(0);
      const head = headOf(r.stdout);
      expect(head).toContain('p7');
      expect(head).toContain('zz_rare');
      expect(rowsOf(r.stdout)).toHaveLength(1);
      expect(r.stderr).toBe('mlx: 4 more params and 2 more metrics not shown: --columns params.KEY,metrics.KEY or --wide\n');
      const wide = mlx(dir, ['runs', 'list', '-e', 'exp', '--wide']);
      expect(headOf(wide.stdout)).toEqual(expect.arrayContaining(['p0', 'p7', 'm0', 'm5', 'zz_rare', 'lr', 'acc']));
      expect(wide.stderr).toBe('');
      const cols = mlx(dir, ['runs', 'list', '-e', 'exp', '--columns', 'metrics.m5,params.p1,tags.best_run_id']);
      expect(headOf(cols.stdout).slice(-3)).toEqual(['m5', 'p1', 'tags.best_run_id']);
    },
    T,
  );

  it(
    '--csv: full ids, exact values, parent ids, every param and metric (or --columns); readable by a CSV parser',
    () => {
      const r = mlx(dir, ['runs', 'list', '-e', 'exp', '--csv', '--order-by', 'attributes.run_name']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      const head = lines[0].split(',');
      expect(head.slice(0, 8)).toEqual(['run_id', 'experiment_id', 'experiment', 'run_name', 'status', 'parent_run_id', 'start_time', 'end_time']);
      expect(head).toEqual(expect.arrayContaining(['params.lr', 'params.p0', 'metrics.acc', 'metrics.zz_rare']));
      expect(lines).toHaveLength(6);
      const row = Object.fromEntries(head.map((h, i) => [h, lines[3].split(',')[i]]));
      expect(row).toMatchObject({
        run_id: ids['sweep-2'],
        experiment: 'exp',
        run_name: 'sweep-2',
        parent_run_id: ids.sweep,
        'params.lr': '0.01',
        'metrics.acc': '0.9',
      });
      const only = mlx(dir, ['runs', 'list', '-e', 'exp', '--csv', '--columns', 'metrics.acc']).stdout.split('\n')[0];
      expect(only).toBe('run_id,experiment_id,experiment,run_name,status,parent_run_id,start_time,end_time,metrics.acc');
    },
    T,
  );

  it(
    'bad uses: one line, exit 2',
    () => {
      expectError(mlx(dir, ['runs', 'list', '--columns', 'lr']), 2, '--columns "lr": name columns as params.KEY, metrics.KEY or tags.KEY');
      expectError(mlx(dir, ['runs', 'list', '--csv', '--json']), 2, '--json and --csv');
      expectError(mlx(dir, ['runs', 'list', '--wide', '--columns', 'params.a']), 2, '--columns and --wide');
    },
    T,
  );
});
