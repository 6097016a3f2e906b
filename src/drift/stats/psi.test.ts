import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { materialize, num, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { describeFixture } from '../../../test/fixtures/drift/suite.js';
import { psiTest } from './psi.js';

interface PsiCase {
  name: string;
  kind: 'numerical' | 'categorical';
  x: SampleSpec;
  y: SampleSpec;
  statistic: number;
  bins: number;
}

describeFixture<PsiCase>('psiTest matches Evidently psi (numpy histogram_bin_edges sturges)', 'psi', (c) => {
  const r = psiTest(materialize(c.x), materialize(c.y), { kind: c.kind });
  expect(r.referenceShares.length).toBe(c.bins);
  expect(r.pValue).toBeNull();
  return [{ what: 'PSI', actual: r.statistic, expected: num(c.statistic) }];
});

describe('psiTest behaviour', () => {
  it('bins numeric data with more than 20 distinct reference values, else compares values', () => {
    const many = Float64Array.from({ length: 100 }, (_, i) => i);
    expect(psiTest(many, many).bins.kind).toBe('histogram');
    const few = Float64Array.from({ length: 100 }, (_, i) => i % 20);
    expect(psiTest(few, few).bins.kind).toBe('categories');
  });

  it('identical and constant samples: PSI 0, no drift', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
    expect(psiTest(x, x)).toMatchObject({ statistic: 0, drift: false });
    expect(psiTest([4, 4, 4], [4, 4])).toMatchObject({ statistic: 0, drift: false });
  });

  it('drifts at PSI >= 0.1', () => {
    const r = psiTest(['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'b', 'b', 'b']);
    expect(r.statistic).toBeGreaterThan(0.1);
    expect(r.drift).toBe(true);
  });

  it('rejects empty samples, NaN and text in a numerical column', () => {
    expect(() => psiTest([], [1])).toThrow(MlxError);
    expect(() => psiTest([1, NaN], [1])).toThrow(/missing value/);
    expect(() => psiTest([1, 'x'], [1], { kind: 'numerical' })).toThrow(/non-numeric value "x" at index 1/);
  });
});
