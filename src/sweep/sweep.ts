/**
 * `mlx sweep`: runs a command once per trial, each as a child `mlx run` of one parent run, at
 * most `parallel` at a time; stops children early by the median rule; turns Ctrl-C into a
 * clean stop (children KILLED, finished ones intact) that `--resume` picks up.
 */
import os from 'node:os';
import type { Experiment, RunInfo, RunStatus } from '../core/entities.js';
import type { TrackingStore } from '../store/store.js';
import { EARLY_STOPPED_TAG, listChildRuns, summarize, TRIAL_TAG, type SweepResults } from './children.js';
import { spawnMlxRun, type ChildExit, type ChildHandle, type Launcher } from './launcher.js';
import { CompletedCurves, lastStep, medianStop, type StopDecision } from './median-stopping.js';
import { parseParamSpecs } from './param-space.js';
import { createSweepParent, finishSweepParent, loadSweep, reopenSweepParent, settleStaleChildren } from './sweep-parent.js';
import { planTrials, trialCommand, trialEnv, type SweepConfig, type Trial } from './sweep-plan.js';

export interface SweepProgress {
  total: number;
  done: number;
  running: number;
  failed: number;
  best: { value: number; trial: number; runId: string } | null;
}

export type SweepEvent =
  | {
      type: 'start';
      parent: RunInfo;
      experiment: Experiment;
      config: SweepConfig;
      pending: number;
      resumed: boolean;
      parallel: number;
      progress: SweepProgress;
    }
  | { type: 'trial-start'; trial: Trial; runId: string | null; progress: SweepProgress }
  | {
      type: 'trial-end';
      trial: Trial;
      runId: string | null;
      status: RunStatus;
      value: number | null;
      earlyStop: StopDecision | null;
      /** This trial is the best so far. */
      newBest: boolean;
      exit: ChildExit;
      progress: SweepProgress;
    }
  | { type: 'stopping'; reason: 'interrupt' | 'fail-fast'; signal: NodeJS.Signals | null; force: boolean; running: number }
  | { type: 'warning'; message: string };

export interface SweepOptions {
  store: TrackingStore;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A new sweep: its definition, experiment and name. */
  config?: SweepConfig;
  experiment?: string;
  name?: string;
  /** Or the parent run of a sweep to finish. */
  resume?: string;
  retryFailed?: boolean;
  /** Override the recorded --parallel / --fail-fast (for --resume). */
  parallel?: number;
  failFast?: boolean;
  launcher?: Launcher;
  onEvent?: (e: SweepEvent) => void;
  /** Children's output lines, when the user wants to see them. */
  onLine?: (trial: number, stream: 'stdout' | 'stderr', line: string) => void;
  /** How often running children's metrics are read for early stopping. */
  pollMs?: number;
  /** How long a child asked to stop may take before it is killed. */
  killGraceMs?: number;
  /** Install SIGINT/SIGTERM/SIGHUP handlers for the duration (default true). */
  handleSignals?: boolean;
  /** Aborting it stops the sweep as a first Ctrl-C does. */
  abortSignal?: AbortSignal;
}

export interface SweepOutcome {
  parentRunId: string;
  parentName: string;
  experimentId: string;
  config: SweepConfig;
  status: 'FINISHED' | 'FAILED' | 'KILLED';
  exitCode: number;
  stoppedBy: 'interrupt' | 'fail-fast' | null;
  results: SweepResults;
  /** Trials never run (after an interrupt or --fail-fast). */
  pending: number;
}

