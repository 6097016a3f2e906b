// The orchestrator with a stand-in launcher that plays `mlx run` against a real store, so
// concurrency, failures, --fail-fast, early stopping and --resume are checked without processes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { ChildHandle, Launcher, LaunchSpec } from './launcher.js';
import { startTaggedRun } from '../app/start-run.js';
import { runSweep, type SweepEvent, type SweepOptions } from './sweep.js';
import { buildSweepConfig, type SweepFlags } from '../cli/commands/sweep-flags.js';

interface Behaviour {
  curve?: number[];
  fail?: boolean;
  /** Wait, after the curve, until stopped. */
  hang?: boolean;
}

const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function newStore(): SqliteStore {
  const s = new SqliteStore(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-sweep-unit-')), { create: true });
  stores.push(s);
  return s;
}

/** A launcher that creates the child run in the store, logs `acc` per step and ends as told. */
function fakeLauncher(store: SqliteStore, behave: (values: Record<string, string>) => Behaviour) {
  const launched: LaunchSpec[] = [];
  let running = 0;
  let maxRunning = 0;
  const launcher: Launcher = (spec): ChildHandle => {
    launched.push(spec);
    maxRunning = Math.max(maxRunning, ++running);
    let stopped: string | null = null;
    let wake = () => {};
    const runId = (async () => {
      const exp = (await store.getExperimentByName(spec.experiment))!;
      const info = await store.createRun({
        experimentId: exp.experiment_id,
        runName: spec.runName,
        userId: 'tester',
        params: spec.params,
        tags: spec.tags,
        parentRunId: spec.env.MLX_RUN_ID,
      });
      return info.run_id;
    })();
    const exited = (async () => {
      const id = await runId;
      const b = behave(spec.params);
      for (const [i, value] of (b.curve ?? [0.5]).entries()) {
        if (stopped) break;
        await store.logMetric(id, { key: 'acc', value, step: i + 1, timestamp: Date.now() });
        await new Promise((r) => setImmediate(r));
      }
      if (b.hang && !stopped) await new Promise<void>((r) => (wake = r));
      const status = stopped ? 'KILLED' : b.fail ? 'FAILED' : 'FINISHED';
      await store.setTag(id, 'mlx.exit_code', status === 'FAILED' ? '1' : status === 'KILLED' ? '130' : '0');
      await store.updateRun(id, { status, endTime: Date.now() });
      running--;
      return { code: status === 'FAILED' ? 1 : 0, signal: null, lastLine: b.fail ? 'boom' : null, firstError: b.fail ? 'boom' : null };
    })();
    return {
      runId,
      exited,
      stop: (sig) => {
        stopped = sig;
        wake();
      },
      kill: () => {
        stopped = 'SIGKILL';
        wake();
      },
    };
  };
  return { launcher, launched, maxRunning: () => maxRunning };
}

function sweep(store: SqliteStore, flags: SweepFlags, launcher: Launcher, extra: Partial<SweepOptions> = {}) {
  const config = buildSweepConfig({ metric: 'acc', ...flags }, ['train', '--lr', '{lr}'], () => 99);
  return runSweep({
    store,
    cwd: process.cwd(),
    env: { PATH: process.env.PATH },
    config,
    experiment: 'sweeps',
    name: 'sw',
    startRun: startTaggedRun,
    handleSignals: false,
    launcher,
    pollMs: 5,
    ...extra,
  });
}

describe('runSweep', () => {
  it('runs every trial as a child of the parent, at most --parallel at once, and records the best', async () => {
    const store = newStore();
    const f = fakeLauncher(store, (p) => ({ curve: [0.1, Number(p.lr) * Number(p.bs)] }));
    const out = await sweep(store, { param: ['lr=0.1,0.2,0.3', 'bs=1,2'], parallel: '2' }, f.launcher);
    expect(out).toMatchObject({ status: 'FINISHED', exitCode: 0, stoppedBy: null, pending: 0 });
    expect(f.launched).toHaveLength(6);
    expect(f.maxRunning()).toBe(2);
    const spec = f.launched.find((s) => s.params.lr === '0.2' && s.params.bs === '1')!;
    expect(spec.command).toEqual(['train', '--lr', '0.2']);
    expect(spec.env).toMatchObject({ MLX_RUN_ID: out.parentRunId, MLX_PARAM_LR: '0.2', MLX_PARAM_BS: '1', MLX_SWEEP_TRIAL: '3' });
    expect(spec.runName).toBe('sw-3');
    expect(spec.tags['mlx.sweep.trial']).toBe('3');

    // Best first; the tie (0.2) in trial order.
    expect(out.results.rows.map((r) => r.trial)).toEqual([6, 4, 5, 2, 3, 1]);
    expect(out.results.best).toMatchObject({ trial: 6, params: { lr: '0.3', bs: '2' }, value: 0.6 });
    const parent = await store.getRun(out.parentRunId);
    expect(parent.info.status).toBe('FINISHED');
    expect(parent.tags.best_run_id).toBe(out.results.best!.run_id);
    expect(parent.params).toEqual({ lr: '0.3', bs: '2' });
    expect(parent.metrics.acc).toBe(0.6);
    expect(parent.tags['mlx.sweep.strategy']).toBe('grid');
  });

  it('a failed child is recorded FAILED and the sweep goes on; --fail-fast stops it', async () => {
    const store = newStore();
    const fails = (p: Record<string, string>) => ({ fail: p.lr === '2', curve: [Number(p.lr)] });
    const on = await sweep(store, { param: ['lr=1,2,3'] }, fakeLauncher(store, fails).launcher);
    expect(on).toMatchObject({ status: 'FINISHED', exitCode: 0 });
    expect(on.results.counts).toMatchObject({ finished: 2, failed: 1 });
    // The failed run's metric does not make it the best.
    expect(on.results.best?.trial).toBe(3);

    const f = fakeLauncher(store, fails);
    const stop = await sweep(store, { param: ['lr=1,2,3'], failFast: true }, f.launcher);
    expect(stop).toMatchObject({ status: 'FAILED', exitCode: 1, stoppedBy: 'fail-fast', pending: 1 });
    expect(f.launched.map((s) => s.params.lr)).toEqual(['1', '2']);
    expect((await store.getRun(stop.parentRunId)).params).toEqual({});
  });

  it('stops after maxFailures trials in a row failed (default 3); a finished trial resets the count; 0 never stops', async () => {
    const store = newStore();
    const allFail = fakeLauncher(store, () => ({ fail: true }));
    const out = await sweep(store, { param: ['lr=1,2,3,4,5,6,7,8'] }, allFail.launcher);
    expect(out).toMatchObject({ status: 'FAILED', exitCode: 1, stoppedBy: 'max-failures', pending: 5 });
    expect(allFail.launched).toHaveLength(3);

    // Fails, fails, finishes, fails, fails: never 3 in a row.
    const mixed = fakeLauncher(store, (p) => ({ fail: p.lr !== '3' && p.lr !== '6', curve: [Number(p.lr)] }));
    const ok = await sweep(store, { param: ['lr=1,2,3,4,5,6,7'] }, mixed.launcher);
    expect(ok).toMatchObject({ status: 'FINISHED', stoppedBy: null, pending: 0 });
    expect(mixed.launched).toHaveLength(7);

    const two = fakeLauncher(store, () => ({ fail: true }));
    expect(await sweep(store, { param: ['lr=1,2,3,4'], maxFailures: '2' }, two.launcher)).toMatchObject({ stoppedBy: 'max-failures', pending: 2 });
    const never = fakeLauncher(store, () => ({ fail: true }));
    expect(await sweep(store, { param: ['lr=1,2,3,4,5'], maxFailures: '0' }, never.launcher)).toMatchObject({ stoppedBy: null, pending: 0 });
    expect(never.launched).toHaveLength(5);
  });

  it('--fail-fast stops the children still running (KILLED)', async () => {
    const store = newStore();
    const f = fakeLauncher(store, (p) => (p.lr === '1' ? { fail: true } : { hang: true }));
    const out = await sweep(store, { param: ['lr=1,2,3'], parallel: '3', failFast: true }, f.launcher);
    expect(out.status).toBe('FAILED');
    const byTrial = Object.fromEntries(out.results.rows.map((r) => [r.trial, r.status]));
    expect(byTrial).toEqual({ 1: 'FAILED', 2: 'KILLED', 3: 'KILLED' });
  });

  it('stops a child early whose curve is worse than the median of finished ones', async () => {
    const store = newStore();
    const good = [0.5, 0.6, 0.7];
    const f = fakeLauncher(store, (p) => (p.q === 'bad' ? { curve: [0.1, 0.1], hang: true } : { curve: good.map((v) => v + Number(p.q) / 100) }));
    const events: SweepEvent[] = [];
    const out = await sweep(store, { param: ['q=1,2,3,bad'], earlyStop: true }, f.launcher, { onEvent: (e) => events.push(e) });
    expect(out.status).toBe('FINISHED');
    const bad = out.results.rows.find((r) => r.params.q === 'bad')!;
    expect(bad).toMatchObject({ status: 'KILLED', early_stopped: true });
    const run = await store.getRun(bad.run_id);
    expect(run.tags['mlx.early_stopped']).toBe('true');
    expect(run.tags['mlx.early_stopped.reason']).toMatch(/^step 1: best 0.1 worse than the median 0.52 of 3 runs$/);
    expect(events.find((e) => e.type === 'trial-end' && e.earlyStop)).toBeTruthy();
    expect(out.results.counts).toMatchObject({ finished: 3, early_stopped: 1 });
  });

  it('an interrupted sweep ends KILLED; --resume runs only the trials not finished', async () => {
    const store = newStore();
    const abort = new AbortController();
    const first = fakeLauncher(store, (p) => (p.lr === '1' ? { curve: [0.9] } : { hang: true }));
    const out = await sweep(store, { param: ['lr=1,2,3,4'], parallel: '2' }, first.launcher, {
      abortSignal: abort.signal,
      onEvent: (e) => {
        if (e.type === 'trial-start' && e.trial.trial === 3) abort.abort();
      },
    });
    expect(out).toMatchObject({ status: 'KILLED', exitCode: 130, stoppedBy: 'interrupt', pending: 3 });
    expect(first.launched.map((s) => s.params.lr)).toEqual(['1', '2', '3']);
    expect(Object.fromEntries(out.results.rows.map((r) => [r.trial, r.status]))).toEqual({ 1: 'FINISHED', 2: 'KILLED', 3: 'KILLED' });
    // The best so far is tagged; params wait for the sweep to complete.
    const parent = await store.getRun(out.parentRunId);
    expect(parent.info.status).toBe('KILLED');
    expect(parent.tags.best_run_id).toBe(out.results.rows[0].run_id);
    expect(parent.params).toEqual({});

    const second = fakeLauncher(store, (p) => ({ curve: [Number(p.lr) / 10] }));
    const resumed = await runSweep({
      store,
      cwd: process.cwd(),
      env: {},
      resume: out.parentRunId.slice(0, 8),
      handleSignals: false,
      launcher: second.launcher,
    });
    expect(second.launched.map((s) => s.params.lr)).toEqual(['2', '3', '4']);
    expect(second.launched[0].runName).toBe('sw-2');
    expect(resumed).toMatchObject({ status: 'FINISHED', exitCode: 0, pending: 0, parentRunId: out.parentRunId });
    expect(resumed.results.rows.map((r) => [r.trial, r.status])).toEqual([
      [1, 'FINISHED'],
      [4, 'FINISHED'],
      [3, 'FINISHED'],
      [2, 'FINISHED'],
    ]);
    const done = await store.getRun(out.parentRunId);
    expect(done.info.status).toBe('FINISHED');
    expect(done.params).toEqual({ lr: '1' });

    // Nothing left: a second --resume runs nothing and reports the same.
    const third = fakeLauncher(store, () => ({}));
    const again = await runSweep({ store, cwd: process.cwd(), env: {}, resume: out.parentRunId, handleSignals: false, launcher: third.launcher });
    expect(third.launched).toHaveLength(0);
    expect(again.results.best?.trial).toBe(1);
  });

  it('--resume re-runs failed trials only with retryFailed, and refuses a run that is not a sweep', async () => {
    const store = newStore();
    const out = await sweep(store, { param: ['lr=1,2'] }, fakeLauncher(store, (p) => ({ fail: p.lr === '2' })).launcher);
    const again = fakeLauncher(store, () => ({}));
    await runSweep({ store, cwd: '.', env: {}, resume: out.parentRunId, handleSignals: false, launcher: again.launcher });
    expect(again.launched).toHaveLength(0);
    await runSweep({ store, cwd: '.', env: {}, resume: out.parentRunId, retryFailed: true, handleSignals: false, launcher: again.launcher });
    expect(again.launched.map((s) => s.params.lr)).toEqual(['2']);

    const child = out.results.rows[0].run_id;
    await expect(runSweep({ store, cwd: '.', env: {}, resume: child, handleSignals: false, launcher: again.launcher })).rejects.toThrow(/is not a sweep/);
  });
});
