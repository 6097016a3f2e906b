import type { Metric } from '../core/entities.js';
import { MlxError } from '../core/errors.js';
import { driftMetrics, keyOf } from '../drift/metrics.js';
import { analyzeDrift, reportJson, type DriftOptions, type DriftReport } from '../drift/analyze.js';
import { liveSource } from '../drift/live-data.js';
import type { InferenceLog, LogWindow } from '../inference-log/inference-log.js';
import { scoreAlerts, scoreLabeled, type LiveScores } from './live-score.js';
import type { Verdict } from './schedule.js';

/** What every check of one `mlx monitor` looks at and how it judges it. */
export interface MonitorConfig {
  model: string;
  reference: string;
  /** Window length (ms): a check at T reads traffic logged in [T - window, T) and labels that arrived then. */
  window: number;
  variant?: string;
  version?: number;
  drift: DriftOptions;
  /** Fewer logged rows than this: no drift test for the window. */
  minRows: number;
  minAccuracy?: number;
  maxMae?: number;
  /** Fewer labels than this in a group: its accuracy / MAE is reported, not judged. */
  minLabels: number;
  /** Validates a window's logged traffic against a data schema (--schema); the CLI provides it. */
  validate?: (log: InferenceLog, w: LogWindow) => Promise<WindowValidation>;
}

/** A window's data validation, as the monitor needs it (the report itself is the caller's). */
export interface WindowValidation {
  valid: boolean;
  /** Error-severity expectations that failed, and warning ones. */
  errors: number;
  warnings: number;
  /** The validation report, as `mlx data validate --json` prints it. */
  json: unknown;
  metrics(step: number, timestamp: number): Metric[];
}

export interface CheckResult {
  check: number;
  window: { since: number; until: number };
  rows: number;
  drift: DriftReport | null;
  /** Why there is no drift report for the window. */
  driftNote: string | null;
  /** The window's data validation (--schema), or null (no schema, or no rows). */
  validation: WindowValidation | null;
  /** Why a window with rows could not be validated. */
  validationNote: string | null;
  scores: LiveScores;
  unknownFeedback: number;
  verdict: Verdict;
  reasons: string[];
  /** Set by the monitor once it knows whether this check fired the trigger. */
  triggered: boolean;
}

/** One check: drift of the window's logged traffic against the reference, and live scores from its labels. */
export async function runCheck(log: InferenceLog, cfg: MonitorConfig, check: number, end: number): Promise<CheckResult> {
  const w: LogWindow = { model: cfg.model, since: end - cfg.window, until: end, variant: cfg.variant, version: cfg.version };
  const rows = log.countWindow(w);
  let drift: DriftReport | null = null;
  let driftNote: string | null = null;
  if (rows < cfg.minRows) driftNote = `${rows} logged rows, fewer than --min-rows ${cfg.minRows}: drift not tested`;
  else {
    try {
      drift = await analyzeDrift(cfg.reference, liveSource(log, w, cfg.reference, cfg.drift.predictionColumn), cfg.drift);
    } catch (err) {
      // Data the tests cannot take (a column with one value, say) spoils one window, not the monitor.
      if (!(err instanceof MlxError)) throw err;
      driftNote = err.message;
    }
  }
  // Validated beside drift, on the same window (even below --min-rows: one bad row is worth saying).
  let validation: WindowValidation | null = null;
  let validationNote: string | null = null;
  if (cfg.validate && rows > 0)
    try {
      validation = await cfg.validate(log, w);
    } catch (err) {
      // As for drift: data the schema cannot be checked on spoils one window, not the monitor.
      if (!(err instanceof MlxError)) throw err;
      validationNote = err.message;
    }
  const scores = scoreLabeled(log.labeled(w));
  const judged = scoreAlerts(scores, cfg);
  const reasons: string[] = [];
  if (drift?.dataset_drift)
    reasons.push(`dataset drift: ${drift.drifted_columns} of ${drift.number_of_columns} columns (${(drift.drift_share * 100).toFixed(0)}%)`);
  if (drift?.prediction?.drift) reasons.push(`prediction drift (${drift.prediction.column})`);
  if (validation && !validation.valid) reasons.push(`data validation: ${validation.errors} error expectation${validation.errors === 1 ? '' : 's'} failed`);
  reasons.push(...judged.reasons);
  const verdict: Verdict = reasons.length ? 'alert' : drift || validation || judged.judged ? 'clean' : 'no-data';
  return {
    check,
    window: { since: w.since, until: w.until },
    rows,
    drift,
    driftNote,
    validation,
    validationNote,
    scores,
    unknownFeedback: log.unknownFeedback(w.since, w.until),
    verdict,
    reasons,
    triggered: false,
  };
}

/** A check as metrics of the monitoring run, at the given step. */
export function checkMetrics(r: CheckResult, step: number, timestamp: number): Metric[] {
  const m = (key: string, value: number): Metric => ({ key, value, step, timestamp });
  const out: Metric[] = [
    m('rows', r.rows),
    m('unknown_feedback', r.unknownFeedback),
    m('alert', r.verdict === 'alert' ? 1 : 0),
    m('triggered', r.triggered ? 1 : 0),
    m('labeled', r.scores.all.labeled),
  ];
  if (r.drift) out.push(...driftMetrics(r.drift, step, timestamp));
  if (r.validation) out.push(...r.validation.metrics(step, timestamp));
  if (r.scores.all.accuracy !== null) out.push(m('accuracy', r.scores.all.accuracy));
  if (r.scores.all.mae !== null) out.push(m('mae', r.scores.all.mae));
  for (const v of r.scores.variants) {
    const k = keyOf(v.variant).replaceAll('/', '_');
    out.push(m(`labeled/${k}`, v.labeled));
    if (v.accuracy !== null) out.push(m(`accuracy/${k}`, v.accuracy));
    if (v.mae !== null) out.push(m(`mae/${k}`, v.mae));
  }
  return out;
}

/** A check as --json prints it (one JSON object per line) and as MLX_DRIFT_REPORT's `monitor` part. */
export function checkJson(r: CheckResult): Record<string, unknown> {
  return {
    check: r.check,
    window: { since: new Date(r.window.since).toISOString(), until: new Date(r.window.until).toISOString() },
    rows: r.rows,
    verdict: r.verdict,
    reasons: r.reasons,
    triggered: r.triggered,
    dataset_drift: r.drift ? r.drift.dataset_drift : null,
    drift_share: r.drift ? r.drift.drift_share : null,
    drift_note: r.driftNote,
    labeled: r.scores.all.labeled,
    accuracy: r.scores.all.accuracy,
    mae: r.scores.all.mae,
    variants: r.scores.variants,
    unknown_feedback: r.unknownFeedback,
    drift: r.drift ? reportJson(r.drift) : null,
    ...(r.validation || r.validationNote ? { validation: r.validation?.json ?? null, validation_note: r.validationNote } : {}),
  };
}
