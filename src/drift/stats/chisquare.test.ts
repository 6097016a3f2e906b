import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { loadFixture, materialize, num, relErr, withinTolerance, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { chiSquareTest } from './chisquare.js';

interface ChiCase {
  name: string;
  x: SampleSpec;
  y: SampleSpec;
  statistic: number | string;
  pvalue: number | string;
  df: number;
}

const fixture = loadFixture<ChiCase>('chisquare');

describe('chiSquareTest matches Evidently chisquare + scipy.stats.chisquare', () => {
  let worstStat = 0;
  let worstP = 0;
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = chiSquareTest(materialize(c.x), materialize(c.y));
    const stat = num(c.statistic);
    const p = num(c.pvalue);
    expect(r.df).toBe(c.df);
    if (c.df === 0) {
      // scipy: NaN (chi2 with 0 degrees of freedom). Defined here: one shared category, no drift.
      expect(Number.isNaN(p)).toBe(true);
      expect(r).toMatchObject({ statistic: 0, pValue: 1, drift: false });
      return;
    }
    expect(withinTolerance(r.statistic, stat, false), `X² ${r.statistic} vs ${stat}`).toBe(true);
    expect(withinTolerance(r.pValue, p, true), `p ${r.pValue} vs ${p}`).toBe(true);
    if (Number.isFinite(stat)) worstStat = Math.max(worstStat, relErr(r.statistic, stat));
    if (p >= 1e-10) worstP = Math.max(worstP, relErr(r.pValue, p));
  });

  it('reports the worst errors', () => {
    console.log(`chisquare: ${fixture.cases.length} cases, worst relative error X² ${worstStat.toExponential(2)}, p ${worstP.toExponential(2)}`);
  });
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
