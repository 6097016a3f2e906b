import { describe, expect, it } from 'vitest';
import { classify, isDistribution, probabilities } from './postprocess.js';

const softmax = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

const closeTo = (got: ArrayLike<number>, want: number[], digits = 12) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

describe('isDistribution', () => {
  it('is true for rows in [0, 1] summing to 1 (to float32 rounding)', () => {
    expect(isDistribution([0.2, 0.3, 0.5])).toBe(true);
    expect(isDistribution([1, 0, 0])).toBe(true);
    expect(isDistribution(Float32Array.from([0.1, 0.2, 0.7]))).toBe(true);
    expect(isDistribution([0.3333, 0.3333, 0.3333])).toBe(true);
  });

  it('is false for logits: negative, above 1, or not summing to 1', () => {
    expect(isDistribution([-0.1, 0.6, 0.5])).toBe(false);
    expect(isDistribution([1.5, 0, 0])).toBe(false);
    expect(isDistribution([0.2, 0.2, 0.2])).toBe(false);
    expect(isDistribution([0.9, 0.9])).toBe(false);
    expect(isDistribution([NaN, 1])).toBe(false);
  });
});

describe('probabilities', () => {
  it('auto: leaves a distribution as it is', () => {
    closeTo(probabilities([0.1, 0.6, 0.3], 'auto'), [0.1, 0.6, 0.3]);
    closeTo(probabilities(Float32Array.from([0.25, 0.75]), 'auto'), [0.25, 0.75]);
  });

  it('auto: applies softmax to logits', () => {
    closeTo(probabilities([2, 1, 0.1], 'auto'), softmax([2, 1, 0.1]));
    closeTo(probabilities([-3, -1, -2], 'auto'), softmax([-3, -1, -2]));
    // In [0, 1] but not summing to 1: logits too.
    closeTo(probabilities([0.2, 0.2, 0.2], 'auto'), [1 / 3, 1 / 3, 1 / 3]);
  });

  it('yes always applies softmax, no never does', () => {
    closeTo(probabilities([0.1, 0.6, 0.3], 'yes'), softmax([0.1, 0.6, 0.3]));
    closeTo(probabilities([5, -2, 3], 'no'), [5, -2, 3]);
  });

  it('is numerically stable for large logits and sums to 1', () => {
    const p = probabilities([1000, 1001, 999], 'auto');
    for (const v of p) expect(Number.isFinite(v)).toBe(true);
    closeTo(p, softmax([0, 1, -1]));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    closeTo(probabilities([-1000, -1000], 'auto'), [0.5, 0.5]);
  });

  it('does not change its input', () => {
    const row = Float32Array.from([3, 1, 2]);
    probabilities(row, 'yes');
    expect(Array.from(row)).toEqual([3, 1, 2]);
  });
});

describe('classify', () => {
  const labels = ['cat', 'dog', 'bird', 'fish'];

  it('names the best class and lists the top k best first', () => {
    const c = classify([0.1, 0.5, 0.15, 0.25], labels, 3);
    expect(c).toMatchObject({ label: 'dog', class_id: 1, confidence: 0.5 });
    expect(c.top_k).toEqual([
      { label: 'dog', confidence: 0.5, class_id: 1 },
      { label: 'fish', confidence: 0.25, class_id: 3 },
      { label: 'bird', confidence: 0.15, class_id: 2 },
    ]);
  });

  it('breaks ties by class id, lowest first', () => {
    const c = classify([0.2, 0.3, 0.3, 0.2], labels, 4);
    expect(c.class_id).toBe(1);
    expect(c.top_k.map((s) => s.class_id)).toEqual([1, 2, 0, 3]);
    const all = classify([0.25, 0.25, 0.25, 0.25], labels, 4);
    expect(all.label).toBe('cat');
    expect(all.top_k.map((s) => s.label)).toEqual(labels);
  });

  it('top_k holds at least 1 and at most the number of classes', () => {
    expect(classify([0.6, 0.4], labels, 0).top_k).toHaveLength(1);
    expect(classify([0.6, 0.4], labels, 1).top_k).toEqual([{ label: 'cat', confidence: 0.6, class_id: 0 }]);
    expect(classify([0.6, 0.4], labels, 10).top_k).toHaveLength(2);
  });

  it('uses the class id as the label when there are no labels', () => {
    const c = classify(Float64Array.from([0.1, 0.2, 0.7]), null, 2);
    expect(c).toMatchObject({ label: '2', class_id: 2 });
    expect(c.top_k.map((s) => s.label)).toEqual(['2', '1']);
  });

  it('top_k confidences are probabilities after softmax: descending, summing to at most 1', () => {
    const c = classify(probabilities([1.2, -0.3, 2.5, 0.1], 'auto'), labels, 4);
    const conf = c.top_k.map((s) => s.confidence);
    expect([...conf].sort((a, b) => b - a)).toEqual(conf);
    expect(conf.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(c.label).toBe('bird');
  });
});
