/**
 * `mlx sweep`: runs a command once per trial, each as a child `mlx run` of one parent run, at
 * most `parallel` at a time; stops children early by the median rule; turns Ctrl-C into a
 * clean stop (children KILLED, finished ones intact) that a resumed sweep picks up. The steps:
 * open-sweep.ts (a new sweep or the one to resume), sweep-runner.ts (trials, early stopping,
 * signals), sweep-outcome.ts (how it ended).
 */
import { openSweep } from './open-sweep.js';
import { SweepRunner } from './sweep-runner.js';
import type { SweepOptions, SweepOutcome } from './sweep-types.js';

export type { SweepEvent, SweepOptions, SweepOutcome, SweepProgress } from './sweep-types.js';

/** Runs (or, with `resume`, finishes) a sweep; returns how it ended. Validate the config before calling: this writes. */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const warn = (message: string) => o.onEvent?.({ type: 'warning', message });
  const opened = await openSweep(o.store, o, warn);
  const runner = new SweepRunner(o, opened);
  return runner.run();
}
