import type { Context } from 'hono';
import { invalid } from '../../core/errors.js';
import { violationText, type RowGuard } from '../../data/validation/row-guard.js';
import type { InferenceRecord } from '../../inference-log/record.js';
import type { Predictor } from '../../serving/predictor.js';
import type { Classification } from '../../serving/postprocess.js';
import { agreement, type Prediction } from '../../serving/variant-stats.js';
import { MAX_SHADOW_PENDING, type Variant } from '../../serving/variant-set.js';
import { variantName } from '../../serving/router.js';
import { routeLabel } from './route-label.js';
import { elapsedMs, requestInfo, type RequestInfo } from './request-context.js';
import type { ServingState } from './state.js';

/** One prediction request, as a route hands it over: how to run it on any predictor, and what it was. */
export interface Job<T> {
  /** Runs the request on a predictor: the one that answers, or a shadow's. */
  run(p: Predictor): Promise<T>;
  /** One prediction per row of a result (label for classifiers, else the number or output row). */
  predictions(p: Predictor, result: T): Prediction[];
  /** Input column names, computed only if the inference log reads them (null: the input is not rows of numbers). */
  columns: (() => string[] | null) | null;
  /** The input rows, computed only if the inference log reads them. */
  rows: (() => number[][]) | null;
  /** The input rows as sent (JSON values, before they became numbers), for the --schema check; unset: `rows`. */
  cells?: () => unknown[][];
}

/** Per-row predictions from Predictor.interpret's answers. */
export function rowPredictions(items: (Classification | number[])[]): Prediction[] {
  return items.map((x) => (Array.isArray(x) ? (x.length === 1 ? x[0] : x) : x.label));
}

/** Rows of JSON values as numbers (what the log keeps). */
export function numberRows(rows: unknown[][]): number[][] {
  return rows.map((r) => r.map((v) => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number(v))));
}

/** Column names for rows without their own: the model's feature names, else `${input}_${i}`. */
export function defaultColumns(p: Predictor, width: number): string[] {
  const names = p.model.featureNames;
  if (names && names.length === width) return names;
  const input = p.model.signature.inputs[0]?.name ?? 'input';
  return Array.from({ length: width }, (_, i) => `${input}_${i}`);
}

/**
 * Answers a request with the predictor it holds. Then, off the answer's path: hands the record to the
 * inference log (when there is one) and mirrors the request to the shadows, whose answers are logged
 * and compared with this one but never returned, never waited for, and never fail the request.
 */
export async function answer<T>(c: Context, state: ServingState, p: Predictor, job: Job<T>): Promise<T> {
  if (state.schema) checkSchema(state, state.schema, job);
  const result = await job.run(p);
  const sink = state.sink;
  const shadows = state.variants?.shadows;
  if (!sink && !shadows?.length) return result;
  const info = requestInfo(c);
  const route = routeLabel(c.req.path);
  let ours: Prediction[] | undefined;
  const predictions = () => (ours ??= job.predictions(p, result));
  const variant = info.variant?.name ?? state.variants?.primary.name ?? variantName(state.modelName);
  if (sink) record(state, info, route, job, { p, variant, shadow: false, latencyMs: elapsedMs(info), predictions });
  // After the answer is on its way: the shadows' parsing and runs must not delay it.
  if (shadows?.length) setImmediate(() => shadows.forEach((s) => mirror(state, info, route, job, s, predictions)));
  return result;
}

interface Answered {
  p: Predictor;
  variant: string;
  shadow: boolean;
  latencyMs: number;
  predictions: () => Prediction[];
}

/**
 * A record that reads the request's columns, rows and predictions only when the sink asks (a sink
 * that samples it out never pays for them). A class, with its lazy fields as getters on the
 * prototype: an object literal with getters closing over each request makes V8 build new hidden
 * classes per request, in the old generation, which cost more garbage collection than the whole
 * inference log (measured: 1.9 s of GC in 10 s at 15,000 requests/s, against 0.4 s without).
 */
