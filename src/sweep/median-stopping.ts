/**
 * The median stopping rule (Optuna's MedianPruner, Google Vizier's "median automated stopping"):
 * stop a run at step s when the best value it has reached by s is worse than the median of the
 * values completed runs reported at that same step. Pure: callers feed it metric histories.
 */

export interface StepValue {
  step: number;
  value: number;
}

export interface MedianRuleOptions {
  goal: 'min' | 'max';
  /** Completed runs with a value at a step before that step is judged (Ray Tune's min_samples_required). */
  minRuns: number;
  /**
   * Steps before this one are never judged (Optuna's n_warmup_steps). null: automatic, a quarter
   * of the steps completed runs reached (the median of their last steps), so early noisy steps of a
   * 20-epoch run or a 10,000-iteration run are not judged alike, and a step 0 never is.
   */
  warmupSteps: number | null;
}

export interface StopDecision {
  step: number;
  /** The run's best value up to and including `step`. */
  best: number;
  median: number;
  /** How many completed runs the median was taken over. */
  runs: number;
}

/** The curves of completed runs, indexed by step. */
export class CompletedCurves {
  private readonly byStep = new Map<number, number[]>();
  private readonly lastSteps: number[] = [];
  private n = 0;

  /** Adds one completed run's history; where it logged a step twice, its last value counts. */
  add(history: StepValue[]): void {
    const last = new Map<number, number>();
    for (const p of history) last.set(p.step, p.value);
    if (history.length) this.lastSteps.push(lastStep(history));
    for (const [step, value] of last) {
      if (Number.isNaN(value)) continue;
      const values = this.byStep.get(step) ?? [];
      values.push(value);
      this.byStep.set(step, values);
    }
    this.n++;
  }

  /** The values completed runs reported at `step` (NaN left out). */
  valuesAt(step: number): number[] {
    return this.byStep.get(step) ?? [];
  }

  get count(): number {
    return this.n;
  }

  /** The automatic warm-up: a quarter of the median last step of the completed runs, at least 1. */
  autoWarmup(): number {
    return this.lastSteps.length ? Math.max(1, Math.ceil(median(this.lastSteps) / 4)) : 1;
  }
}

/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Judges every step of `history` after `afterStep` in order; returns the first step where the run
 * should stop, or null. A run whose values so far are all NaN is stopped (it diverged), as in Optuna.
 */
export function medianStop(history: StepValue[], completed: CompletedCurves, opts: MedianRuleOptions, afterStep = -Infinity): StopDecision | null {
  const sorted = [...history].sort((a, b) => a.step - b.step);
  const warmup = opts.warmupSteps ?? completed.autoWarmup();
  let best = NaN;
  for (let i = 0; i < sorted.length; i++) {
    const { step, value } = sorted[i];
    if (!Number.isNaN(value) && (Number.isNaN(best) || (opts.goal === 'max' ? value > best : value < best))) best = value;
    // Judge a step once all of its points are in.
    if (i + 1 < sorted.length && sorted[i + 1].step === step) continue;
    if (step <= afterStep || step < warmup) continue;
    const others = completed.valuesAt(step);
    if (others.length < Math.max(1, opts.minRuns)) continue;
    const m = median(others);
    const worse = Number.isNaN(best) || (opts.goal === 'max' ? best < m : best > m);
    if (worse) return { step, best, median: m, runs: others.length };
  }
  return null;
}

/** The highest step in a history, or -Infinity for none: where the next call to medianStop may start. */
export function lastStep(history: StepValue[]): number {
  return history.reduce((s, p) => Math.max(s, p.step), -Infinity);
}
