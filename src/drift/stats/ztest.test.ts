import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { loadFixture, materialize, num, relErr, withinTolerance, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { zTest } from './ztest.js';

interface ZCase {
  name: string;
  x: SampleSpec;
  y: SampleSpec;
  statistic: number;
  pvalue: number;
  pvalue_evidently: number;
}

const fixture = loadFixture<ZCase>('ztest');

describe('zTest matches Evidently z_stat_test (p-value from scipy.stats.norm.sf)', () => {
  let worstStat = 0;
  let worstP = 0;
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = zTest(materialize(c.x), materialize(c.y));
    const p = num(c.pvalue);
    expect(withinTolerance(r.statistic, num(c.statistic), false), `z ${r.statistic} vs ${c.statistic}`).toBe(true);
    expect(withinTolerance(r.pValue, p, true), `p ${r.pValue} vs ${p}`).toBe(true);
    // Evidently's own 2·(1 − Φ(|z|)) agrees wherever it still has digits.
    expect(Math.abs(r.pValue - num(c.pvalue_evidently))).toBeLessThan(1e-15);
    worstStat = Math.max(worstStat, relErr(r.statistic, num(c.statistic)));
    if (p >= 1e-10) worstP = Math.max(worstP, relErr(r.pValue, p));
  });

  it('reports the worst errors', () => {
    console.log(`ztest: ${fixture.cases.length} cases, worst relative error z ${worstStat.toExponential(2)}, p ${worstP.toExponential(2)}`);
  });
});

describe('zTest behaviour', () => {
  it('constant and identical samples: p = 1, no drift', () => {
    expect(zTest(['x', 'x'], ['x'])).toMatchObject({ statistic: 0, pValue: 1, drift: false });
    const s = ['a', 'b', 'b'];
    expect(zTest(s, s)).toMatchObject({ statistic: 0, pValue: 1, drift: false });
  });

  it('codes the first sorted category as 0', () => {
    const r = zTest(['b', 'b', 'a'], ['a', 'a', 'a', 'b']);
    expect(r.baseCategory).toBe('a');
    expect(r.referenceProportion).toBeCloseTo(2 / 3, 15);
    expect(r.currentProportion).toBeCloseTo(1 / 4, 15);
    expect(r.statistic).toBeGreaterThan(0);
  });

  it('rejects empty samples', () => {
    expect(() => zTest([], ['a'])).toThrow(MlxError);
  });
});
