import type { FeedbackItem, FeedbackResult, InferenceLogStats, InferenceSink } from './record.js';

/**
 * The inference log: what `mlx serve --log-inputs` recorded of the traffic it answered, and the
 * ground truth fed back for it. Serving writes through a sink (openSink); `mlx drift --current
 * serving:MODEL` and `mlx monitor` read windows of it; `mlx feedback` joins labels to it. A store
 * that keeps one exposes it as Store.inferenceLog (a local store folder: store/sqlite/inference-log/).
 *
 * Reads are synchronous, as the one implementation answers in process: drift streams a window of
 * up to millions of rows one at a time, and an await per row would cost more than reading it.
 */
export interface InferenceLog {
  /** The logged rows of a window, oldest first, streamed. */
  rows(w: LogWindow): Iterable<LoggedRow>;
  /** How many rows a window holds. */
  countWindow(w: LogWindow): number;
  /** The variants (and whether each is a shadow) logged for the model in [since, until). */
  variants(model: string, since: number, until: number): LoggedVariant[];
  /** Predictions of the model (shadows included) whose label arrived in the window, with that label. */
  labeled(w: LogWindow): LabeledRow[];
  /** Feedback items in [since, until) whose request id no logged prediction had. */
  unknownFeedback(since: number, until: number): number;
  /** Joins labels to logged predictions by request id, all in one transaction; unknown ids are kept (for monitors to count) and returned. */
  feedback(items: FeedbackItem[]): FeedbackResult;
  /** Opens the sink `mlx serve --log-inputs` reports to (a store not created yet is created by it). */
  openSink(opts: SinkOptions): Promise<InferenceLogSink>;
}

/** How a sink samples and keeps what it logs. */
export interface SinkOptions {
  /** Share of requests logged, from 0 to 1; decided per request id, so a request's shadow and primary answers go together. */
  sampleRate: number;
  /** Rows kept per model; the oldest go first. */
  maxRows: number;
  /** Where the sink says what went wrong (rows dropped, a write failed), a line at a time. */
  log?: (line: string) => void;
}

/** An inference log's sink: serving's InferenceSink, with its counters (for /metrics) and an explicit flush. */
export interface InferenceLogSink extends InferenceSink {
  stats(): InferenceLogStats;
  /** Writes everything buffered now (waiting out a busy store). */
  flush(): Promise<void>;
}

/** Which logged rows a query reads: one model, a time window [since, until), optionally one variant or version. */
export interface LogWindow {
  model: string;
  since: number;
  until: number;
  /** One variant (shadow or not); without it, every answer the clients got (shadows left out). */
  variant?: string;
  version?: number;
}

/** One logged input row as drift reads it: the names of its columns, its values and the prediction (JSON text). */
export interface LoggedRow {
  columns: string[] | null;
  input: string | null;
  prediction: string;
}

/** A variant logged in a window, with its number of rows. */
export interface LoggedVariant {
  variant: string;
  shadow: boolean;
  rows: number;
}

/** A logged prediction with the label fed back for its request. */
export interface LabeledRow {
  variant: string;
  shadow: boolean;
  prediction: unknown;
  label: string | number;
}