interface Active {
  trial: Trial;
  handle: ChildHandle;
  runId: string | null;
  checkedStep: number;
  earlyStop: StopDecision | null;
  killTimer?: NodeJS.Timeout;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Runs (or, with `resume`, finishes) a sweep; returns how it ended. Validate the config before calling: this writes. */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const { store } = o;
  const emit = (e: SweepEvent) => o.onEvent?.(e);
  const warn = (message: string) => emit({ type: 'warning', message });
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
      for (const r of loaded.children)
        if (r.info.status === 'FINISHED') completed.add(await store.getMetricHistory(r.info.run_id, config.metric!));
  } else {
    config = o.config!;
    ({ parent, experiment } = await createSweepParent(store, { config, experiment: o.experiment ?? '0', name: o.name, cwd: o.cwd, env: o.env, warn }));
    queue = planTrials(config);
    total = queue.length;
  }
  const parallel = Math.max(1, Math.min(o.parallel ?? config.parallel, queue.length || 1));
  const failFast = o.failFast ?? config.failFast;
  const keys = parseParamSpecs(config.params).map((s) => s.key);
  const launcher = o.launcher ?? ((spec) => spawnMlxRun(spec));
  // Progress counts what is settled already, so a resumed sweep shows its true state.
  const before = summarize(await listChildRuns(store, parent.run_id, parent.experiment_id), keys, config.metric, config.goal);
  const progress: SweepProgress = {
    total,
    done: total - queue.length,
    running: 0,
    failed: before.rows.filter((r) => r.status === 'FAILED' && !queue.some((t) => t.trial === r.trial)).length,
    best: before.best ? { value: before.best.value!, trial: before.best.trial, runId: before.best.run_id } : null,
  };
  emit({ type: 'start', parent, experiment, config, pending: queue.length, resumed: o.resume !== undefined, parallel, progress: { ...progress } });
  const active = new Set<Active>();
  let stoppedBy: 'interrupt' | 'fail-fast' | null = null;
  let signal: NodeJS.Signals | null = null;

  const stopAll = (sig: NodeJS.Signals) => {
    for (const a of active) a.handle.stop(sig);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    const force = stoppedBy === 'interrupt';
    signal ??= sig;
    stoppedBy = 'interrupt';
    if (force) for (const a of active) a.handle.kill();
    else stopAll(sig);
    emit({ type: 'stopping', reason: 'interrupt', signal: sig, force, running: active.size });
  };
  if (o.handleSignals !== false) for (const s of SIGNALS) process.on(s, onSignal);
  const onAbort = () => onSignal('SIGINT');
  o.abortSignal?.addEventListener('abort', onAbort, { once: true });
  if (o.abortSignal?.aborted) onAbort();

  const better = (v: number, than: number) => (config.goal === 'min' ? v < than : v > than);
  const runTrial = async (trial: Trial) => {
    const handle = launcher({
      trial: trial.trial,
      trackingUri: store.uri,
      experiment: experiment.name,
      runName: `${parent.run_name}-${trial.trial}`,
      params: trial.values,
      tags: { ...config.tags, [TRIAL_TAG]: String(trial.trial) },
      command: trialCommand(config, trial),
      env: { ...o.env, MLX_RUN_ID: parent.run_id, MLX_TRACKING_URI: store.uri, MLX_EXPERIMENT: experiment.experiment_id, ...trialEnv(trial, parent.run_id) },
      cwd: o.cwd,
      onLine: o.onLine ? (stream, line) => o.onLine!(trial.trial, stream, line) : undefined,
    });
    const a: Active = { trial, handle, runId: null, checkedStep: -Infinity, earlyStop: null };
    active.add(a);
    progress.running++;
    a.runId = await handle.runId;
    if (a.runId) emit({ type: 'trial-start', trial, runId: a.runId, progress: { ...progress } });
    const exit = await handle.exited;
    clearTimeout(a.killTimer);
    active.delete(a);
    progress.running--;

    let status: RunStatus = 'FAILED';
    let value: number | null = null;
    if (a.runId) {
      let run = await store.getRun(a.runId);
      if (run.info.status === 'RUNNING') await store.updateRun(a.runId, { status: 'KILLED', endTime: Date.now() });
      status = run.info.status === 'RUNNING' ? 'KILLED' : run.info.status;
      if (status === 'KILLED' && a.earlyStop) {
        const d = a.earlyStop;
        await store.setTag(a.runId, EARLY_STOPPED_TAG, 'true');
        await store.setTag(a.runId, `${EARLY_STOPPED_TAG}.reason`, `step ${d.step}: best ${d.best} worse than the median ${d.median} of ${d.runs} runs`);
      }
      run = await store.getRun(a.runId);
      if (config.metric !== null && config.metric in run.metrics) value = run.metrics[config.metric];
      if (status === 'FINISHED' && config.earlyStop) completed.add(await store.getMetricHistory(a.runId, config.metric!));
    } else if (stoppedBy === 'interrupt') status = 'KILLED';
    const interrupted = status === 'KILLED' && !a.earlyStop;
    if (!interrupted) progress.done++;
    if (status === 'FAILED') progress.failed++;
    const newBest =
      status === 'FINISHED' && !!a.runId && value !== null && Number.isFinite(value) && (!progress.best || better(value, progress.best.value));
    if (newBest) progress.best = { value: value!, trial: trial.trial, runId: a.runId! };
    const earlyStop = status === 'KILLED' ? a.earlyStop : null;
    emit({ type: 'trial-end', trial, runId: a.runId, status, value, earlyStop, newBest, exit, progress: { ...progress } });
    if (status === 'FAILED' && failFast && stoppedBy === null) {
      stoppedBy = 'fail-fast';
      stopAll('SIGTERM');
      emit({ type: 'stopping', reason: 'fail-fast', signal: null, force: false, running: active.size });
    }
  };

  let polling = false;
  const poll = async () => {
    if (polling || !config.earlyStop || stoppedBy) return;
    polling = true;
    try {
      for (const a of active) {
        if (!a.runId || a.earlyStop) continue;
        const history = await store.getMetricHistory(a.runId, config.metric!);
        const d = medianStop(history, completed, { goal: config.goal!, ...config.earlyStop }, a.checkedStep);
        a.checkedStep = Math.max(a.checkedStep, lastStep(history));
        if (!d || stoppedBy) continue;
        a.earlyStop = d;
        a.handle.stop('SIGTERM');
        a.killTimer = setTimeout(() => a.handle.kill(), o.killGraceMs ?? 10_000);
      }
    } catch (err) {
      warn(`early stopping could not read metrics: ${(err as Error).message}`);
    } finally {
      polling = false;
    }
  };
  const poller = config.earlyStop ? setInterval(poll, o.pollMs ?? 1000) : undefined;

  try {
    const worker = async () => {
      for (let t = queue.shift(); t && !stoppedBy; t = stoppedBy ? undefined : queue.shift()) await runTrial(t);
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    clearInterval(poller);
    if (o.handleSignals !== false) for (const s of SIGNALS) process.off(s, onSignal);
    o.abortSignal?.removeEventListener('abort', onAbort);
  }

  await settleStaleChildren(store, parent.run_id, parent.experiment_id);
  const results = summarize(await listChildRuns(store, parent.run_id, parent.experiment_id), keys, config.metric, config.goal, total);
  const pending = total - results.rows.filter((r) => r.status !== 'KILLED' || r.early_stopped).length;
  let status: SweepOutcome['status'];
  let exitCode: number;
  if (stoppedBy === 'interrupt') {
    status = 'KILLED';
    exitCode = 128 + (os.constants.signals[signal ?? 'SIGINT'] ?? 2);
  } else if (stoppedBy === 'fail-fast' || results.counts.finished === 0) {
    status = 'FAILED';
    exitCode = 1;
  } else {
    status = 'FINISHED';
    exitCode = 0;
  }
  const complete = stoppedBy === null && pending === 0;
  await finishSweepParent(store, { parentRunId: parent.run_id, config, results, status, complete, warn });
  return { parentRunId: parent.run_id, parentName: parent.run_name, experimentId: parent.experiment_id, config, status, exitCode, stoppedBy, results, pending };
}
