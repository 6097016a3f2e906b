/**
 * `mlx sweep`: runs a command once per trial, each as a child `mlx run` of one parent run, at
 * most `parallel` at a time; stops children early by the median rule; turns Ctrl-C into a
 * clean stop (children KILLED, finished ones intact) that a resumed sweep picks up. The steps:
 * open-sweep.ts (a new sweep or the one to resume), sweep-runner.ts (trials, early stopping,
 * signals), sweep-outcome.ts (how it ended).
 */
import type { Experiment, RunInfo, RunStatus } from '../core/entities.js';
import type { TrackingStore } from '../store/store.js';
import type { SweepResults } from './children.js';
import type { ChildExit, Launcher } from './launcher.js';
import type { StopDecision } from './median-stopping.js';
import { openSweep } from './open-sweep.js';
import { SweepRunner } from './sweep-runner.js';
import type { SweepConfig, Trial } from './sweep-plan.js';

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
  /** Override the recorded parallelism and fail-fast (when resuming). */
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
  /** Trials never run (after an interrupt or a fail-fast stop). */
  pending: number;
}

/** Runs (or, with `resume`, finishes) a sweep; returns how it ended. Validate the config before calling: this writes. */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const warn = (message: string) => o.onEvent?.({ type: 'warning', message });
  const opened = await openSweep(o.store, o, warn);
  const runner = new SweepRunner(o, opened);
  return runner.run();
}
