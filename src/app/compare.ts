/** Side-by-side comparison of runs: pure data for `mlx compare` (table, --json) and the UI. */

import { invalid } from '../core/errors.js';
import { jsonNumber, runToJson } from '../core/entities.js';
import type { Run, RunJson } from '../core/entities.js';

export type Direction = 'min' | 'max';

export interface CompareOptions {
  /** Metric keys where lower is better; overrides the name heuristic. */
  minimize?: string[];
  /** Metric keys where higher is better; overrides the name heuristic. */
  maximize?: string[];
}

export interface BestValue {
  direction: Direction;
  /** Every run holding the best value (ties are all listed), in the order the runs were given. */
  run_ids: string[];
}

export interface Comparison {
  runs: RunJson[];
  /** key → run_id → value, null where the run has no such param. */
  params: Record<string, Record<string, string | null>>;
  /** key → run_id → latest value (NaN/±Infinity as strings, see jsonNumber), null where absent. */
  metrics: Record<string, Record<string, number | string | null>>;
  /** Param keys whose value (or presence) is not the same in every run. */
  differingParams: string[];
  best: Record<string, BestValue>;
}

// Long words are safe as substrings ("val_loss", "logloss", "runtime"); short abbreviations
// must be a whole token, or "answer_acc" would be minimized for containing "wer".
const MINIMIZE_SUBSTRINGS = /loss|error|perplexity|latency|duration|time/i;
const MINIMIZE_TOKENS = new Set(['err', 'mse', 'mae', 'rmse', 'mape', 'smape', 'msle', 'wer', 'cer', 'ppl', 'nll']);

/** Whether lower or higher is better for a metric: explicit options first, else a guess from its name. */
export function metricDirection(key: string, opts: CompareOptions = {}): Direction {
  if (opts.minimize?.includes(key)) return 'min';
  if (opts.maximize?.includes(key)) return 'max';
  if (MINIMIZE_SUBSTRINGS.test(key)) return 'min';
  // Split snake_case, kebab-case, dotted and camelCase names into lower-case tokens.
  const tokens = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return tokens.some((t) => MINIMIZE_TOKENS.has(t)) ? 'min' : 'max';
}

/** Params and latest metrics of several runs side by side, with differing params and best values marked. */
export function buildComparison(runs: Run[], opts: CompareOptions = {}): Comparison {
  const clash = (opts.minimize ?? []).filter((k) => opts.maximize?.includes(k));
  if (clash.length > 0) {
    throw invalid(`Metric ${JSON.stringify(clash[0])} is asked to be both minimized and maximized; pick one.`);
  }
  // The same run named twice would collapse in the run_id-keyed maps anyway; keep the first.
  const seen = new Set<string>();
  const unique = runs.filter((r) => !seen.has(r.info.run_id) && seen.add(r.info.run_id));

  const paramKeys = sortedKeys(unique.map((r) => r.params));
  const metricKeys = sortedKeys(unique.map((r) => r.metrics));

  const params: Comparison['params'] = dict();
  const differingParams: string[] = [];
  for (const key of paramKeys) {
    const row: Record<string, string | null> = dict();
    for (const r of unique) row[r.info.run_id] = has(r.params, key) ? r.params[key] : null;
    params[key] = row;
    if (new Set(Object.values(row)).size > 1) differingParams.push(key);
  }

  const metrics: Comparison['metrics'] = dict();
  const best: Comparison['best'] = dict();
  for (const key of metricKeys) {
    const row: Record<string, number | string | null> = dict();
    for (const r of unique) row[r.info.run_id] = has(r.metrics, key) ? jsonNumber(r.metrics[key]) : null;
    metrics[key] = row;
    best[key] = bestOf(unique, key, metricDirection(key, opts));
  }

  return { runs: unique.map(runToJson), params, metrics, differingParams, best };
}

function bestOf(runs: Run[], key: string, direction: Direction): BestValue {
  // Only finite values compete: NaN has no order, and an infinite loss or accuracy means a
  // diverged or broken run, not a winner.
  const candidates = runs.filter((r) => has(r.metrics, key) && Number.isFinite(r.metrics[key]));
  if (candidates.length === 0) return { direction, run_ids: [] };
  const values = candidates.map((r) => r.metrics[key]);
  const target = direction === 'min' ? Math.min(...values) : Math.max(...values);
  return { direction, run_ids: candidates.filter((r) => r.metrics[key] === target).map((r) => r.info.run_id) };
}

function sortedKeys(records: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const rec of records) for (const k of Object.keys(rec)) keys.add(k);
  // Code-unit order, not localeCompare: the same on every machine and locale.
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// Keys are user-chosen and "__proto__" is a valid metric name: on a plain object it would
// set the prototype instead of adding an entry.
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function has(rec: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(rec, key);
}

/**
 * Runs ordered by a metric's latest value, best first (the direction as metricDirection says);
 * runs without it, or with NaN, go last in their given order. The sort is stable.
 */
export function sortByMetric(runs: Run[], key: string, opts: CompareOptions = {}): Run[] {
  const sign = metricDirection(key, opts) === 'min' ? 1 : -1;
  const value = (r: Run) => (key in r.metrics && !Number.isNaN(r.metrics[key]) ? r.metrics[key] : null);
  return runs
    .map((r, i) => ({ r, i, v: value(r) }))
    .sort((a, b) => (a.v === null ? (b.v === null ? a.i - b.i : 1) : b.v === null ? -1 : sign * (a.v - b.v) || a.i - b.i))
    .map((x) => x.r);
}
