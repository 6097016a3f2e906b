import { CATEGORY_TRACK, ColumnStats, Kind, type KeyBudget } from './column-stats.js';
import { QuantileSketch } from './quantile-sketch.js';
import { KeySet } from './value-sets.js';

/**
 * Column statistics of consecutive file segments merged in file order. A large file is always read
 * in the same segments (cut at fixed offsets), whatever the number of threads, and the segments'
 * statistics are merged in the same order, so 1 and 4 threads give the same profile to the last digit.
 */

/** A column's statistics from their fields copied between threads (structured clone keeps the data, not the class). */
export function reviveStats(plain: ColumnStats, budget: KeyBudget): ColumnStats {
  const s = Object.assign(new ColumnStats(plain.name, budget), plain, { budget });
  s.sketch = QuantileSketch.revive(plain.sketch);
  s.keys = plain.keys && KeySet.revive(plain.keys);
  if (s.keys) budget.left -= s.keys.size;
  return s;
}

/** The type two segments' types make together: as one pass widens them (int and float make float, other mixes make string). */
function widened(a: Kind, b: Kind): Kind {
  if (a === Kind.Null || a === b) return b === Kind.Null ? a : b;
  if (b === Kind.Null) return a;
  if ((a === Kind.Int && b === Kind.Float) || (a === Kind.Float && b === Kind.Int)) return Kind.Float;
  return Kind.String;
}

/** Adds the statistics of `b`, the same column in the segment after `a`'s, to `a`. */
export function mergeStats(a: ColumnStats, b: ColumnStats): void {
  a.type = widened(a.type, b.type);
  a.numeric = a.numeric && b.numeric && a.type !== Kind.String;
  a.count += b.count;
  a.nulls += b.nulls;
  a.trues += b.trues;
  if (b.min < a.min) a.min = b.min;
  if (b.max > a.max) a.max = b.max;
  if (b.minLen < a.minLen) a.minLen = b.minLen;
  if (b.maxLen > a.maxLen) a.maxLen = b.maxLen;
  mergeMoments(a, b);
  mergeCategories(a, b);
  mergeKeys(a, b);
}

/** Shifted sums: b's re-shifted to a's shift (the first segment's first value), so the sums stay small. */
function mergeMoments(a: ColumnStats, b: ColumnStats): void {
  if (b.finite === 0) return;
  if (a.finite === 0) {
    a.shift = b.shift;
    a.s1 = b.s1;
    a.s2 = b.s2;
    a.finite = b.finite;
    return;
  }
  const d = b.shift - a.shift;
  a.s2 += b.s2 + 2 * d * b.s1 + b.finite * d * d;
  a.s1 += b.s1 + b.finite * d;
  a.finite += b.finite;
}

/** Counts by value while the union stays within CATEGORY_TRACK; past it, the counts go to the sketch, as in one pass. */
function mergeCategories(a: ColumnStats, b: ColumnStats): void {
  if (a.cats && b.cats) {
    for (const [k, c] of b.cats) {
      const held = a.cats.get(k);
      if (held) held.n += c.n;
      else a.cats.set(k, { n: c.n });
    }
    if (a.cats.size > CATEGORY_TRACK) a.dropCats();
    return;
  }
  if (a.cats) a.dropCats();
  if (b.cats) {
    if (a.numeric) for (const [k, c] of b.cats) if (typeof k === 'number' && k - k === 0) a.sketch.addCount(k, c.n);
  } else a.sketch.merge(b.sketch);
}

/** Candidate keys: the union while no value repeats across segments and the shared budget holds them all. */
function mergeKeys(a: ColumnStats, b: ColumnStats): void {
  a.duplicate = a.duplicate || b.duplicate;
  if (a.type === Kind.Float || a.type === Kind.Bool || a.duplicate || !b.keys) return a.dropKeys();
  const keys = a.keys;
  if (!keys) return;
  if (!keys.union(b.keys)) {
    a.duplicate = true;
    return a.dropKeys();
  }
  a.budget.left -= b.keys.size;
  if (a.budget.left < 0) a.dropKeys();
}
