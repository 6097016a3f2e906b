import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { materialize, num, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { describeFixture } from '../../../test/fixtures/drift/suite.js';
import { chiSquareTest } from './chisquare.js';

interface ChiCase {
  name: string;
  x: SampleSpec;
  y: SampleSpec;
  statistic: number | string;
  pvalue: number | string;
  df: number;
}

describeFixture<ChiCase>('chiSquareTest matches Evidently chisquare + scipy.stats.chisquare', 'chisquare', (c) => {
  const r = chiSquareTest(materialize(c.x), materialize(c.y));
  const p = num(c.pvalue);
  expect(r.df).toBe(c.df);
  if (c.df === 0) {
    // scipy: NaN (chi2 with 0 degrees of freedom). Defined here: one shared category, no drift.
    expect(Number.isNaN(p)).toBe(true);
    expect(r).toMatchObject({ statistic: 0, pValue: 1, drift: false });
    return [];
  }
  return [
    { what: 'X²', actual: r.statistic, expected: num(c.statistic) },
    { what: 'p', actual: r.pValue, expected: p, pValue: true },
  ];
});

describe('chiSquareTest behaviour', () => {
  it('identical samples: X² = 0, p = 1, no drift', () => {
    const x = ['a', 'b', 'b', 'c'];
    expect(chiSquareTest(x, x)).toMatchObject({ statistic: 0, pValue: 1, drift: false, df: 2 });
  });

  it('a category that is new in the current sample gives X² = Infinity, p = 0 (as scipy)', () => {
    const r = chiSquareTest(['a', 'b'], ['a', 'c']);
    expect(r.statistic).toBe(Infinity);
    expect(r.pValue).toBe(0);
    expect(r.drift).toBe(true);
  });

  it('treats numbers and strings as categories, reports them sorted', () => {
    const r = chiSquareTest(Float64Array.from([3, 1, 1, 2]), [2, 3, 3, 1]);
    expect(r.categories).toEqual([1, 2, 3]);
  });

  it('rejects empty samples and missing values', () => {
    expect(() => chiSquareTest([], ['a'])).toThrow(MlxError);
    expect(() => chiSquareTest(['a'], [])).toThrow(/current sample is empty/);
    expect(() => chiSquareTest(['a', null as unknown as string], ['a'])).toThrow(/missing value at index 1/);
  });
});
