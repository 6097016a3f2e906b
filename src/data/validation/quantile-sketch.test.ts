import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/random.js';
import { EXACT, QuantileSketch, RELATIVE_ERROR } from './quantile-sketch.js';

const QS = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1];

describe('QuantileSketch', () => {
  it('is exact, with pandas linear interpolation, up to EXACT values', () => {
    const s = new QuantileSketch();
    for (const v of [5, 1, 4, 2, 3]) s.add(v);
    expect(s.isExact).toBe(true);
    expect(s.quantiles([0, 0.1, 0.5, 0.9, 1])).toEqual([1, 1.4, 3, 4.6, 5]);
    expect(new QuantileSketch().quantiles([0.5])).toEqual([null]);
  });

  const distributions: [string, (r: () => number) => number][] = [
    ['uniform', (r) => r() * 1000],
    ['lognormal (heavy tail)', (r) => Math.exp(4 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))],
    ['normal around 0 (negatives, zeros)', (r) => (r() < 0.01 ? 0 : Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))],
    ['integers', (r) => Math.floor(r() * 50)],
  ];
  for (const [name, draw] of distributions)
    it(`past EXACT values, each quantile is within ${RELATIVE_ERROR * 100}% of the value at its rank: ${name}, 1,000,000 values`, () => {
      const r = mulberry32(42);
      const s = new QuantileSketch();
      const all = new Float64Array(1_000_000);
      for (let i = 0; i < all.length; i++) s.add((all[i] = draw(r)));
      expect(s.isExact).toBe(false);
      expect(s.count).toBeGreaterThan(EXACT);
      all.sort();
      const got = s.quantiles(QS);
      QS.forEach((q, i) => {
        const truth = all[Math.floor(q * (all.length - 1))];
        const err = truth === 0 ? Math.abs(got[i]!) : Math.abs(got[i]! - truth) / Math.abs(truth);
        expect(err, `q=${q}: got ${got[i]}, value at the rank ${truth}`).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-12);
      });
    });
});
