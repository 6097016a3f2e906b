import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { loadFixture, materialize, normalGenerator, normalSample, num, relErr, withinTolerance, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { ksTest } from './ks.js';

interface KsCase {
  name: string;
  x: SampleSpec;
  y: SampleSpec;
  statistic: number;
  pvalue: number;
  location: number;
  sign: number;
  method: 'exact' | 'asymp';
  statistic_exact?: number;
  pvalue_exact?: number | string;
  statistic_asymp?: number;
  pvalue_asymp?: number | string;
}

const fixture = loadFixture<KsCase>('ks');

describe('ksTest matches scipy.stats.ks_2samp(method="auto")', () => {
  it(`fixtures were computed with scipy ${fixture.scipy}`, () => {
    expect(fixture.scipy).toBe('1.17.1');
  });

  let worstStat = 0;
  let worstP = 0;
  let worstTinyAbs = 0;
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = ksTest(materialize(c.x) as Float64Array, materialize(c.y) as Float64Array);
    const p = num(c.pvalue);
    expect(withinTolerance(r.statistic, num(c.statistic), false), `D ${r.statistic} vs ${c.statistic}`).toBe(true);
    expect(withinTolerance(r.pValue, p, true), `p ${r.pValue} vs ${p}`).toBe(true);
    expect(r.location).toBe(num(c.location));
    expect(r.sign).toBe(c.sign);
    expect(r.method).toBe(c.method);
    worstStat = Math.max(worstStat, relErr(r.statistic, num(c.statistic)));
    if (p >= 1e-10) worstP = Math.max(worstP, relErr(r.pValue, p));
    else worstTinyAbs = Math.max(worstTinyAbs, Math.abs(r.pValue - p));
  });

  const explicit = fixture.cases.filter((c) => c.pvalue_exact !== undefined);
  it.each(explicit.map((c) => [c.name, c] as const))('%s with method "exact" and "asymp"', (_name, c) => {
    const x = materialize(c.x) as Float64Array;
    const y = materialize(c.y) as Float64Array;
    for (const method of ['exact', 'asymp'] as const) {
      const r = ksTest(x, y, { method });
      const d = num(c[`statistic_${method}`]!);
      const p = num(c[`pvalue_${method}`]!);
      // n = m = 1 with 'asymp': scipy's kstwo gets n = round(0.5) = 0 and answers NaN; ksTest uses n = 1.
      if (Number.isNaN(p)) continue;
      expect(withinTolerance(r.statistic, d, false), `${method} D ${r.statistic} vs ${d}`).toBe(true);
      expect(withinTolerance(r.pValue, p, true), `${method} p ${r.pValue} vs ${p}`).toBe(true);
    }
  });

  it('reports the worst errors', () => {
    console.log(
      `ks: ${fixture.cases.length} scipy cases, worst relative error D ${worstStat.toExponential(2)}, p ${worstP.toExponential(2)} (p < 1e-10: absolute ${worstTinyAbs.toExponential(2)})`,
    );
    expect(worstP).toBeLessThan(1e-9);
  });
});

describe('ksTest behaviour', () => {
  it('flags all five features of the seed example (1000×5 N(0,1) vs 500×5 shifted by +0.5)', () => {
    const gen = normalGenerator(42);
    const features = ['age', 'income', 'score', 'clicks', 'time'];
    const flagged = features.filter(() => {
      const reference = normalSample(gen, 1000);
      const current = normalSample(gen, 500, 0.5);
      const r = ksTest(reference, current);
      return r.pValue < 0.05 && r.drift;
    });
    expect(flagged).toEqual(features);
  });

  it('identical distributions: each feature is flagged at 0.05 in at most 10% of 200 seeded trials', () => {
    // Per feature the false-alarm rate is 5% by construction. (Asking that none of 5 features
    // is flagged would fail 1 - 0.95^5 ≈ 23% of trials: that is what --correction is for.)
    const flagged = [0, 0, 0, 0, 0];
    for (let trial = 0; trial < 200; trial++) {
      const gen = normalGenerator(1000 + trial);
      for (let f = 0; f < 5; f++) {
        if (ksTest(normalSample(gen, 1000), normalSample(gen, 500)).pValue < 0.05) flagged[f]++;
      }
    }
    console.log(`ks false alarms per feature in 200 trials: ${flagged.join(', ')}`);
    for (const count of flagged) expect(count).toBeLessThanOrEqual(20);
  });

  it('gives D = 0, p = 1 for identical and for constant samples', () => {
    const x = Float64Array.from([3, 1, 2, 2, 5]);
    expect(ksTest(x, x)).toMatchObject({ statistic: 0, pValue: 1, drift: false });
    const c = new Float64Array(50).fill(7);
    expect(ksTest(c, new Float64Array(20).fill(7))).toMatchObject({ statistic: 0, pValue: 1, drift: false });
  });

  it('does not modify its inputs', () => {
    const x = Float64Array.from([3, 1, 2]);
    ksTest(x, [0, 5]);
    expect([...x]).toEqual([3, 1, 2]);
  });

  it('rejects empty samples and NaN with a one-line MlxError', () => {
    expect(() => ksTest([], [1])).toThrow(MlxError);
    expect(() => ksTest([1], [])).toThrow(/current sample is empty/);
    expect(() => ksTest([1, NaN], [1])).toThrow(/missing value \(NaN\) at index 1/);
    try {
      ksTest([], [1]);
    } catch (e) {
      expect((e as MlxError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((e as MlxError).message).not.toContain('\n');
    }
  });

  it('handles infinities like scipy (they sort to the ends)', () => {
    const r = ksTest([-Infinity, 0, 1], [0, 1, Infinity]);
    expect(r.statistic).toBeCloseTo(1 / 3, 15);
  });

  it('runs in O(n log n): 1,000,000 vs 1,000,000 values', () => {
    const gen = normalGenerator(7);
    const a = normalSample(gen, 1_000_000);
    const b = normalSample(gen, 1_000_000, 0.001);
    const t0 = performance.now();
    const r = ksTest(a, b);
    const ms = performance.now() - t0;
    console.log(`ks 1e6 x 1e6: ${ms.toFixed(0)} ms (D = ${r.statistic}, p = ${r.pValue}, ${r.method})`);
    expect(r.method).toBe('asymp');
    expect(r.pValue).toBeGreaterThanOrEqual(0);
    expect(r.pValue).toBeLessThanOrEqual(1);
  });
});
