import { invalid } from '../core/errors.js';
import type { StatTestName } from './stats/index.js';
import type { Column } from './dataset.js';

export const TEST_NAMES: readonly StatTestName[] = ['ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon'];

/** Parses --test. */
export function parseTestName(text: string): StatTestName | 'auto' {
  if (text === 'auto' || (TEST_NAMES as readonly string[]).includes(text)) return text as StatTestName | 'auto';
  throw invalid(`${JSON.stringify(text)} is not a test; use auto, ${TEST_NAMES.join(', ')}`);
}

/** Distinct non-missing values across both samples (pandas' nunique of the concatenation). */
export function uniqueCount(ref: Column, cur: Column): number {
  if (ref.kind === 'categorical') return new Set([...ref.strings, ...cur.strings]).size;
  const seen = new Set<number>();
  for (const v of ref.numbers) seen.add(v);
  for (const v of cur.numbers) seen.add(v);
  return seen.size;
}

/**
 * The test Evidently's get_default_stattest picks: with a reference of at most 1000 rows,
 * KS for numbers with more than 5 distinct values, else chi-square (z-test for 2 or fewer);
 * with a larger reference, the normed Wasserstein distance for numbers with more than 5
 * distinct values, else the Jensen–Shannon distance.
 */
export function autoTest(ref: Column, cur: Column, referenceRows: number): StatTestName {
  const unique = uniqueCount(ref, cur);
  const numeric = ref.kind === 'numerical';
  if (referenceRows <= 1000) {
    if (numeric && unique > 5) return 'ks';
    return unique > 2 ? 'chisquare' : 'z';
  }
  return numeric && unique > 5 ? 'wasserstein' : 'jensenshannon';
}

/** Tests that need numbers cannot run on categories. */
export function checkApplicable(test: StatTestName, column: Column): void {
  if ((test === 'ks' || test === 'wasserstein') && column.kind === 'categorical')
    throw invalid(
      `column "${column.name}" is categorical; the ${test} test needs numbers (use --test auto, chisquare, z, psi or jensenshannon, or declare it --numerical)`,
    );
}
