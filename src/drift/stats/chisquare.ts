// Chi-square goodness-of-fit test of the current categories against the reference proportions,
// as Evidently's chisquare stattest (evidently/legacy/calculations/stattests/chisquare_stattest.py):
// over the union of categories, f_exp = reference count × (current size / reference size),
// f_obs = current count, then scipy.stats.chisquare(f_obs, f_exp) (scipy 1.17.1
// _stats_py._power_divergence with lambda_=1): X² = Σ (f_obs − f_exp)² / f_exp (Pearson 1900),
// p = chi2.sf(X², k − 1) = Q((k − 1)/2, X²/2) (cephes chdtrc, see special/igam.ts).

import { countCategories } from './categories.js';
import { DEFAULT_THRESHOLDS, type StatTestResult } from './result.js';
import { categoricalSample, pairwiseSum, type CategoricalSample, type CategoryValue } from './sample.js';
import { chi2Sf } from './special/igam.js';

/** Result of the chi-square test. */
export interface ChiSquareResult extends StatTestResult {
  test: 'chisquare';
  /** Pearson's X²; Infinity when a category is absent from the reference but present now (scipy too). */
  statistic: number;
  pValue: number;
  /** Degrees of freedom: number of categories − 1. */
  df: number;
  categories: CategoryValue[];
}

/** Chi-square test of current category counts against reference proportions (Evidently's chisquare, scipy numbers). */
export function chiSquareTest(reference: CategoricalSample, current: CategoricalSample, opts: { threshold?: number } = {}): ChiSquareResult {
  const test = 'the chi-square test';
  const counts = countCategories(categoricalSample('reference', reference, test), categoricalSample('current', current, test));
  const threshold = opts.threshold ?? DEFAULT_THRESHOLDS.chisquare;
  const k = counts.keys.length;
  const kNorm = counts.currentSize / counts.referenceSize;
  const terms = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const fExp = counts.reference[i] * kNorm;
    const d = counts.current[i] - fExp;
    terms[i] = (d * d) / fExp; // fExp = 0 gives Infinity (or NaN for 0/0, which cannot occur: the key came from somewhere)
  }
  const df = k - 1;
  let statistic = pairwiseSum(terms);
  let pValue: number;
  if (df === 0) {
    // One category in both samples: scipy returns NaN (chi2 with 0 degrees of freedom); the
    // samples are identical as distributions, so the defined answer is "no drift".
    statistic = 0;
    pValue = 1;
  } else {
    pValue = Math.min(Math.max(chi2Sf(df, statistic), 0), 1);
  }
  return {
    test: 'chisquare',
    statistic,
    pValue,
    df,
    categories: counts.keys,
    threshold,
    drift: pValue < threshold,
    referenceSize: counts.referenceSize,
    currentSize: counts.currentSize,
  };
}
