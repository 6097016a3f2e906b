import type { RunStatus } from '../core/entities.js';
import { EARLY_STOPPED_TAG, listChildRuns, summarize, TRIAL_TAG } from './children.js';
import { spawnMlxRun, type ChildHandle, type Launcher } from './launcher.js';
import { lastStep, medianStop, type StopDecision } from './median-stopping.js';
import type { OpenedSweep } from './open-sweep.js';
import { finishSweepParent, settleStaleChildren } from './sweep-parent.js';
import { DEFAULT_MAX_FAILURES, trialCommand, trialEnv, type Trial } from './sweep-plan.js';
import { pendingTrials, sweepOutcome, type StoppedBy } from './sweep-outcome.js';
import type { SweepEvent, SweepOptions, SweepOutcome, SweepProgress } from './sweep-types.js';

/** A trial whose child is running. */
interface Active {
  trial: Trial;
  handle: ChildHandle;
  runId: string | null;
  checkedStep: number;
  earlyStop: StopDecision | null;
  killTimer?: NodeJS.Timeout;
}

/** How a trial's run ended, as recorded in the store. */
export interface TrialResult {
  status: RunStatus;
  value: number | null;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs an opened sweep's trials, `parallel` at a time: starts each as a child `mlx run`, reads
 * running children's curves for the median stopping rule, turns the first Ctrl-C into a clean stop
 * (the second kills), stops at the first failure with fail-fast or after maxFailures in a row, and
 * records the end on the parent.
 */
export class SweepRunner {
  private readonly active = new Set<Active>();
  private readonly progress: SweepProgress;
  private readonly launcher: Launcher;
  private stoppedBy: StoppedBy = null;
  private signal: NodeJS.Signals | null = null;
  private polling = false;
  /** Trials that failed in a row (a finished one resets it). */
  private failuresInARow = 0;

  constructor(
    private readonly o: SweepOptions,
    private readonly s: OpenedSweep,
  ) {
    this.progress = { ...s.progress };
    this.launcher = o.launcher ?? ((spec) => spawnMlxRun(spec));
  }

  private emit(e: SweepEvent): void {
    this.o.onEvent?.(e);
  }

  private get parallel(): number {
    return Math.max(1, Math.min(this.o.parallel ?? this.s.config.parallel, this.s.queue.length || 1));
  }

  /** Runs every trial left and finishes the parent run; returns how the sweep ended. */
  async run(): Promise<SweepOutcome> {
    const { parent, experiment, config, queue } = this.s;
    this.emit({
      type: 'start',
      parent,
      experiment,
      config,
      pending: queue.length,
      resumed: this.s.resumed,
      parallel: this.parallel,
      progress: { ...this.progress },
    });
    const onSignal = (sig: NodeJS.Signals) => this.interrupt(sig);
    const onAbort = () => this.interrupt('SIGINT');
    if (this.o.handleSignals !== false) for (const sig of SIGNALS) process.on(sig, onSignal);
    this.o.abortSignal?.addEventListener('abort', onAbort, { once: true });
    if (this.o.abortSignal?.aborted) onAbort();
    const poller = config.earlyStop ? setInterval(() => void this.poll(), this.o.pollMs ?? 1000) : undefined;
    try {
      const worker = async () => {
        for (let t = queue.shift(); t && !this.stoppedBy; t = this.stoppedBy ? undefined : queue.shift()) await this.runTrial(t);
      };
      await Promise.all(Array.from({ length: this.parallel }, worker));
    } finally {
      clearInterval(poller);
      if (this.o.handleSignals !== false) for (const sig of SIGNALS) process.off(sig, onSignal);
      this.o.abortSignal?.removeEventListener('abort', onAbort);
    }
    return this.finish();
  }

  /** The first interrupt asks every child to stop; a second one kills them. */
  interrupt(sig: NodeJS.Signals): void {
    const force = this.stoppedBy === 'interrupt';
    this.signal ??= sig;
    this.stoppedBy = 'interrupt';
    for (const a of this.active) {
      if (force) a.handle.kill();
      else a.handle.stop(sig);
    }
    this.emit({ type: 'stopping', reason: 'interrupt', signal: sig, force, running: this.active.size });
  }

