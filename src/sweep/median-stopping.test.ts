import { describe, expect, it } from 'vitest';
import { CompletedCurves, lastStep, median, medianStop, type StepValue } from './median-stopping.js';

const curve = (...values: number[]): StepValue[] => values.map((value, i) => ({ step: i + 1, value }));

function curves(...runs: StepValue[][]): CompletedCurves {
  const c = new CompletedCurves();
  for (const r of runs) c.add(r);
  return c;
}

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});

describe('automatic warm-up (no --early-stop-warmup)', () => {
  it('is a quarter of the steps completed runs reached, at least 1: early steps of a long run are not judged', () => {
    const long = (n: number, v: number) => Array.from({ length: n }, (_, i) => ({ step: i + 1, value: v }));
    const done = curves(long(20, 0.9), long(20, 0.8), long(20, 0.85));
    expect(done.autoWarmup()).toBe(5);
    const auto = { goal: 'max' as const, minRuns: 3, warmupSteps: null };
    // A slow starter: worse than the median at steps 1-4 (not judged), judged from step 5.
    expect(medianStop(long(4, 0.1), done, auto)).toBeNull();
    expect(medianStop(long(6, 0.1), done, auto)).toMatchObject({ step: 5 });
    expect(curves(curve(0.5, 0.6)).autoWarmup()).toBe(1);
    expect(new CompletedCurves().autoWarmup()).toBe(1);
  });
});

describe('medianStop', () => {
  const done = curves(curve(0.5, 0.6, 0.7), curve(0.4, 0.5, 0.6), curve(0.45, 0.55, 0.65));
  const max = { goal: 'max' as const, minRuns: 3, warmupSteps: 0 };

  it('stops a run worse than the median of completed runs at the same step', () => {
    expect(medianStop(curve(0.1, 0.2), done, max)).toEqual({ step: 1, best: 0.1, median: 0.45, runs: 3 });
  });

  it('keeps a run at or above the median', () => {
    expect(medianStop(curve(0.45, 0.55, 0.65), done, max)).toBeNull();
    expect(medianStop(curve(0.9, 0.9, 0.9), done, max)).toBeNull();
  });

  it("judges the run's best value so far, not its latest (a noisy dip is not a stop)", () => {
    // 0.5 at step 1 beats the median 0.45; at step 2 it dips to 0.3 but its best (0.5) is under 0.55.
    expect(medianStop(curve(0.5, 0.3), done, max)).toEqual({ step: 2, best: 0.5, median: 0.55, runs: 3 });
    expect(medianStop(curve(0.6, 0.3), done, max)).toBeNull();
  });

  it('minimizes: higher than the median is worse', () => {
    const losses = curves(curve(1, 0.8), curve(1.2, 0.9), curve(1.1, 0.85));
    const min = { goal: 'min' as const, minRuns: 3, warmupSteps: 0 };
    expect(medianStop(curve(1.05, 0.8), losses, min)).toBeNull();
    expect(medianStop(curve(2, 1.5), losses, min)).toMatchObject({ step: 1, median: 1.1 });
  });

  it('needs minRuns completed values at the step, and skips warm-up steps', () => {
    expect(medianStop(curve(0.1), curves(curve(0.5), curve(0.6)), max)).toBeNull();
    expect(medianStop(curve(0.1, 0.1, 0.1), done, { ...max, warmupSteps: 3 })).toMatchObject({ step: 3 });
    // Steps the completed runs never reached cannot be judged.
    expect(medianStop([{ step: 10, value: 0 }], done, max)).toBeNull();
  });

  it('starts after the step judged last time', () => {
    expect(medianStop(curve(0.1, 0.2), done, max, 1)).toMatchObject({ step: 2 });
    expect(medianStop(curve(0.1, 0.2), done, max, 2)).toBeNull();
    expect(lastStep(curve(0.1, 0.2))).toBe(2);
    expect(lastStep([])).toBe(-Infinity);
  });

  it('stops a run whose values are all NaN (it diverged), ignores NaN in completed runs', () => {
    expect(medianStop(curve(NaN), done, max)).toMatchObject({ step: 1 });
    const withNaN = curves(curve(0.5), curve(0.6), curve(NaN), curve(0.7));
    expect(withNaN.valuesAt(1)).toEqual([0.5, 0.6, 0.7]);
    expect(withNaN.count).toBe(4);
  });

  it('uses the last value of a step logged twice', () => {
    const c = curves([
      { step: 1, value: 0.1 },
      { step: 1, value: 0.9 },
    ]);
    expect(c.valuesAt(1)).toEqual([0.9]);
  });
});
