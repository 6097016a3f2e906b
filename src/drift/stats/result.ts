// The shape every drift statistic returns, so reports can treat them alike.

/** Names of the statistical tests, as `mlx drift --test` spells them. */
export type StatTestName = 'ks' | 'chisquare' | 'z' | 'psi' | 'wasserstein' | 'jensenshannon';

/** Common fields of every test result. */
export interface StatTestResult {
  test: StatTestName;
  /** The test statistic (a distance for psi, wasserstein and jensenshannon). */
  statistic: number;
  /** p-value for hypothesis tests; null for distances, which have none. */
  pValue: number | null;
  /** p-value tests: drift when pValue < threshold. Distances: drift when statistic >= threshold. */
  threshold: number;
  drift: boolean;
  referenceSize: number;
  currentSize: number;
}

/**
 * Default thresholds, as Evidently's stattests define them: significance 0.05 for the p-value
 * tests, 0.1 for PSI, normed Wasserstein and Jensen–Shannon distances.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<StatTestName, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  psi: 0.1,
  wasserstein: 0.1,
  jensenshannon: 0.1,
};
