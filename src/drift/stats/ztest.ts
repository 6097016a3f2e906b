// Two-proportion z-test as Evidently's z_stat_test (evidently/legacy/calculations/stattests/
// z_stattest.py): the first category in sorted order is coded 0 and every other category 1,
// p_i = share of ones in each sample, pooled P = (p1·n1 + p2·n2)/(n1 + n2),
// z = (p1 − p2) / sqrt(P(1 − P)(1/n1 + 1/n2)), the classic pooled two-proportion z-test (e.g.
// Fleiss, Levin & Paik, Statistical Methods for Rates and Proportions). The two-sided p-value is 2·Φ(−|z|) computed with the normal
// survival function (cephes ndtr, as scipy.stats.norm.sf); Evidently writes 2·(1 − Φ(|z|)),
// which is the same number except that it loses all precision below about 1e-9.

import { countCategories } from './categories.js';
import { DEFAULT_THRESHOLDS, type StatTestResult } from './result.js';
import { categoricalSample, type CategoricalSample, type CategoryValue } from './sample.js';
import { normalSf } from './special/ndtr.js';

/** Result of the two-proportion z-test. */
export interface ZTestResult extends StatTestResult {
  test: 'z';
  /** z; positive when the reference has the larger share of categories other than `baseCategory`. */
  statistic: number;
  pValue: number;
  /** The category coded 0 (the first in sorted order); every other category counts as 1. */
  baseCategory: CategoryValue;
  /** Share of values other than baseCategory in the reference and in the current sample. */
  referenceProportion: number;
  currentProportion: number;
}

/** Two-proportion z-test with pooled variance (Evidently's z test; p-value from the normal sf). */
export function zTest(reference: CategoricalSample, current: CategoricalSample, opts: { threshold?: number } = {}): ZTestResult {
  const test = 'the z-test';
  const counts = countCategories(categoricalSample('reference', reference, test), categoricalSample('current', current, test));
  const threshold = opts.threshold ?? DEFAULT_THRESHOLDS.z;
  const n1 = counts.referenceSize;
  const n2 = counts.currentSize;
  const base = counts.keys[0];
  const p1 = (n1 - counts.reference[0]) / n1;
  const p2 = (n2 - counts.current[0]) / n2;
  let statistic: number;
  let pValue: number;
  if (counts.keys.length === 1) {
    // Both samples hold the same single value: Evidently defines p = 1 (and z would be 0/0).
    statistic = 0;
    pValue = 1;
  } else {
    // Two categories occur in the pooled sample, so 0 < P < 1 and the variance is positive.
    const P = (p1 * n1 + p2 * n2) / (n1 + n2);
    statistic = (p1 - p2) / Math.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2));
    pValue = Math.min(2 * normalSf(Math.abs(statistic)), 1);
  }
  return {
    test: 'z',
    statistic,
    pValue,
    baseCategory: base,
    referenceProportion: p1,
    currentProportion: p2,
    threshold,
    drift: pValue < threshold,
    referenceSize: n1,
    currentSize: n2,
  };
}
