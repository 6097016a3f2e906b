import { describe, expect, it } from 'vitest';
import { agreement, agrees, LatencyHistogram } from './variant-stats.js';

describe('LatencyHistogram', () => {
  it('percentiles are within 4% of the exact ones, in constant memory', () => {
    const h = new LatencyHistogram();
    expect(h.percentiles()).toEqual({ p50: null, p90: null, p99: null });
    const values = Array.from({ length: 10_000 }, (_, i) => 0.2 + (i % 1000) * 0.05); // 0.2 … 50.15 ms
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1];
      const got = h.quantile(q)!;
      expect(got).toBeGreaterThanOrEqual(exact * 0.999);
      expect(got).toBeLessThanOrEqual(exact * 1.04 + 0.001);
    }
    expect(h.count).toBe(10_000);
  });

  it('tiny and huge latencies land in the end buckets', () => {
    const h = new LatencyHistogram();
    h.record(0);
    h.record(1e9);
    expect(h.quantile(0.5)).toBe(0.01);
    expect(h.quantile(1)).toBeGreaterThan(500_000);
  });
});

describe('shadow agreement', () => {
  it('labels agree when equal; numbers within 1% of the primary (1e-6 near zero); rows element-wise', () => {
    expect(agrees('cat', 'cat')).toBe(true);
    expect(agrees('cat', 'dog')).toBe(false);
    expect(agrees(100, 100.9)).toBe(true);
    expect(agrees(100, 101.1)).toBe(false);
    expect(agrees(0, 5e-7)).toBe(true);
    expect(agrees(0, 1e-5)).toBe(false);
    expect(agrees([1, 2], [1.001, 2.01])).toBe(true);
    expect(agrees([1, 2], [1, 2, 3])).toBe(false);
    expect(agrees('1', 1)).toBe(false);
    expect(agrees(Number.NaN, Number.NaN)).toBe(false);
  });

  it('counts rows: a row only one side has is compared and disagrees', () => {
    expect(agreement(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual({ compared: 3, agreed: 2 });
    expect(agreement([1, 2], [1])).toEqual({ compared: 2, agreed: 1 });
  });
});
