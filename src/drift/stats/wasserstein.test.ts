import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { numbers, num, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { describeFixture } from '../../../test/fixtures/drift/suite.js';
import { wassersteinDistance, wassersteinTest } from './wasserstein.js';

interface WCase {
  name: string;
  x: SampleSpec;
  y: SampleSpec;
  distance: number;
  norm: number;
  statistic: number;
}

describeFixture<WCase>('wassersteinTest matches scipy.stats.wasserstein_distance and Evidently normed', 'wasserstein', (c) => {
  const x = numbers(c.x);
  const y = numbers(c.y);
  const r = wassersteinTest(x, y);
  expect(wassersteinDistance(x, y)).toBe(r.distance);
  return [
    { what: 'distance', actual: r.distance, expected: num(c.distance) },
    { what: 'norm', actual: r.norm, expected: num(c.norm) },
    { what: 'statistic', actual: r.statistic, expected: num(c.statistic) },
  ];
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
