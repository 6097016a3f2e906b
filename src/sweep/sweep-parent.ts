/** The parent run of a sweep: created with the sweep's definition, read back to resume it, and given the best result at the end. */
import os from 'node:os';
import type { Experiment, Run, RunInfo, RunStatus } from '../core/entities.js';
import { MlxError } from '../core/errors.js';
import type { TrackingStore } from '../store/store.js';
import { isDone, latestAttempts, listChildRuns, type SweepResults } from './children.js';
import { parseParamSpecs } from './param-space.js';
import { CONFIG_TAG, parseSweepConfig, planTrials, type SweepConfig, type Trial } from './sweep-plan.js';

export const SWEEP_TAGS = {
  config: CONFIG_TAG,
  strategy: 'mlx.sweep.strategy',
  size: 'mlx.sweep.size',
  seed: 'mlx.sweep.seed',
  metric: 'mlx.sweep.metric',
  goal: 'mlx.sweep.goal',
  /** The process running the sweep, so resuming can refuse a sweep that is still running. */
  pid: 'mlx.sweep.pid',
  bestRunId: 'best_run_id',
} as const;

/** A run to start as `mlx run` starts one. */
export interface RunToStart {
  experiment: string;
  name?: string;
  command: string[];
  tags: Record<string, string>;
  cwd: string;
  env: NodeJS.ProcessEnv;
  warn: (message: string) => void;
}

/**
 * Starts a run as `mlx run` does (source tags; the run of MLX_RUN_ID as its parent). It is app/'s
 * startRun, which sweep/ (a layer below app/) is given by its caller rather than importing.
 */
export type RunStarter = (store: TrackingStore, run: RunToStart) => Promise<{ info: RunInfo; experiment: Experiment }>;

/** Creates the parent run, with the definition as tags (mlx.sweep.*) and the user's tags. */
export async function createSweepParent(
  store: TrackingStore,
  o: { config: SweepConfig; experiment: string; name?: string; cwd: string; env: NodeJS.ProcessEnv; warn: (m: string) => void; startRun: RunStarter },
): Promise<{ parent: RunInfo; experiment: Experiment }> {
  const { config } = o;
  const tags = {
    ...config.tags,
    [SWEEP_TAGS.config]: JSON.stringify(config),
    [SWEEP_TAGS.strategy]: config.strategy,
    [SWEEP_TAGS.size]: String(config.size),
    ...(config.seed !== null ? { [SWEEP_TAGS.seed]: String(config.seed) } : {}),
    ...(config.metric !== null ? { [SWEEP_TAGS.metric]: config.metric, [SWEEP_TAGS.goal]: config.goal! } : {}),
    [SWEEP_TAGS.pid]: String(process.pid),
  };
  const { info, experiment } = await o.startRun(store, {
    experiment: o.experiment,
    name: o.name,
    command: config.command,
    tags,
    cwd: o.cwd,
    env: o.env,
    warn: o.warn,
  });
  return { parent: info, experiment };
}

export interface LoadedSweep {
  parent: Run;
  experiment: Experiment;
  config: SweepConfig;
  trials: Trial[];
  /** Trials still to run (never run, interrupted, or failed with retryFailed). */
  pending: Trial[];
  children: Run[];
}

/** Reads a sweep back from its parent run for --resume; checks everything and writes nothing. */
export async function loadSweep(store: TrackingStore, idOrPrefix: string, opts: { retryFailed?: boolean } = {}): Promise<LoadedSweep> {
  const parent = await store.getRun(await store.resolveRunId(idOrPrefix));
  const id = parent.info.run_id;
  const config = parseSweepConfig(parent.tags[SWEEP_TAGS.config]);
  if (!config)
    throw new MlxError('INVALID_PARAMETER_VALUE', `run ${id} is not a sweep (it has no ${SWEEP_TAGS.config} tag); give the parent run that mlx sweep printed`);
  const pid = Number(parent.tags[SWEEP_TAGS.pid]);
  if (parent.info.status === 'RUNNING' && parent.tags['mlx.host'] === os.hostname() && pid !== process.pid && isAlive(pid))
    throw new MlxError('INVALID_STATE', `sweep ${id} is still running (process ${pid}); stop it first (Ctrl-C or kill -INT ${pid})`);
  const trials = planTrials(config, parseParamSpecs(config.params));
  const children = await listChildRuns(store, id, parent.info.experiment_id);
  const latest = latestAttempts(children);
  for (const [n, run] of latest) {
    const planned = trials[n - 1];
    const differs = planned && Object.entries(planned.values).find(([k, v]) => k in run.params && run.params[k] !== v);
    if (!planned || differs)
      throw new MlxError(
        'INVALID_STATE',
        `child run ${run.info.run_id} of sweep ${id} does not match trial ${n} of its definition${differs ? ` (${differs[0]}=${run.params[differs[0]]}, planned ${differs[1]})` : ''}; start a new sweep`,
      );
  }
  const pending = trials.filter((t) => {
    const run = latest.get(t.trial);
    return !run || !isDone(run, opts.retryFailed);
  });
  const experiment = await store.getExperiment(parent.info.experiment_id);
  return { parent, experiment, config, trials, pending, children };
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Marks the parent running again for --resume, owned by this process. */
export async function reopenSweepParent(store: TrackingStore, parentRunId: string): Promise<void> {
  await store.setTag(parentRunId, SWEEP_TAGS.pid, String(process.pid));
  await store.updateRun(parentRunId, { status: 'RUNNING', endTime: null });
}

/** Children left RUNNING by a process that is gone (a killed sweep, a crashed child) are KILLED. */
export async function settleStaleChildren(store: TrackingStore, parentRunId: string, experimentId: string): Promise<number> {
  let n = 0;
  for (const r of await listChildRuns(store, parentRunId, experimentId))
    if (r.info.status === 'RUNNING') {
      await store.updateRun(r.info.run_id, { status: 'KILLED', endTime: Date.now() });
      n++;
    }
  return n;
}

/**
 * Records the outcome on the parent: the best run (tag best_run_id) and its metric value always;
 * the best params only once every trial has run, because params cannot change afterwards.
 */
export async function finishSweepParent(
  store: TrackingStore,
  o: { parentRunId: string; config: SweepConfig; results: SweepResults; status: RunStatus; complete: boolean; warn: (m: string) => void },
): Promise<void> {
  const { best } = o.results;
  if (best && o.config.metric !== null) {
    await store.setTag(o.parentRunId, SWEEP_TAGS.bestRunId, best.run_id);
    await store.logMetric(o.parentRunId, { key: o.config.metric, value: best.value!, step: 0, timestamp: Date.now() });
    if (o.complete) {
      try {
        await store.logBatch(
          o.parentRunId,
          Object.entries(best.params).map(([key, value]) => ({ type: 'param' as const, key, value })),
        );
      } catch (err) {
        o.warn(`best params not logged on the parent (see tag ${SWEEP_TAGS.bestRunId} for the best run): ${(err as Error).message}`);
      }
    }
  }
  await store.updateRun(o.parentRunId, { status: o.status, endTime: Date.now() });
}
