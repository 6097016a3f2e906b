// Wasserstein-1 (earth mover's) distance between two empirical distributions, as scipy 1.17.1
// scipy.stats.wasserstein_distance (_stats_py._cdf_distance with p = 1):
// W1 = ∫ |F_u(t) − F_v(t)| dt = Σ_k |F_u(t_k) − F_v(t_k)| (t_{k+1} − t_k) over the pooled sorted
// values (Ramdas, Garcia & Cuturi, "On Wasserstein two-sample testing and related families of
// nonparametric tests", Entropy 19(2), 2017, eq. for 1-D). Evidently's "wasserstein" stattest
// divides it by the reference standard deviation (np.std, ddof = 0), floored at 0.001
// (evidently/legacy/calculations/stattests/wasserstein_distance_norm.py); drift when >= 0.1.

import { DEFAULT_THRESHOLDS, type StatTestResult } from './result.js';
import { CompensatedSum, numericSample, populationStd, sortedCopy, type NumericSample } from './sample.js';

/** Evidently's floor for the reference standard deviation (a constant reference column). */
export const WASSERSTEIN_MIN_NORM = 0.001;

/** Result of the normed Wasserstein distance. */
export interface WassersteinResult extends StatTestResult {
  test: 'wasserstein';
  /** W1 / max(std(reference), 0.001). */
  statistic: number;
  pValue: null;
  /** The raw Wasserstein-1 distance (scipy.stats.wasserstein_distance). */
  distance: number;
  /** The divisor: max(reference std with ddof 0, 0.001). */
  norm: number;
}

/** scipy.stats.wasserstein_distance(u, v) for unweighted samples, in O((n + m) log(n + m)). */
export function wassersteinDistance(u: NumericSample, v: NumericSample): number {
  const a = sortedCopy(numericSample('reference', u, { finite: true, test: 'the Wasserstein distance' }));
  const b = sortedCopy(numericSample('current', v, { finite: true, test: 'the Wasserstein distance' }));
  return sortedWasserstein(a, b);
}

function sortedWasserstein(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  // Walk the pooled sorted values; between consecutive ones both CDFs are constant.
  const sum = new CompensatedSum();
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0], b[0]);
  while (i < n || j < m) {
    while (i < n && a[i] <= prev) i++;
    while (j < m && b[j] <= prev) j++;
    if (i >= n && j >= m) break;
    const next = j >= m || (i < n && a[i] <= b[j]) ? a[i] : b[j];
    sum.add(Math.abs(i / n - j / m) * (next - prev));
    prev = next;
  }
  return sum.value();
}

/** Evidently's normed Wasserstein distance: W1 / max(std(reference), 0.001); drift when >= threshold. */
export function wassersteinTest(reference: NumericSample, current: NumericSample, opts: { threshold?: number } = {}): WassersteinResult {
  const test = 'the Wasserstein distance';
  const ref = numericSample('reference', reference, { finite: true, test });
  const cur = numericSample('current', current, { finite: true, test });
  const threshold = opts.threshold ?? DEFAULT_THRESHOLDS.wasserstein;
  const distance = sortedWasserstein(sortedCopy(ref), sortedCopy(cur));
  // A constant reference has std 0: Evidently divides by 0.001 instead, so identical constant
  // samples give 0 (no drift) and any move of the current values is magnified, never NaN.
  const norm = Math.max(populationStd(ref), WASSERSTEIN_MIN_NORM);
  const statistic = distance / norm;
  return {
    test: 'wasserstein',
    statistic,
    pValue: null,
    distance,
    norm,
    threshold,
    drift: statistic >= threshold,
    referenceSize: ref.length,
    currentSize: cur.length,
  };
}
