import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { loadFixture, numbers, num, relErr, withinTolerance, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { wassersteinDistance, wassersteinTest } from './wasserstein.js';

interface WCase {
  name: string;
  x: SampleSpec;
  y: SampleSpec;
  distance: number;
  norm: number;
  statistic: number;
}

const fixture = loadFixture<WCase>('wasserstein');

describe('wassersteinTest matches scipy.stats.wasserstein_distance and Evidently normed', () => {
  let worst = 0;
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const x = numbers(c.x);
    const y = numbers(c.y);
    const r = wassersteinTest(x, y);
    for (const [actual, expected, what] of [
      [r.distance, num(c.distance), 'distance'],
      [r.norm, num(c.norm), 'norm'],
      [r.statistic, num(c.statistic), 'statistic'],
    ] as const) {
      expect(withinTolerance(actual, expected, false), `${what} ${actual} vs ${expected}`).toBe(true);
      worst = Math.max(worst, relErr(actual, expected));
    }
    expect(wassersteinDistance(x, y)).toBe(r.distance);
  });

  it('reports the worst error', () => {
    console.log(`wasserstein: ${fixture.cases.length} cases, worst relative error ${worst.toExponential(2)}`);
  });
});

describe('wassersteinTest behaviour', () => {
  it('identical samples: 0, no drift; constant reference divides by 0.001', () => {
    const x = Float64Array.from([1, 2, 3, 4]);
    expect(wassersteinTest(x, x)).toMatchObject({ statistic: 0, distance: 0, drift: false });
    expect(wassersteinTest([5, 5, 5], [5, 5])).toMatchObject({ statistic: 0, norm: 0.001, drift: false });
    const moved = wassersteinTest([5, 5, 5], [5.01, 5.01]);
    expect(moved.statistic).toBeCloseTo(10, 9);
    expect(moved.drift).toBe(true);
  });

  it('rejects empty samples and non-finite values', () => {
    expect(() => wassersteinTest([], [1])).toThrow(MlxError);
    expect(() => wassersteinTest([1, Infinity], [1])).toThrow(/infinite value at index 1/);
  });
});