  private async runTrial(trial: Trial): Promise<void> {
    const { config, parent, experiment } = this.s;
    const { store } = this.o;
    const handle = this.launcher({
      trial: trial.trial,
      trackingUri: store.uri,
      experiment: experiment.name,
      runName: `${parent.run_name}-${trial.trial}`,
      params: trial.values,
      tags: { ...config.tags, [TRIAL_TAG]: String(trial.trial) },
      command: trialCommand(config, trial),
      env: {
        ...this.o.env,
        MLX_RUN_ID: parent.run_id,
        MLX_TRACKING_URI: store.uri,
        MLX_EXPERIMENT: experiment.experiment_id,
        ...trialEnv(trial, parent.run_id),
      },
      cwd: this.o.cwd,
      onLine: this.o.onLine ? (stream, line) => this.o.onLine!(trial.trial, stream, line) : undefined,
    });
    const a: Active = { trial, handle, runId: null, checkedStep: -Infinity, earlyStop: null };
    this.active.add(a);
    this.progress.running++;
    a.runId = await handle.runId;
    if (a.runId) this.emit({ type: 'trial-start', trial, runId: a.runId, progress: { ...this.progress } });
    const exit = await handle.exited;
    clearTimeout(a.killTimer);
    this.active.delete(a);
    this.progress.running--;
    const { status, value } = await this.settle(a);
    const newBest = this.count(a, status, value);
    this.emit({
      type: 'trial-end',
      trial,
      runId: a.runId,
      status,
      value,
      earlyStop: status === 'KILLED' ? a.earlyStop : null,
      newBest,
      exit,
      progress: { ...this.progress },
    });
    if (status === 'FAILED') this.failuresInARow++;
    else if (status === 'FINISHED') this.failuresInARow = 0;
    const maxFailures = this.o.maxFailures ?? config.maxFailures ?? DEFAULT_MAX_FAILURES;
    if (status === 'FAILED' && this.stoppedBy === null) {
      const reason = (this.o.failFast ?? config.failFast) ? 'fail-fast' : maxFailures > 0 && this.failuresInARow >= maxFailures ? 'max-failures' : null;
      if (reason) {
        this.stoppedBy = reason;
        for (const other of this.active) other.handle.stop('SIGTERM');
        this.emit({ type: 'stopping', reason, signal: null, force: false, running: this.active.size, failures: this.failuresInARow });
      }
    }
  }

  /** Records how a trial's run ended: a run left RUNNING is KILLED, an early-stopped one says why; reads the sweep's metric. */
  private async settle(a: Active): Promise<TrialResult> {
    const { config, completed } = this.s;
    const { store } = this.o;
    if (!a.runId) return { status: this.stoppedBy === 'interrupt' ? 'KILLED' : 'FAILED', value: null };
    let run = await store.getRun(a.runId);
    if (run.info.status === 'RUNNING') await store.updateRun(a.runId, { status: 'KILLED', endTime: Date.now() });
    const status = run.info.status === 'RUNNING' ? 'KILLED' : run.info.status;
    if (status === 'KILLED' && a.earlyStop) {
      const d = a.earlyStop;
      await store.setTag(a.runId, EARLY_STOPPED_TAG, 'true');
      await store.setTag(a.runId, `${EARLY_STOPPED_TAG}.reason`, `step ${d.step}: best ${d.best} worse than the median ${d.median} of ${d.runs} runs`);
    }
    run = await store.getRun(a.runId);
    const value = config.metric !== null && config.metric in run.metrics ? run.metrics[config.metric] : null;
    if (status === 'FINISHED' && config.earlyStop) completed.add(await store.getMetricHistory(a.runId, config.metric!));
    return { status, value };
  }

  /** Counts a settled trial in the progress; true when it is the best so far. */
  private count(a: Active, status: RunStatus, value: number | null): boolean {
    const p = this.progress;
    if (!(status === 'KILLED' && !a.earlyStop)) p.done++;
    if (status === 'FAILED') p.failed++;
    const better = (v: number, than: number) => (this.s.config.goal === 'min' ? v < than : v > than);
    const newBest = status === 'FINISHED' && !!a.runId && value !== null && Number.isFinite(value) && (!p.best || better(value, p.best.value));
    if (newBest) p.best = { value: value!, trial: a.trial.trial, runId: a.runId! };
    return newBest;
  }

  /** Reads the running children's curves and stops those the median rule says will not catch up. */
  private async poll(): Promise<void> {
    const { config, completed } = this.s;
    if (this.polling || !config.earlyStop || this.stoppedBy) return;
    this.polling = true;
    try {
      for (const a of this.active) {
        if (!a.runId || a.earlyStop) continue;
        const history = await this.o.store.getMetricHistory(a.runId, config.metric!);
        const d = medianStop(history, completed, { goal: config.goal!, ...config.earlyStop }, a.checkedStep);
        a.checkedStep = Math.max(a.checkedStep, lastStep(history));
        if (!d || this.stoppedBy) continue;
        a.earlyStop = d;
        a.handle.stop('SIGTERM');
        a.killTimer = setTimeout(() => a.handle.kill(), this.o.killGraceMs ?? 10_000);
      }
    } catch (err) {
      this.emit({ type: 'warning', message: `early stopping could not read metrics: ${(err as Error).message}` });
    } finally {
      this.polling = false;
    }
  }

  /** Settles children a killed sweep left RUNNING, then records the sweep's end and its best trial on the parent. */
  private async finish(): Promise<SweepOutcome> {
    const { parent, config, keys, total } = this.s;
    const { store } = this.o;
    await settleStaleChildren(store, parent.run_id, parent.experiment_id);
    const results = summarize(await listChildRuns(store, parent.run_id, parent.experiment_id), keys, config.metric, config.goal, total);
    const pending = pendingTrials(total, results);
    const { status, exitCode } = sweepOutcome(this.stoppedBy, this.signal, results);
    const complete = this.stoppedBy === null && pending === 0;
    await finishSweepParent(store, {
      parentRunId: parent.run_id,
      config,
      results,
      status,
      complete,
      warn: (message) => this.emit({ type: 'warning', message }),
    });
    return {
      parentRunId: parent.run_id,
      parentName: parent.run_name,
      experimentId: parent.experiment_id,
      config,
      status,
      exitCode,
      stoppedBy: this.stoppedBy,
      results,
      pending,
    };
  }
}