class AnsweredRecord<T> implements InferenceRecord {
  readonly requestId: string;
  readonly timestamp: number;
  readonly model: string;
  readonly version: number | null;
  readonly variant: string;
  readonly shadow: boolean;
  readonly latencyMs: number;
  private rowsRead: number[][] | null | undefined = undefined;
  private columnsRead: string[] | null | undefined = undefined;

  constructor(
    info: RequestInfo,
    readonly route: string,
    private readonly job: Job<T>,
    private readonly a: Answered,
  ) {
    this.requestId = info.id;
    this.timestamp = info.arrived;
    this.model = a.p.model.name;
    this.version = a.p.model.version;
    this.variant = a.variant;
    this.shadow = a.shadow;
    this.latencyMs = Math.round(a.latencyMs * 1000) / 1000;
  }

  get columns(): string[] | null {
    if (this.columnsRead === undefined) this.columnsRead = this.job.columns ? this.job.columns() : null;
    return this.columnsRead;
  }

  get rows(): number[][] | null {
    if (this.rowsRead === undefined) this.rowsRead = this.job.rows ? this.job.rows() : null;
    return this.rowsRead;
  }

  get predictions(): Prediction[] {
    return this.a.predictions();
  }
}

function record<T>(state: ServingState, info: RequestInfo, route: string, job: Job<T>, a: Answered): void {
  try {
    state.sink?.record(new AnsweredRecord(info, route, job, a));
  } catch (err) {
    state.log?.(`inference log: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
}

function mirror<T>(state: ServingState, info: RequestInfo, route: string, job: Job<T>, s: Variant, primary: () => Prediction[]): void {
  const m = state.metrics;
  const sp = s.predictor;
  if (!sp) return;
  if (s.pending >= MAX_SHADOW_PENDING) {
    s.skipped++;
    m.shadowRequests.inc({ variant: s.name, result: 'skipped' });
    return;
  }
  s.pending++;
  sp.acquire();
  const started = process.hrtime.bigint();
  Promise.resolve()
    .then(() => job.run(sp))
    .then(
      (result) => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        s.latency.record(ms);
        s.answered++;
        m.shadowRequests.inc({ variant: s.name, result: 'answered' });
        const theirs = job.predictions(sp, result);
        const { compared, agreed } = agreement(primary(), theirs);
        s.compared += compared;
        s.agreed += agreed;
        if (agreed) m.shadowRows.inc({ variant: s.name, agreed: 'true' }, agreed);
        if (compared > agreed) m.shadowRows.inc({ variant: s.name, agreed: 'false' }, compared - agreed);
        if (state.sink) record(state, info, route, job, { p: sp, variant: s.name, shadow: true, latencyMs: ms, predictions: () => theirs });
      },
      (err: unknown) => {
        s.failed++;
        m.shadowRequests.inc({ variant: s.name, result: 'failed' });
        if (s.failed === 1)
          state.log?.(
            `shadow ${s.name}: a mirrored request failed: ${String((err as Error)?.message ?? err).split('\n')[0]}; further failures are counted in /variants and mlx_shadow_requests_total, not logged`,
          );
      },
    )
    .finally(() => {
      s.pending--;
      sp.release();
    });
}

/**
 * The --schema check, before the model runs: every violation is counted in /metrics; the first
 * error-severity one refuses the request (400 naming the row, the column and the rule); warnings pass.
 */
function checkSchema<T>(state: ServingState, schema: { guard: RowGuard; name: string }, job: Job<T>): void {
  const cells = job.cells ?? job.rows;
  if (!cells || !job.columns) return;
  const columns = job.columns();
  if (!columns) return;
  const { counts, firstError } = schema.guard.check(columns, cells(), 1);
  for (const c of counts.values()) state.metrics.schemaViolations.inc({ column: c.column, rule: c.rule, severity: c.severity }, c.n);
  if (firstError) throw invalid(violationText(firstError, schema.name));
}
