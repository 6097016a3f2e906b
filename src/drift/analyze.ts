import { jsonNumber } from '../core/entities.js';
import { invalid } from '../core/errors.js';
import { loadTable, type Column, type ColumnKind, type Table } from './dataset.js';
import { autoTest, checkApplicable } from './select-test.js';
import {
  chiSquareTest,
  DEFAULT_THRESHOLDS,
  jensenShannonTest,
  ksTest,
  psiTest,
  wassersteinTest,
  zTest,
  type StatTestName,
  type StatTestResult,
} from './stats/index.js';
import { categoricalSummary, categoryValues, numericSummary, type CategoricalSummary, type NumericSummary } from './summary.js';

export type Correction = 'none' | 'bonferroni' | 'fdr';

export interface DriftOptions {
  columns?: string[];
  categorical?: string[];
  numerical?: string[];
  test: StatTestName | 'auto';
  /** Significance for p-value tests, distance threshold for the others; default per test. */
  threshold?: number;
  driftShare: number;
  correction: Correction;
  predictionColumn?: string;
}

export interface ColumnReport {
  column: string;
  type: ColumnKind;
  role: 'feature' | 'prediction';
  test: StatTestName;
  statistic: number;
  p_value: number | null;
  /** The threshold the verdict used: after --correction for p-value tests. */
  threshold: number;
  drift: boolean;
  reference: NumericSummary | CategoricalSummary;
  current: NumericSummary | CategoricalSummary;
  /** Samples as tested, for charts (not in --json). */
  samples?: { reference: Column; current: Column };
}

export interface DriftReport {
  dataset_drift: boolean;
  drift_share: number;
  drifted_columns: number;
  number_of_columns: number;
  drift_share_threshold: number;
  correction: { method: Correction; tests: number; alpha: number | null; note: string };
  columns: ColumnReport[];
  prediction: ColumnReport | null;
  reference: { file: string; rows: number };
  current: { file: string; rows: number; window?: { since: number; until: number } };
}

const P_VALUE_TESTS = new Set<StatTestName>(['ks', 'chisquare', 'z']);

/** Makes a column's two sides the same kind: numbers become their text when either side has text. */
function align(name: string, ref: Column, cur: Column, declared: ColumnKind | undefined): [Column, Column] {
  const kind = declared ?? (ref.kind === 'numerical' && cur.kind === 'numerical' ? 'numerical' : 'categorical');
  const as = (c: Column): Column => (c.kind === kind ? c : { ...c, kind, strings: categoryValues(c), numbers: new Float64Array(0) });
  const [r, c] = [as(ref), as(cur)];
  for (const [side, col] of [
    ['reference', r],
    ['current', c],
  ] as const) {
    const n = col.kind === 'numerical' ? col.numbers.length : col.strings.length;
    if (n === 0) throw invalid(`column "${name}" has no values in the ${side} file (${col.missing} missing); drop it with --columns or fix the ${side} data`);
    // One value says nothing about a distribution (and makes the normed Wasserstein divide by zero).
    if (n < 2) throw invalid(`column "${name}" has only 1 value in the ${side} file; drift tests need at least 2 per sample`);
  }
  return [r, c];
}

/** Numeric samples are sorted once, in place: KS, the summaries and binning all want them sorted. */
function runTest(test: StatTestName, ref: Column, cur: Column, threshold: number | undefined): StatTestResult {
  const sample = (c: Column) => (c.kind === 'numerical' ? c.numbers : c.strings);
  const opts = { threshold: threshold ?? DEFAULT_THRESHOLDS[test] };
  switch (test) {
    case 'ks':
      return ksTest(ref.numbers, cur.numbers, { ...opts, presorted: true });
    case 'wasserstein':
      return wassersteinTest(ref.numbers, cur.numbers, opts);
    case 'chisquare':
      return chiSquareTest(sample(ref), sample(cur), opts);
    case 'z':
      return zTest(sample(ref), sample(cur), opts);
    case 'psi':
      return psiTest(sample(ref), sample(cur), { ...opts, kind: ref.kind });
    case 'jensenshannon':
      return jensenShannonTest(sample(ref), sample(cur), { ...opts, kind: ref.kind });
  }
}

/**
 * Applies the multiple-testing correction to the p-value tests: Bonferroni divides the
 * significance by the number of tests; Benjamini–Hochberg (fdr) rejects the k smallest
 * p-values, k the largest with p(k) <= k/m * alpha (step-up), and reports k/m * alpha as the
 * threshold (alpha/m when nothing is rejected): every flagged p is at or below it, every other above.
 */
function correct(reports: ColumnReport[], method: Correction, alpha: number): number {
  const tested = reports.filter((r) => r.p_value !== null);
  if (method === 'none' || tested.length === 0) return tested.length;
  if (method === 'bonferroni') {
    for (const r of tested) {
      r.threshold = alpha / tested.length;
      r.drift = r.p_value! < r.threshold;
    }
    return tested.length;
  }
  const sorted = [...tested].sort((a, b) => a.p_value! - b.p_value!);
  const m = sorted.length;
  let k = 0;
  sorted.forEach((r, i) => {
    if (r.p_value! <= ((i + 1) / m) * alpha) k = i + 1;
  });
  sorted.forEach((r, i) => {
    r.threshold = ((k > 0 ? k : 1) / m) * alpha;
    r.drift = i < k;
  });
  return m;
}

