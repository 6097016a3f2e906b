// Two-sample Kolmogorov–Smirnov test, two-sided, exactly as scipy 1.17.1
// scipy.stats.ks_2samp(x, y, alternative='two-sided', method='auto') (scipy/stats/_stats_py.py).
//
// Statistic: D = max_t |F_x(t) − F_y(t)| over the pooled values, where F(t) counts values <= t
// (scipy's searchsorted(side='right'), so ties are handled as scipy does). Both samples are
// sorted once and merged: O((n + m) log(n + m)) time, O(n + m) memory, never O(n·m).
//
// p-value: method 'auto' uses the exact null distribution when max(n, m) <= 10,000 (see
// ks-exact.ts) and otherwise, or when the exact computation fails, Smirnov's asymptotic route as
// scipy takes it: kstwo.sf(D, round(n·m/(n + m))) (see kolmogorov.ts).

import { attemptExactTwoSided, gcd } from './ks-exact.js';
import { kolmogorovSf } from './kolmogorov.js';
import { DEFAULT_THRESHOLDS, type StatTestResult } from './result.js';
import { numericSample, roundHalfEven, sortedCopy, type NumericSample } from './sample.js';

/** scipy's MAX_AUTO_N: 'auto' computes the exact distribution while max(n, m) <= this. */
export const KS_MAX_EXACT_N = 10000;

/** How the p-value is computed: as scipy's `method` argument. */
export type KsMethod = 'auto' | 'exact' | 'asymp';

/** Result of the two-sample KS test. */
export interface KsResult extends StatTestResult {
  test: 'ks';
  /** D, the largest distance between the two empirical CDFs (scipy's `statistic`). */
  statistic: number;
  /** Two-sided p-value (scipy's `pvalue`). */
  pValue: number;
  /** 'exact' or 'asymp': the distribution the p-value actually came from. */
  method: 'exact' | 'asymp';
  /** Pooled value where the distance is largest (scipy's `statistic_location`). */
  location: number;
  /** +1 when the reference ECDF is above the current one there, −1 otherwise (scipy's `statistic_sign`). */
  sign: 1 | -1;
}

/** Options of ksTest. */
export interface KsOptions {
  /** 'auto' (default, as scipy), 'exact' or 'asymp'. */
  method?: KsMethod;
  /** Significance level; drift when pValue < threshold. Default 0.05. */
  threshold?: number;
  /** Both samples are already sorted ascending: skip the copies and sorts (callers that sort once for several uses). */
  presorted?: boolean;
}

interface DStat {
  d: number;
  location: number;
  sign: 1 | -1;
}

/** D, its location and sign from two sorted samples, by one merge pass (scipy: searchsorted on data_all). */
function ksStatistic(a: Float64Array, b: Float64Array): DStat {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  // scipy evaluates cdf1 - cdf2 at every pooled value; the same values occur at distinct ones.
  // Its argmax/argmin return the first hit in concat(sorted x, sorted y): the smallest such value
  // of x if x has one, else the smallest of y. Both candidates are tracked to report the same.
  let maxS = -Infinity;
  let minS = Infinity;
  let maxInA = NaN;
  let maxInB = NaN;
  let minInA = NaN;
  let minInB = NaN;
  while (i < n1 || j < n2) {
    const t = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    const i0 = i;
    const j0 = j;
    while (i < n1 && a[i] <= t) i++;
    while (j < n2 && b[j] <= t) j++;
    const inA = i > i0;
    const inB = j > j0;
    const diff = i / n1 - j / n2;
    if (diff > maxS) {
      maxS = diff;
      maxInA = inA ? t : NaN;
      maxInB = inB ? t : NaN;
    } else if (diff === maxS) {
      if (inA && Number.isNaN(maxInA)) maxInA = t;
      if (inB && Number.isNaN(maxInB)) maxInB = t;
    }
    if (diff < minS) {
      minS = diff;
      minInA = inA ? t : NaN;
      minInB = inB ? t : NaN;
    } else if (diff === minS) {
      if (inA && Number.isNaN(minInA)) minInA = t;
      if (inB && Number.isNaN(minInB)) minInB = t;
    }
  }
  const maxLoc = Number.isNaN(maxInA) ? maxInB : maxInA;
  const minLoc = Number.isNaN(minInA) ? minInB : minInA;
  const minD = Math.min(Math.max(-minS, 0), 1); // scipy clips -min to [0, 1]
  if (minD > maxS) return { d: minD, location: minLoc, sign: -1 };
  return { d: maxS, location: maxLoc, sign: 1 };
}

/** Two-sample two-sided Kolmogorov–Smirnov test, numerically identical to scipy.stats.ks_2samp(method='auto'). */
export function ksTest(reference: NumericSample, current: NumericSample, opts: KsOptions = {}): KsResult {
  const x = numericSample('reference', reference, { test: 'the KS test' });
  const y = numericSample('current', current, { test: 'the KS test' });
  const threshold = opts.threshold ?? DEFAULT_THRESHOLDS.ks;
  const a = opts.presorted ? x : sortedCopy(x);
  const b = opts.presorted ? y : sortedCopy(y);
  const n1 = a.length;
  const n2 = b.length;
  const stat = ksStatistic(a, b);
  let d = stat.d;

  const g = gcd(n1, n2);
  let mode: 'exact' | 'asymp';
  const requested = opts.method ?? 'auto';
  if (requested === 'auto') mode = Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp';
  else if (requested === 'exact') mode = n1 / g >= 2147483647 / (n2 / g) ? 'asymp' : 'exact';
  else mode = 'asymp';

  let p = NaN;
  if (mode === 'exact') {
    const attempt = attemptExactTwoSided(n1, n2, g, d);
    d = attempt.d;
    if (attempt.success) p = attempt.p;
    else mode = 'asymp';
  }
  if (mode === 'asymp') {
    // Float products, as scipy does, so that huge n·m never overflows an integer.
    const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
    const en = (m * n) / (m + n);
    // n = m = 1 with method 'asymp' would give round(0.5) = 0, where scipy returns NaN; use 1.
    p = kolmogorovSf(Math.max(1, roundHalfEven(en)), d);
  }
  const pValue = Math.min(Math.max(p, 0), 1);
  return {
    test: 'ks',
    statistic: d,
    pValue,
    method: mode,
    location: stat.location,
    sign: stat.sign,
    referenceSize: n1,
    currentSize: n2,
    threshold,
    drift: pValue < threshold,
  };
}
