// Evidently's get_binned_data (evidently/legacy/calculations/stattests/utils.py), used by PSI and
// Jensen–Shannon: numeric columns whose reference has more than 20 distinct values are cut into
// Sturges bins over both samples together (np.histogram_bin_edges(concat, bins='sturges')),
// everything else is compared category by category. Shares are counts / sample size.

import { countCategories, countUnique } from './categories.js';
import { MlxError } from '../../core/errors.js';
import { categoricalSample, numericSample, sortedCopy, type CategoricalSample, type CategoryValue, type NumericSample } from './sample.js';

/** Column type as Evidently's ColumnType: decides whether numbers may be binned. */
export type ColumnKind = 'numerical' | 'categorical';

/** How the two samples were discretised. */
export type Bins = { kind: 'histogram'; edges: Float64Array } | { kind: 'categories'; keys: CategoryValue[] };

/** Per-bin shares of each sample, aligned with `bins`. */
export interface BinnedShares {
  bins: Bins;
  reference: Float64Array;
  current: Float64Array;
}

/** Evidently bins numeric data only when the reference has more than this many distinct values. */
export const HISTOGRAM_MIN_UNIQUE = 20;

/**
 * np.histogram_bin_edges(values, bins='sturges') for float data: ceil(ptp / width) equal bins
 * with width = ptp / (log2(n) + 1), edges from np.linspace (i·step + start, last edge = max).
 */
export function sturgesEdges(sortedAll: Float64Array): Float64Array {
  let first = sortedAll[0];
  let last = sortedAll[sortedAll.length - 1];
  const ptp = last - first;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const width = ptp / (Math.log2(sortedAll.length) + 1.0);
  const nBins = width ? Math.ceil((last - first) / width) : 1;
  const num = nBins + 1;
  const step = (last - first) / nBins;
  const edges = new Float64Array(num);
  for (let i = 0; i < num; i++) edges[i] = step === 0 ? (i / nBins) * (last - first) + first : i * step + first;
  edges[num - 1] = last;
  return edges;
}

/** Index of the first element >= v (side='left') or > v (side='right') in a sorted array. */
function searchSorted(a: Float64Array, v: number, right: boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (right ? a[mid] <= v : a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** np.histogram(sorted, edges)[0]: bins [e_i, e_{i+1}), the last one closed; values outside are dropped. */
export function histogramCounts(sorted: Float64Array, edges: Float64Array): Float64Array {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb);
  let prev = searchSorted(sorted, edges[0], false);
  for (let i = 1; i <= nb; i++) {
    const c = searchSorted(sorted, edges[i], i === nb);
    counts[i - 1] = c - prev;
    prev = c;
  }
  return counts;
}

/** Evidently's `feel_zeroes`: empty bins get 0.0001, or min non-zero share / 1e6 when that is <= 0.0001. */
export function fillZeroShares(shares: Float64Array): Float64Array {
  let minNonZero = Infinity;
  for (const s of shares) if (s !== 0 && s < minNonZero) minNonZero = s;
  const fill = minNonZero <= 0.0001 ? minNonZero / 10 ** 6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

const divide = (a: Float64Array, n: number) => a.map((v) => v / n);

/** Evidently's get_binned_data: shares per Sturges bin or per category, optionally with zeros filled. */
export function binnedShares(
  reference: NumericSample | CategoricalSample,
  current: NumericSample | CategoricalSample,
  opts: { kind: ColumnKind; fillZeroes: boolean; test: string },
): BinnedShares {
  let out: BinnedShares;
  if (opts.kind === 'numerical') {
    const ref = numericSample('reference', asNumbers('reference', reference, opts.test), { finite: true, test: opts.test });
    const cur = numericSample('current', asNumbers('current', current, opts.test), { finite: true, test: opts.test });
    const refSorted = sortedCopy(ref);
    if (countUnique(refSorted) > HISTOGRAM_MIN_UNIQUE) {
      const all = new Float64Array(ref.length + cur.length);
      all.set(ref);
      all.set(cur, ref.length);
      all.sort();
      const edges = sturgesEdges(all);
      out = {
        bins: { kind: 'histogram', edges },
        reference: divide(histogramCounts(refSorted, edges), ref.length),
        current: divide(histogramCounts(sortedCopy(cur), edges), cur.length),
      };
    } else {
      out = categoricalShares(ref, cur);
    }
  } else {
    out = categoricalShares(categoricalSample('reference', reference, opts.test), categoricalSample('current', current, opts.test));
  }
  if (opts.fillZeroes) {
    out.reference = fillZeroShares(out.reference);
    out.current = fillZeroShares(out.current);
  }
  return out;
}

function categoricalShares(reference: CategoricalSample, current: CategoricalSample): BinnedShares {
  const c = countCategories(reference, current);
  return {
    bins: { kind: 'categories', keys: c.keys },
    reference: divide(c.reference, c.referenceSize),
    current: divide(c.current, c.currentSize),
  };
}

function asNumbers(name: string, values: NumericSample | CategoricalSample, test: string): NumericSample {
  if (values instanceof Float64Array) return values;
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number') {
      throw new MlxError(
        'INVALID_PARAMETER_VALUE',
        `the ${name} sample has a non-numeric value ${JSON.stringify(values[i])} at index ${i} for ${test}: use the categorical form`,
      );
    }
  }
  return values as NumericSample;
}

/** Default column kind: numerical when every value is a number. */
export function inferKind(...samples: (NumericSample | CategoricalSample)[]): ColumnKind {
  for (const s of samples) {
    if (s instanceof Float64Array) continue;
    for (let i = 0; i < s.length; i++) if (typeof s[i] !== 'number') return 'categorical';
  }
  return 'numerical';
}
