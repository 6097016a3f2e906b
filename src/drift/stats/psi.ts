// Population stability index as Evidently's psi stattest (evidently/legacy/calculations/
// stattests/psi.py): shares per bin from get_binned_data with empty bins filled (binning.ts),
// PSI = Σ (ref_i − cur_i) · ln(ref_i / cur_i) = Σ (cur_i − ref_i) · ln(cur_i / ref_i)
// (Yurdakul, "Statistical properties of population stability index", 2018); drift when >= 0.1.

import { binnedShares, inferKind, type Bins, type ColumnKind } from './binning.js';
import { DEFAULT_THRESHOLDS, type StatTestResult } from './result.js';
import { pairwiseSum, type CategoricalSample, type NumericSample } from './sample.js';

/** Result of the PSI computation. */
export interface PsiResult extends StatTestResult {
  test: 'psi';
  pValue: null;
  bins: Bins;
  /** Shares per bin after the empty-bin fill, as used in the sum. */
  referenceShares: Float64Array;
  currentShares: Float64Array;
}

/** Options of psiTest. */
export interface DistanceOptions {
  /** 'numerical' (default when every value is a number) may bin; 'categorical' never does. */
  kind?: ColumnKind;
  /** Drift when the statistic >= threshold. */
  threshold?: number;
}

/** Population stability index over Evidently's bins (Sturges for numeric columns with > 20 distinct reference values). */
export function psiTest(reference: NumericSample | CategoricalSample, current: NumericSample | CategoricalSample, opts: DistanceOptions = {}): PsiResult {
  const kind = opts.kind ?? inferKind(reference, current);
  const threshold = opts.threshold ?? DEFAULT_THRESHOLDS.psi;
  const shares = binnedShares(reference, current, { kind, fillZeroes: true, test: 'PSI' });
  const r = shares.reference;
  const c = shares.current;
  const terms = new Float64Array(r.length);
  for (let i = 0; i < r.length; i++) terms[i] = (r[i] - c[i]) * Math.log(r[i] / c[i]);
  // Every term is >= 0 in exact arithmetic; clamp the sum so identical samples give exactly 0.
  const statistic = Math.max(pairwiseSum(terms), 0);
  return {
    test: 'psi',
    statistic,
    pValue: null,
    bins: shares.bins,
    referenceShares: r,
    currentShares: c,
    threshold,
    drift: statistic >= threshold,
    referenceSize: reference.length,
    currentSize: current.length,
  };
}
