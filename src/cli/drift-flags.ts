// The analysis flags `mlx drift` and `mlx monitor` share: declared once, parsed once, so the two commands
// cannot drift apart in names, defaults or checks.
import type { Command } from 'commander';
import type { Correction, DriftOptions } from '../drift/analyze.js';
import { parseTestName } from '../drift/select-test.js';
import { flagValue, usage } from './flags.js';

export interface DriftAnalysisFlags {
  columns?: string;
  categorical?: string;
  numerical?: string;
  test: string;
  threshold?: string;
  driftShare: string;
  correction: string;
  predictionColumn?: string;
}

/** Declares the analysis flags; the columns help and the prediction column's meaning differ per command. */
export function addDriftAnalysisOptions(cmd: Command, help: { columns: string; predictionColumn: string }): Command {
  return cmd
    .option('--columns <a,b>', help.columns)
    .option('--categorical <a,b>', 'columns to treat as categories')
    .option('--numerical <a,b>', 'columns to treat as numbers (a non-number is then an error)')
    .option('--test <name>', 'auto, ks, chisquare, z, psi, wasserstein or jensenshannon', 'auto')
    .option('--threshold <x>', 'significance for p-value tests, distance for the others (default: 0.05 and 0.1)')
    .option('--drift-share <x>', 'dataset drift when this share of columns drifted', '0.5')
    .option('--correction <method>', 'none, bonferroni or fdr (Benjamini-Hochberg) for many p-value tests', 'none')
    .option('--prediction-column <name>', help.predictionColumn);
}

const list = (s: string | undefined) =>
  s
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** A number flag that must be above 0 (and at most max): a threshold, a share. */
function positive(flag: string, text: string, max?: number): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw usage(`${flag} ${JSON.stringify(text)} is not a number`);
  if (!(v > 0) || (max !== undefined && v > max))
    throw usage(max === undefined ? `${flag} ${v} must be a positive number` : `${flag} ${v} must be in (0, ${max}]`);
  return v;
}

/** The analysis options the flags ask for; a bad value is a usage error naming its flag. */
export function driftOptions(f: DriftAnalysisFlags): DriftOptions {
  const test = flagValue('--test', () => parseTestName(f.test));
  if (!['none', 'bonferroni', 'fdr'].includes(f.correction)) throw usage(`--correction ${JSON.stringify(f.correction)} must be none, bonferroni or fdr`);
  const categorical = list(f.categorical);
  const numerical = list(f.numerical);
  const both = categorical?.find((c) => numerical?.includes(c));
  if (both !== undefined) throw usage(`column "${both}" is declared both --categorical and --numerical`);
  return {
    columns: list(f.columns),
    categorical,
    numerical,
    test,
    threshold: f.threshold !== undefined ? positive('--threshold', f.threshold) : undefined,
    driftShare: positive('--drift-share', f.driftShare, 1),
    correction: f.correction as Correction,
    predictionColumn: f.predictionColumn,
  };
}
