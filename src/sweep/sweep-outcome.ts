import os from 'node:os';
import type { SweepResults } from './children.js';

export type StoppedBy = 'interrupt' | 'fail-fast' | 'max-failures' | null;

/**
 * How a sweep ended and the exit code `mlx sweep` gives: KILLED with 128 + the signal after an
 * interrupt; FAILED (1) after a fail-fast or max-failures stop or when no trial finished; else FINISHED (0).
 */
export function sweepOutcome(
  stoppedBy: StoppedBy,
  signal: NodeJS.Signals | null,
  results: SweepResults,
): { status: 'FINISHED' | 'FAILED' | 'KILLED'; exitCode: number } {
  if (stoppedBy === 'interrupt') return { status: 'KILLED', exitCode: 128 + (os.constants.signals[signal ?? 'SIGINT'] ?? 2) };
  if (stoppedBy === 'fail-fast' || stoppedBy === 'max-failures' || results.counts.finished === 0) return { status: 'FAILED', exitCode: 1 };
  return { status: 'FINISHED', exitCode: 0 };
}

/** Trials never run: every trial but those that ended (an early-stopped trial ended; an interrupted one did not). */
export function pendingTrials(total: number, results: SweepResults): number {
  return total - results.rows.filter((r) => r.status !== 'KILLED' || r.early_stopped).length;
}
