// `mlx sweep` end to end: real sweeps of a small training script (test/fixtures/sweep/train.mjs),
// each child a real `mlx run`, checked through the CLI the way users and scripts see them.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlx, mlxJson, ROOT, tempProject } from './helpers/cli.js';

const T = 90_000;
const NODE = process.execPath;
const TRAIN = path.join(ROOT, 'test/fixtures/sweep/train.mjs');

/** Runs a sweep with --json and returns its exit code and document. */
function sweep(dir: string, args: string[]) {
  const r = mlx(dir, ['sweep', '--json', ...args]);
  let doc: any;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`mlx sweep ${args.join(' ')} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, doc, stderr: r.stderr };
}

/** Every child of a sweep, by trial number. */
function children(dir: string, parent: string): Record<string, any> {
  const { runs } = mlxJson(dir, ['runs', 'list', '--view', 'all', '--filter', `tags.mlflow.parentRunId = '${parent}'`]);
  return Object.fromEntries(runs.map((r: any) => [r.tags['mlx.sweep.trial'], r]));
}

describe('mlx sweep', () => {
  it(
    'a grid of 6 with --parallel 2: six FINISHED children with params, MLX_PARAM_* and {lr}, the best on the parent',
    () => {
      const dir = tempProject('mlx-sweep-');
      const { code, doc, stderr } = sweep(dir, [
        '--param',
        'lr=0.001,0.01,0.1',
        '--param',
        'bs=32,64',
        '--parallel',
        '2',
        '--metric',
        'val_accuracy',
        '--goal',
        'max',
        '--experiment',
        'tuning',
        '--name',
        'grid',
        '--tag',
        'team=vision',
        '--',
        NODE,
        TRAIN,
        '--lr',
        '{lr}',
        '--bs',
        '{bs}',
      ]);
      expect(code, stderr).toBe(0);
      expect(doc).toMatchObject({
        name: 'grid',
        status: 'FINISHED',
        exit_code: 0,
        stopped_by: null,
        strategy: 'grid',
        seed: null,
        size: 6,
        metric: 'val_accuracy',
        goal: 'max',
        pending: 0,
        counts: { finished: 6, failed: 0, killed: 0, early_stopped: 0, running: 0, not_started: 0 },
        best: { trial: 4, params: { lr: '0.01', bs: '64' } },
      });
      // One progress line per child on stderr; the children's own output stays in their logs.
      expect(stderr.match(/^mlx: \[\d\/6\] trial \d FINISHED/gm)).toHaveLength(6);
      expect(stderr).not.toContain('training with');
      expect(doc.runs).toHaveLength(6);
      const values = doc.runs.map((r: any) => r.value);
      expect([...values].sort((a: number, b: number) => b - a)).toEqual(values);
      expect(doc.runs[0]).toMatchObject({ trial: 4, best: true, status: 'FINISHED', params: { lr: '0.01', bs: '64' } });
      expect(doc.runs.filter((r: any) => r.best)).toHaveLength(1);

      const kids = children(dir, doc.parent_run_id);
      expect(Object.keys(kids).sort()).toEqual(['1', '2', '3', '4', '5', '6']);
      const combos = Object.values(kids)
        .map((r: any) => `${r.params.lr}/${r.params.bs}`)
        .sort();
      expect(combos).toEqual(['0.001/32', '0.001/64', '0.01/32', '0.01/64', '0.1/32', '0.1/64']);
      for (const r of Object.values(kids)) {
        expect(r.status).toBe('FINISHED');
        // Substituted in ARGS and passed as MLX_PARAM_*: the script logged what it received.
        expect(r.params.arg_lr).toBe(r.params.lr);
        expect(r.params.env_lr).toBe(r.params.lr);
        expect(r.params.env_bs).toBe(r.params.bs);
        expect(r.tags.team).toBe('vision');
        expect(r.run_name).toBe(`grid-${r.tags['mlx.sweep.trial']}`);
        expect(JSON.parse(r.tags['mlx.command'])).toEqual([NODE, TRAIN, '--lr', r.params.lr, '--bs', r.params.bs]);
      }
      expect(kids['4'].run_id).toBe(doc.best.run_id);

      const parent = mlxJson(dir, ['runs', 'show', doc.parent_run_id]);
      expect(parent).toMatchObject({
        run_name: 'grid',
        status: 'FINISHED',
        params: { lr: '0.01', bs: '64' },
        metrics: { val_accuracy: doc.best.value },
        tags: { best_run_id: doc.best.run_id, team: 'vision', 'mlx.sweep.strategy': 'grid', 'mlx.sweep.metric': 'val_accuracy', 'mlx.sweep.goal': 'max' },
      });
      expect(JSON.parse(parent.tags['mlx.sweep.config'])).toMatchObject({ params: ['lr=0.001,0.01,0.1', 'bs=32,64'], parallel: 2 });

      // mlx compare --sweep: the six children, best first by the sweep's metric (issue 22 item 8), best marked as the sweep judged it.
      const cmp = mlxJson(dir, ['compare', '--sweep', doc.parent_run_id.slice(0, 8)]);
      expect(cmp.sorted_by).toBe('val_accuracy');
      expect(cmp.runs.map((r: any) => r.tags['mlx.sweep.trial']).sort()).toEqual(['1', '2', '3', '4', '5', '6']);
      expect(cmp.runs[0].run_id).toBe(doc.best.run_id);
      const accs = cmp.runs.map((r: any) => cmp.metrics.val_accuracy[r.run_id]);
      expect(accs).toEqual([...accs].sort((a, b) => b - a));
      // --plot of a sweep: parallel coordinates (one line per trial) above the metric curves.
      expect(mlx(dir, ['compare', '--sweep', doc.parent_run_id, '--plot', 'sweep.svg']).code).toBe(0);
      const svg = fs.readFileSync(path.join(dir, 'sweep.svg'), 'utf8');
      expect(svg.match(/<polyline class="trial"/g)).toHaveLength(6);
      expect(svg).toContain('val_accuracy (higher is better)');
      expect(cmp.best.val_accuracy).toEqual({ direction: 'max', run_ids: [doc.best.run_id] });
      expect(cmp.differingParams).toEqual(expect.arrayContaining(['lr', 'bs']));
    },
    T,
  );

  it(
    'the human table: every child, sorted by the metric, the best marked',
    () => {
      const dir = tempProject('mlx-sweep-');
      const r = mlx(dir, ['sweep', '--param', 'lr=0.1,0.01', '--metric', 'val_accuracy', '--', NODE, TRAIN, '--lr', '{lr}']);
      expect(r.code, r.stderr).toBe(0);
      const rows = r.stdout.split('\n').filter((l) => /FINISHED/.test(l) && l.includes('│'));
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatch(/\*.*0\.01/);
      expect(r.stdout).toMatch(/^best: trial 2 \(run [0-9a-f]{32}\) val_accuracy=[\d.]+ with lr=0\.01$/m);
      expect(r.stdout).toMatch(/mlx compare --sweep [0-9a-f]{32}/);
    },
    T,
  );

  it(
    'a random search of 5 is reproducible with --seed, and records its seed',
    () => {
      const args = [
        '--param',
        'lr=loguniform:1e-4:1e-1',
        '--param',
        'bs=choice:16,32,64',
        '--param',
        'dropout=uniform:0:0.5',
        '--max-runs',
        '5',
        '--parallel',
        '2',
        '--metric',
        'val_accuracy',
        '--',
        NODE,
        TRAIN,
        '--lr',
        '{lr}',
        '--bs',
        '{bs}',
      ];
      const draws = (seed: string) => {
        const dir = tempProject('mlx-sweep-random-');
        const { code, doc, stderr } = sweep(dir, ['--seed', seed, ...args]);
        expect(code, stderr).toBe(0);
        expect(doc).toMatchObject({ strategy: 'random', seed: Number(seed), size: 5, counts: { finished: 5 } });
        const parent = mlxJson(dir, ['runs', 'show', doc.parent_run_id]);
        expect(parent.tags['mlx.sweep.seed']).toBe(seed);
        const kids = children(dir, doc.parent_run_id);
        return [1, 2, 3, 4, 5].map((t) => {
          const p = kids[t].params;
          expect(Number(p.lr)).toBeGreaterThanOrEqual(1e-4);
          expect(Number(p.lr)).toBeLessThanOrEqual(0.1);
          expect(['16', '32', '64']).toContain(p.bs);
          expect(Number(p.dropout)).toBeLessThanOrEqual(0.5);
          expect(p.env_lr).toBe(p.lr);
          return `${p.lr}/${p.bs}/${p.dropout}`;
        });
      };
      const first = draws('7');
      expect(draws('7')).toEqual(first);
      expect(new Set(first).size).toBe(5);
      expect(draws('8')).not.toEqual(first);
    },
    T,
  );

  it(
    'a failed child is recorded FAILED and the sweep goes on',
    () => {
      const dir = tempProject('mlx-sweep-');
      const { code, doc, stderr } = sweep(dir, [
        '--param',
        'lr=0.1,0.01,0.001',
        '--metric',
        'val_accuracy',
        '--',
        NODE,
        TRAIN,
        '--lr',
        '{lr}',
        '--fail-on',
        '0.01',
      ]);
      expect(code, stderr).toBe(0);
      expect(doc.counts).toMatchObject({ finished: 2, failed: 1 });
      expect(stderr).toMatch(/^mlx: \[2\/3\] trial 2 FAILED \(exit code 3\) lr=0\.01 \(run [0-9a-f]{8}\): diverged at lr=0\.01$/m);
      const kids = children(dir, doc.parent_run_id);
      expect([kids[1].status, kids[2].status, kids[3].status]).toEqual(['FINISHED', 'FAILED', 'FINISHED']);
      expect(kids[2].tags['mlx.exit_code']).toBe('3');
      expect(doc.best.trial).not.toBe(2);
    },
    T,
  );

  it(
    '--fail-fast stops the sweep at the first failure: parent FAILED, exit 1, later trials not started',
    () => {
      const dir = tempProject('mlx-sweep-');
      const { code, doc, stderr } = sweep(dir, ['--param', 'lr=0.1,0.01,0.001', '--fail-fast', '--', NODE, TRAIN, '--lr', '{lr}', '--fail-on', '0.01']);
      expect(code).toBe(1);
      expect(doc).toMatchObject({ status: 'FAILED', stopped_by: 'fail-fast', counts: { finished: 1, failed: 1, not_started: 1 } });
      expect(stderr).toMatch(/--fail-fast/);
      expect(Object.keys(children(dir, doc.parent_run_id)).sort()).toEqual(['1', '2']);
      expect(mlxJson(dir, ['runs', 'show', doc.parent_run_id]).status).toBe('FAILED');
    },
    T,
  );

  it(
    '--stream shows the children output on stderr, prefixed by trial; stdout keeps only the JSON',
    () => {
      const dir = tempProject('mlx-sweep-');
      const { code, doc, stderr } = sweep(dir, ['--param', 'lr=0.1,0.01', '--stream', '--', NODE, TRAIN, '--lr', '{lr}']);
      expect(code, stderr).toBe(0);
      expect(doc.counts.finished).toBe(2);
      expect(stderr).toMatch(/^\[1\] training with lr=0\.1 /m);
      expect(stderr).toMatch(/^\[2\] training with lr=0\.01 /m);
      // ::mlx lines are recorded, not shown, as under mlx run.
      expect(stderr).not.toContain('::mlx');
    },
    T,
  );
});
