// Statistical tests for drift detection: pure functions over samples, numerically matching
// scipy 1.17.1 (KS, chi-square, normal sf, Wasserstein, Jensen–Shannon) and Evidently's
// stattests (binning, PSI, normed Wasserstein, z-test).

export { ksTest, KS_MAX_EXACT_N, type KsMethod, type KsOptions, type KsResult } from './ks.js';
export { chiSquareTest, type ChiSquareResult } from './chisquare.js';
export { zTest, type ZTestResult } from './ztest.js';
export { psiTest, type PsiResult, type DistanceOptions } from './psi.js';
export { wassersteinDistance, wassersteinTest, WASSERSTEIN_MIN_NORM, type WassersteinResult } from './wasserstein.js';
export { jensenShannonDistance, jensenShannonTest, type JensenShannonResult } from './jensenshannon.js';
export { binnedShares, sturgesEdges, HISTOGRAM_MIN_UNIQUE, type Bins, type BinnedShares, type ColumnKind } from './binning.js';
export { countCategories, type CategoryCounts } from './categories.js';
export { DEFAULT_THRESHOLDS, type StatTestName, type StatTestResult } from './result.js';
export type { NumericSample, CategoricalSample, CategoryValue } from './sample.js';
export { kolmogorovSf } from './kolmogorov.js';
export { smirnovSf } from './smirnov.js';
export { chi2Sf, igam, igamc } from './special/igam.js';
export { normalSf, ndtr, erfc } from './special/ndtr.js';
