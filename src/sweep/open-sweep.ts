import type { Experiment, RunInfo } from '../core/entities.js';
import type { TrackingStore } from '../store/store.js';
import { listChildRuns, summarize } from './children.js';
import { CompletedCurves } from './median-stopping.js';
import { parseParamSpecs } from './param-space.js';
import { createSweepParent, loadSweep, reopenSweepParent, settleStaleChildren } from './sweep-parent.js';
import { planTrials, type SweepConfig, type Trial } from './sweep-plan.js';
import type { SweepOptions, SweepProgress } from './sweep-types.js';

/** A sweep ready to run its trials: new, or resumed from its parent run. */
export interface OpenedSweep {
  config: SweepConfig;
  parent: RunInfo;
  experiment: Experiment;
  /** The trials still to run, in order. */
  queue: Trial[];
  total: number;
  /** The param keys, for the results table. */
  keys: string[];
  /** Finished trials' curves of the metric, for the median stopping rule. */
  completed: CompletedCurves;
  /** What is settled already, so a resumed sweep shows its true state. */
  progress: SweepProgress;
  resumed: boolean;
}

/**
 * Creates the parent run of a new sweep (o.config), or reopens the one to resume (o.resume): its
 * definition, the trials left, and the finished children's curves for early stopping.
 */
export async function openSweep(
  store: TrackingStore,
  o: Pick<SweepOptions, 'config' | 'experiment' | 'name' | 'resume' | 'retryFailed' | 'cwd' | 'env' | 'startRun'>,
  warn: (message: string) => void,
): Promise<OpenedSweep> {
  const completed = new CompletedCurves();
  let config: SweepConfig;
  let parent: RunInfo;
  let experiment: Experiment;
  let queue: Trial[];
  let total: number;
  if (o.resume !== undefined) {
    const loaded = await loadSweep(store, o.resume, { retryFailed: o.retryFailed });
    ({ config, experiment } = loaded);
    parent = loaded.parent.info;
    queue = loaded.pending;
    total = loaded.trials.length;
    await reopenSweepParent(store, parent.run_id);
    await settleStaleChildren(store, parent.run_id, parent.experiment_id);
    if (config.earlyStop)
      for (const r of loaded.children) if (r.info.status === 'FINISHED') completed.add(await store.getMetricHistory(r.info.run_id, config.metric!));
  } else {
    config = o.config!;
    if (!o.startRun) throw new Error('a new sweep needs startRun (app/start-run.ts startTaggedRun)');
    ({ parent, experiment } = await createSweepParent(store, {
      config,
      experiment: o.experiment ?? '0',
      name: o.name,
      cwd: o.cwd,
      env: o.env,
      warn,
      startRun: o.startRun,
    }));
    queue = planTrials(config);
    total = queue.length;
  }
  const keys = parseParamSpecs(config.params).map((s) => s.key);
  const before = summarize(await listChildRuns(store, parent.run_id, parent.experiment_id), keys, config.metric, config.goal);
  const progress: SweepProgress = {
    total,
    done: total - queue.length,
    running: 0,
    failed: before.rows.filter((r) => r.status === 'FAILED' && !queue.some((t) => t.trial === r.trial)).length,
    best: before.best ? { value: before.best.value!, trial: before.best.trial, runId: before.best.run_id } : null,
  };
  return { config, parent, experiment, queue, total, keys, completed, progress, resumed: o.resume !== undefined };
}
