// Category counting shared by chi-square, z, PSI and Jensen–Shannon: Evidently builds the union of
// the categories seen in either sample (get_unique_not_nan_values_list_from_series) and counts
// each sample over it (value_counts, 0 where absent).

import type { CategoricalSample, CategoryValue } from './sample.js';

/** Counts of each category of the union, in `keys` order. */
export interface CategoryCounts {
  /** Union of the categories of both samples, sorted (numbers ascending, then strings). */
  keys: CategoryValue[];
  reference: Float64Array;
  current: Float64Array;
  referenceSize: number;
  currentSize: number;
}

/** Python-like ordering: numbers numerically, strings by code point; numbers before strings. */
export function compareCategories(a: CategoryValue, b: CategoryValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function tally(values: CategoricalSample, into: Map<CategoryValue, [number, number]>, slot: 0 | 1): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let c = into.get(v);
    if (!c) {
      c = [0, 0];
      into.set(v, c); // Map uses SameValueZero: -0 and 0 are one category, as in pandas
    }
    c[slot] += 1;
  }
}

/** Counts both samples over the union of their categories (Evidently's keys / value_counts). */
export function countCategories(reference: CategoricalSample, current: CategoricalSample): CategoryCounts {
  const counts = new Map<CategoryValue, [number, number]>();
  tally(reference, counts, 0);
  tally(current, counts, 1);
  const keys = [...counts.keys()].sort(compareCategories);
  const ref = new Float64Array(keys.length);
  const cur = new Float64Array(keys.length);
  keys.forEach((k, i) => {
    const c = counts.get(k)!;
    ref[i] = c[0];
    cur[i] = c[1];
  });
  return { keys, reference: ref, current: cur, referenceSize: reference.length, currentSize: current.length };
}

/** Number of distinct values of a numeric sample (pandas nunique without NaN). */
export function countUnique(sorted: Float64Array): number {
  if (sorted.length === 0) return 0;
  let u = 1;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) u++;
  return u;
}
