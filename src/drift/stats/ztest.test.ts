import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { materialize, num, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { describeFixture } from '../../../test/fixtures/drift/suite.js';
import { zTest } from './ztest.js';

interface ZCase {
  name: string;
  x: SampleSpec;
  y: SampleSpec;
  statistic: number;
  pvalue: number;
  pvalue_evidently: number;
}

describeFixture<ZCase>('zTest matches Evidently z_stat_test (p-value from scipy.stats.norm.sf)', 'ztest', (c) => {
  const r = zTest(materialize(c.x), materialize(c.y));
  // Evidently's own 2·(1 − Φ(|z|)) agrees wherever it still has digits.
  expect(Math.abs(r.pValue - num(c.pvalue_evidently))).toBeLessThan(1e-15);
  return [
    { what: 'z', actual: r.statistic, expected: num(c.statistic) },
    { what: 'p', actual: r.pValue, expected: num(c.pvalue), pValue: true },
  ];
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
