// `mlx sweep` interrupted and resumed, and early stopping, with real processes. No sleeps:
// the test waits for states it can see (stderr lines, metrics in the store), then acts.
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { mlx, mlxJson, mlxSpawn, ROOT, tempProject } from './helpers/cli.js';

const T = 120_000;
const NODE = process.execPath;
const TRAIN = path.join(ROOT, 'test/fixtures/sweep/train.mjs');

/** Collects a process's output; `until` resolves once a condition holds. */
function watch(p: ChildProcess) {
  let out = '';
  let err = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  let exited = false;
  void exit.then(() => (exited = true));
  const until = (what: string, ok: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ok()) return resolve();
        if (exited) return reject(new Error(`exited before ${what}:\n${out}\n${err}`));
        setTimeout(check, 25);
      };
      check();
    });
  return { exit, until, out: () => out, err: () => err };
}

/** How many runs of the store logged the metric `waiting` (children holding until the file goes). */
function waitingChildren(dir: string): number {
  const file = path.join(dir, '.mlx', 'mlx.db');
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT count(DISTINCT run_uuid) FROM metrics WHERE key = 'waiting'").pluck().get() as number;
  } finally {
    db.close();
  }
}

function children(dir: string, parent: string): any[] {
  return mlxJson(dir, ['runs', 'list', '--view', 'all', '--filter', `tags.mlflow.parentRunId = '${parent}'`]).runs;
}

describe('mlx sweep: interrupt and --resume', () => {
  it(
    'SIGINT: running children end KILLED, finished ones stay; --resume runs only the rest',
    async () => {
      const dir = tempProject('mlx-sweep-resume-');
      const hold = path.join(dir, 'hold');
      fs.writeFileSync(hold, '');
      // lr=1 finishes at once; the others wait while the hold file exists.
      const p = mlxSpawn(dir, [
        'sweep',
        '--param',
        'lr=1,2,3,4',
        '--parallel',
        '2',
        '--metric',
        'val_accuracy',
        '--name',
        'held',
        '--',
        NODE,
        TRAIN,
        '--lr',
        '{lr}',
        '--q',
        '0.5',
        '--hold',
        hold,
        '--quick',
        '1',
      ]);
      const w = watch(p);
      await w.until('trial 1 finished', () => /^mlx: \[1\/4\] trial 1 FINISHED val_accuracy=0\.3 lr=1 \(run [0-9a-f]{8}\) best so far$/m.test(w.err()));
      await w.until('trials 2 and 3 running', () => waitingChildren(dir) === 2);
      p.kill('SIGINT');
      expect(await w.exit, w.err()).toBe(130);
      const parentId = /^mlx: sweep ([0-9a-f]{32}) \(held\)/m.exec(w.err())![1];
      expect(w.err()).toContain(`mlx sweep --resume ${parentId}`);

      const before = children(dir, parentId);
      const status = Object.fromEntries(before.map((r) => [r.tags['mlx.sweep.trial'], r.status]));
      expect(status).toEqual({ 1: 'FINISHED', 2: 'KILLED', 3: 'KILLED' });
      const finished = before.find((r) => r.status === 'FINISHED');
      expect(finished.metrics.val_accuracy).toBeCloseTo(0.3);
      for (const r of before.filter((x) => x.status === 'KILLED')) expect(r.tags['mlx.exit_code']).toBe('130');
      const parent = mlxJson(dir, ['runs', 'show', parentId]);
      expect(parent.status).toBe('KILLED');
      expect(parent.tags.best_run_id).toBe(finished.run_id);

      fs.rmSync(hold);
      const r = mlx(dir, ['sweep', '--resume', parentId.slice(0, 8), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc, r.stderr).toMatchObject({ parent_run_id: parentId, status: 'FINISHED', pending: 0, counts: { finished: 4, killed: 0 } });
      expect(r.stderr).toMatch(/resuming sweep .*: 3 of 4 runs to go, 2 at a time/);
      expect(r.stderr).not.toMatch(/trial 1 /);

      const after = children(dir, parentId);
      // The finished trial was not run again; the two interrupted attempts stay, as KILLED.
      expect(after).toHaveLength(6);
      const ofTrial = (t: string) => after.filter((x) => x.tags['mlx.sweep.trial'] === t);
      expect(ofTrial('1').map((x) => x.run_id)).toEqual([finished.run_id]);
      for (const t of ['2', '3'])
        expect(
          ofTrial(t)
            .map((x) => x.status)
            .sort(),
        ).toEqual(['FINISHED', 'KILLED']);
      expect(ofTrial('4').map((x) => x.status)).toEqual(['FINISHED']);
      expect(doc.runs.map((x: any) => x.trial).sort()).toEqual([1, 2, 3, 4]);
      expect(mlxJson(dir, ['runs', 'show', parentId])).toMatchObject({ status: 'FINISHED', params: { lr: doc.best.params.lr } });
    },
    T,
  );
});

describe('mlx sweep --early-stop', () => {
  it(
    'stops a child whose curve is below the median of the finished ones: KILLED, tag mlx.early_stopped',
    () => {
      const dir = tempProject('mlx-sweep-early-');
      // Three good curves finish first (--parallel 1, grid order); q=0.1 is far below them at every
      // step and would run for 30 s, so only early stopping ends it.
      const r = mlx(dir, [
        'sweep',
        '--json',
        '--param',
        'q=0.9,0.8,0.85,0.1',
        '--metric',
        'val_accuracy',
        '--early-stop',
        '--',
        NODE,
        TRAIN,
        '--q',
        '{q}',
        '--steps',
        '5',
        '--slow-below',
        '0.5',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.counts).toMatchObject({ finished: 3, early_stopped: 1, killed: 0 });
      expect(doc.best).toMatchObject({ trial: 1, params: { q: '0.9' } });
      const stopped = doc.runs.find((x: any) => x.trial === 4);
      expect(stopped).toMatchObject({ status: 'KILLED', early_stopped: true, best: false });
      const run = mlxJson(dir, ['runs', 'show', stopped.run_id]);
      expect(run.status).toBe('KILLED');
      expect(run.tags['mlx.early_stopped']).toBe('true');
      expect(run.tags['mlx.early_stopped.reason']).toMatch(/worse than the median .* of 3 runs/);
      expect(r.stderr).toMatch(/^mlx: \[4\/4\] trial 4 early-stopped at step \d+/m);
      // A resume has nothing left to do: an early-stopped trial is settled.
      const again = mlx(dir, ['sweep', '--resume', doc.parent_run_id, '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).counts).toMatchObject({ finished: 3, early_stopped: 1 });
      expect(children(dir, doc.parent_run_id)).toHaveLength(4);
    },
    T,
  );
});
