// Jensen–Shannon distance as Evidently's jensenshannon stattest (evidently/legacy/calculations/
// stattests/jensenshannon.py): shares from get_binned_data without the empty-bin fill (so numeric
// columns with > 20 distinct reference values are Sturges-binned, others compared per value),
// then scipy.spatial.distance.jensenshannon(p, q) with the natural log (scipy 1.17.1):
// p, q normalised to sum 1, m = (p + q)/2, JS = sqrt((KL(p‖m) + KL(q‖m)) / 2)
// (Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory 37(1), 1991;
// Endres & Schindelin, "A new metric for probability distributions", 2003). Drift when >= 0.1.

import { binnedShares, inferKind, type Bins } from './binning.js';
import type { DistanceOptions } from './psi.js';
import { DEFAULT_THRESHOLDS, type StatTestResult } from './result.js';
import { pairwiseSum, type CategoricalSample, type NumericSample } from './sample.js';

/** Result of the Jensen–Shannon distance. */
export interface JensenShannonResult extends StatTestResult {
  test: 'jensenshannon';
  pValue: null;
  bins: Bins;
  referenceShares: Float64Array;
  currentShares: Float64Array;
}

/** scipy.special.rel_entr: x·ln(x/y), 0 when x = 0, +inf when y = 0 < x. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/** scipy.spatial.distance.jensenshannon(p, q) with base e; never NaN (a rounding-negative sum gives 0). */
export function jensenShannonDistance(p: Float64Array, q: Float64Array): number {
  const ps = pairwiseSum(p);
  const qs = pairwiseSum(q);
  const left = new Float64Array(p.length);
  const right = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / ps;
    const qi = q[i] / qs;
    const m = (pi + qi) / 2.0;
    left[i] = relEntr(pi, m);
    right[i] = relEntr(qi, m);
  }
  const js = pairwiseSum(left) + pairwiseSum(right);
  // scipy would return NaN for sqrt of a -1e-17 rounding residue; the distance is 0 there.
  return Math.sqrt(Math.max(js / 2.0, 0));
}

/** Jensen–Shannon distance over Evidently's bins or categories (natural log, range [0, sqrt(ln 2)]). */
export function jensenShannonTest(
  reference: NumericSample | CategoricalSample,
  current: NumericSample | CategoricalSample,
  opts: DistanceOptions = {},
): JensenShannonResult {
  const kind = opts.kind ?? inferKind(reference, current);
  const threshold = opts.threshold ?? DEFAULT_THRESHOLDS.jensenshannon;
  const shares = binnedShares(reference, current, { kind, fillZeroes: false, test: 'the Jensen-Shannon distance' });
  const statistic = jensenShannonDistance(shares.reference, shares.current);
  return {
    test: 'jensenshannon',
    statistic,
    pValue: null,
    bins: shares.bins,
    referenceShares: shares.reference,
    currentShares: shares.current,
    threshold,
    drift: statistic >= threshold,
    referenceSize: reference.length,
    currentSize: current.length,
  };
}