/** A current table that is not a file (logged serving traffic): loaded once the reference's columns are known. */
export interface CurrentSource {
  /** The column holding the model's predictions: tested as the prediction when the table has it. */
  predictionColumn: string;
  load(declared: Map<string, ColumnKind>, wanted: string[] | null, referenceColumns: string[]): Promise<Table>;
}

/** Compares every column of two files with the right test and decides whether the dataset drifted. */
export async function analyzeDrift(referenceFile: string, current: string | CurrentSource, o: DriftOptions): Promise<DriftReport> {
  if (!(o.driftShare > 0 && o.driftShare <= 1)) throw invalid(`the drift share ${o.driftShare} must be in (0, 1]`);
  if (o.threshold !== undefined && !(o.threshold > 0)) throw invalid(`the threshold ${o.threshold} must be a positive number`);
  const declared = new Map<string, ColumnKind>();
  for (const c of o.categorical ?? []) declared.set(c, 'categorical');
  for (const c of o.numerical ?? []) {
    if (declared.has(c)) throw invalid(`column "${c}" is declared both categorical and numerical`);
    declared.set(c, 'numerical');
  }
  const wanted = o.columns ? [...o.columns, ...(o.predictionColumn && !o.columns.includes(o.predictionColumn) ? [o.predictionColumn] : [])] : null;
  let ref: Table, cur: Table;
  if (typeof current === 'string') [ref, cur] = await Promise.all([loadTable(referenceFile, declared, wanted), loadTable(current, declared, wanted)]);
  else {
    ref = await loadTable(referenceFile, declared, wanted);
    cur = await current.load(declared, wanted, [...ref.columns.keys()]);
    if (!o.predictionColumn && cur.columns.has(current.predictionColumn)) o = { ...o, predictionColumn: current.predictionColumn };
  }
  // Logged traffic has the model's columns only: the reference's others (its label, ids) are not compared.
  const names = wanted ?? [...(typeof current === 'string' ? ref : cur).columns.keys()];
  for (const n of names) {
    const missingIn = [ref, cur].filter((t) => !t.columns.has(n)).map((t) => t.file);
    if (missingIn.length) throw invalid(`column "${n}" is not in ${missingIn.join(' nor ')}`);
  }
  const extra = [...cur.columns.keys()].filter((n) => !wanted && !ref.columns.has(n));
  if (extra.length) throw invalid(`column "${extra[0]}" is in ${cur.file} but not in ${ref.file}; choose columns with --columns`);
  if (o.predictionColumn && !names.includes(o.predictionColumn)) {
    const lacking = [ref, cur].filter((t) => !t.columns.has(o.predictionColumn!)).map((t) => t.file);
    throw invalid(
      `--prediction-column "${o.predictionColumn}" is not a column of ${lacking.length ? lacking.join(' nor ') : 'the compared columns (add it to --columns)'}`,
    );
  }

  const reports: ColumnReport[] = names.map((name) => {
    const [r, c] = align(name, ref.columns.get(name)!, cur.columns.get(name)!, declared.get(name));
    if (r.kind === 'numerical') {
      r.numbers.sort();
      c.numbers.sort();
    }
    const test = o.test === 'auto' ? autoTest(r, c, ref.rows) : o.test;
    checkApplicable(test, r);
    const result = runTest(test, r, c, o.threshold);
    const summary = (col: Column) => (col.kind === 'numerical' ? numericSummary(col, true) : categoricalSummary(col));
    return {
      column: name,
      type: r.kind,
      role: name === o.predictionColumn ? 'prediction' : 'feature',
      test,
      statistic: result.statistic,
      p_value: P_VALUE_TESTS.has(test) ? result.pValue : null,
      threshold: result.threshold,
      drift: result.drift,
      reference: summary(r),
      current: summary(c),
      samples: { reference: r, current: c },
    };
  });
  const alpha = o.threshold ?? DEFAULT_THRESHOLDS.ks;
  const tests = correct(reports, o.correction, alpha);
  const features = reports.filter((r) => r.role === 'feature');
  const drifted = features.filter((r) => r.drift).length;
  const share = features.length ? drifted / features.length : 0;
  return {
    dataset_drift: features.length > 0 && share >= o.driftShare,
    drift_share: share,
    drifted_columns: drifted,
    number_of_columns: features.length,
    drift_share_threshold: o.driftShare,
    correction: {
      method: o.correction,
      tests,
      alpha: tests ? alpha : null,
      note:
        o.correction === 'none'
          ? 'no correction for multiple tests'
          : o.correction === 'bonferroni'
            ? `Bonferroni: p-value tests use alpha/${tests}`
            : `Benjamini-Hochberg false discovery rate at ${alpha} over ${tests} p-value tests`,
    },
    columns: features,
    prediction: reports.find((r) => r.role === 'prediction') ?? null,
    reference: { file: ref.file, rows: ref.rows },
    current: { file: cur.file, rows: cur.rows, ...(cur.window ? { window: cur.window } : {}) },
  };
}

/** The report as --json prints it (no samples). */
export function reportJson(r: DriftReport): unknown {
  // JSON has no Infinity (a chi-square with a category new to the reference): spell it as MLflow does.
  const strip = ({ samples: _s, ...rest }: ColumnReport) => ({ ...rest, statistic: jsonNumber(rest.statistic) });
  return { ...r, columns: r.columns.map(strip), prediction: r.prediction ? strip(r.prediction) : null };
}
