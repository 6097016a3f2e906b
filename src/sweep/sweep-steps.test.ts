// The steps of a sweep on their own: opening a new or a resumed sweep on a real SQLite store, and
// how it ended (status, exit code, trials left). runSweep as a whole is tested in sweep.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTaggedRun } from '../app/start-run.js';
import { buildSweepConfig } from '../cli/commands/sweep-flags.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { SweepResults, TrialRow } from './children.js';
import { openSweep } from './open-sweep.js';
import { pendingTrials, sweepOutcome } from './sweep-outcome.js';

const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function newStore(): SqliteStore {
  const s = new SqliteStore(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-sweep-steps-')), { create: true });
  stores.push(s);
  return s;
}

const row = (trial: number, status: TrialRow['status'], early = false) => ({ trial, status, early_stopped: early }) as TrialRow;
const results = (rows: TrialRow[], finished: number) => ({ rows, counts: { finished } }) as unknown as SweepResults;
const warn = () => {};

describe('sweepOutcome', () => {
  it('an interrupt is KILLED with 128 + the signal', () => {
    expect(sweepOutcome('interrupt', 'SIGINT', results([], 3))).toEqual({ status: 'KILLED', exitCode: 130 });
    expect(sweepOutcome('interrupt', 'SIGTERM', results([], 3))).toEqual({ status: 'KILLED', exitCode: 143 });
    expect(sweepOutcome('interrupt', null, results([], 3))).toEqual({ status: 'KILLED', exitCode: 130 });
  });

  it('fail-fast, or no trial finished, is FAILED (1); else FINISHED (0)', () => {
    expect(sweepOutcome('fail-fast', null, results([], 2))).toEqual({ status: 'FAILED', exitCode: 1 });
    expect(sweepOutcome(null, null, results([], 0))).toEqual({ status: 'FAILED', exitCode: 1 });
    expect(sweepOutcome(null, null, results([], 1))).toEqual({ status: 'FINISHED', exitCode: 0 });
  });
});

describe('pendingTrials', () => {
  it('an early-stopped trial ended; an interrupted one is still to run', () => {
    const rows = [row(1, 'FINISHED'), row(2, 'KILLED', true), row(3, 'KILLED'), row(4, 'FAILED')];
    expect(pendingTrials(6, results(rows, 1))).toBe(3);
  });
});

describe('openSweep', () => {
  it('a new sweep: the parent run, every trial queued, nothing settled yet', async () => {
    const store = newStore();
    const config = buildSweepConfig({ param: ['lr=0.1,0.2,0.3'], metric: 'acc' }, ['train', '{lr}'], () => 1);
    const s = await openSweep(store, { config, experiment: 'sweeps', name: 'sw', cwd: '.', env: {}, startRun: startTaggedRun }, warn);
    expect(s.resumed).toBe(false);
    expect(s.queue.map((t) => t.values.lr)).toEqual(['0.1', '0.2', '0.3']);
    expect(s.total).toBe(3);
    expect(s.keys).toEqual(['lr']);
    expect(s.progress).toEqual({ total: 3, done: 0, running: 0, failed: 0, best: null });
    expect((await store.getRun(s.parent.run_id)).info.status).toBe('RUNNING');
    expect(s.experiment.name).toBe('sweeps');
  });

  it('a resumed sweep: the trials left, what is settled, and the finished curves for early stopping', async () => {
    const store = newStore();
    const config = buildSweepConfig({ param: ['lr=0.1,0.2,0.3'], metric: 'acc', earlyStop: true }, ['train', '{lr}'], () => 1);
    const first = await openSweep(store, { config, experiment: 'sweeps', name: 'sw', cwd: '.', env: {}, startRun: startTaggedRun }, warn);
    // Trial 1 finished with a curve, trial 2 failed; trial 3 never ran. The parent was left RUNNING by a killed sweep.
    for (const [trial, status] of [
      [1, 'FINISHED'],
      [2, 'FAILED'],
    ] as const) {
      const child = await store.createRun({
        experimentId: first.parent.experiment_id,
        runName: `sw-${trial}`,
        userId: 'tester',
        tags: { 'mlx.sweep.trial': String(trial) },
        params: first.queue[trial - 1].values,
        parentRunId: first.parent.run_id,
      });
      await store.logMetric(child.run_id, { key: 'acc', value: 0.5 + trial / 10, step: 1, timestamp: 1 });
      await store.updateRun(child.run_id, { status, endTime: 2 });
    }
    await store.updateRun(first.parent.run_id, { status: 'KILLED', endTime: 3 });
    const s = await openSweep(store, { resume: first.parent.run_id, cwd: '.', env: {} }, warn);
    expect(s.resumed).toBe(true);
    expect(s.queue.map((t) => t.trial)).toEqual([3]);
    expect(s.progress).toMatchObject({ total: 3, done: 2, failed: 1, best: { trial: 1, value: 0.6 } });
    expect(s.completed.count).toBe(1);
    expect(s.completed.valuesAt(1)).toEqual([0.6]);
    expect((await store.getRun(first.parent.run_id)).info.status).toBe('RUNNING');
  });
});
