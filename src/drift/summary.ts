import type { Column } from './dataset.js';

export interface NumericSummary {
  count: number;
  missing: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  p25: number | null;
  median: number | null;
  p75: number | null;
  max: number | null;
}

export interface CategoricalSummary {
  count: number;
  missing: number;
  unique: number;
  top: { value: string; count: number; share: number }[];
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Count, missing, mean, std, quartiles of a numeric column; nulls where there are no values. */
export function numericSummary(c: Column, presorted = false): NumericSummary {
  const n = c.numbers.length;
  if (n === 0) return { count: 0, missing: c.missing, mean: null, std: null, min: null, p25: null, median: null, p75: null, max: null };
  const sorted = presorted ? c.numbers : Float64Array.from(c.numbers).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) ** 2;
  return {
    count: n,
    missing: c.missing,
    mean,
    std: Math.sqrt(ss / n),
    min: sorted[0],
    p25: quantile(sorted, 0.25),
    median: quantile(sorted, 0.5),
    p75: quantile(sorted, 0.75),
    max: sorted[n - 1],
  };
}

/** Values of a column as category labels (numbers in their shortest text form). */
export function categoryValues(c: Column): string[] {
  return c.kind === 'categorical' ? c.strings : Array.from(c.numbers, (v) => String(v));
}

/** Count, missing, distinct values and the most frequent ones. */
export function categoricalSummary(c: Column, top = 10): CategoricalSummary {
  const values = categoryValues(c);
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return {
    count: values.length,
    missing: c.missing,
    unique: counts.size,
    top: sorted.slice(0, top).map(([value, count]) => ({ value, count, share: count / Math.max(values.length, 1) })),
  };
}
