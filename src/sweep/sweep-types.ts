import type { Experiment, RunInfo, RunStatus } from '../core/entities.js';
import type { TrackingStore } from '../store/store.js';
import type { SweepResults } from './children.js';
import type { ChildExit, Launcher } from './launcher.js';
import type { StopDecision } from './median-stopping.js';
import type { RunStarter } from './sweep-parent.js';
import type { SweepConfig, Trial } from './sweep-plan.js';

// What a sweep is told (SweepOptions), tells as it goes (SweepEvent) and returns (SweepOutcome).

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
  | {
      type: 'stopping';
      reason: 'interrupt' | 'fail-fast' | 'max-failures';
      signal: NodeJS.Signals | null;
      force: boolean;
      running: number;
      /** max-failures: how many trials failed in a row. */
      failures?: number;
    }
  | { type: 'warning'; message: string };

export interface SweepOptions {
  store: TrackingStore;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A new sweep: its definition, experiment and name. */
  config?: SweepConfig;
  experiment?: string;
  name?: string;
  /** Starts the parent run of a new sweep as `mlx run` starts runs (app/'s startTaggedRun). */
  startRun?: RunStarter;
  /** Or the parent run of a sweep to finish. */
  resume?: string;
  retryFailed?: boolean;
  /** Override the recorded parallelism and fail-fast (when resuming). */
  parallel?: number;
  failFast?: boolean;
  /** Override the recorded number of failures in a row that stop the sweep (0: never). */
  maxFailures?: number;
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
  stoppedBy: 'interrupt' | 'fail-fast' | 'max-failures' | null;
  results: SweepResults;
  /** Trials never run (after an interrupt, a fail-fast or a max-failures stop). */
  pending: number;
}
