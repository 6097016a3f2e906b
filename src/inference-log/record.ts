/**
 * The seam between serving and inference logging: the routes of `mlx serve` report every
 * answered prediction request as an InferenceRecord to an InferenceSink (when --log-inputs is
 * on); the sink samples, buffers and writes them to the store off the request path.
 */
export interface InferenceRecord {
  /** The X-Mlx-Request-Id the response carried. */
  requestId: string;
  /** Epoch milliseconds when the request arrived. */
  timestamp: number;
  /** '/invocations', '/predict', '/v2/models/:name/infer'. */
  route: string;
  model: string;
  version: number | null;
  /** The variant that answered: named after its URI (`clf@champion`, `clf/3`, a file's base name) or by NAME: on the command line. */
  variant: string;
  /** True for a shadow's answer: recorded, never returned to the client. */
  shadow: boolean;
  latencyMs: number;
  /**
   * Names of the input columns: the request's own (dataframe_split / dataframe_records
   * columns), else the model input's name with an index (`input_0`, `input_1`, …), so
   * `mlx drift` can match them to a reference CSV's header. Null when the input is not rows of
   * numbers (images).
   */
  columns: string[] | null;
  /** The input rows (null for images). */
  rows: number[][] | null;
  /** One per row: the predicted label for classifiers, else the output row. */
  predictions: (string | number | number[])[];
}

export interface FeedbackItem {
  request_id: string;
  /** The true label (classification) or value (regression). */
  label: string | number;
}

export interface FeedbackResult {
  /** Items joined to a logged prediction. */
  matched: number;
  /** Request ids no logged prediction has (counted and reported, never silently dropped). */
  unknown: string[];
  /** Items for requests the sample rate kept out of the log: neither matched nor unknown (absent when none). */
  unsampled?: number;
}

/** What an inference log's sink counts, for /metrics. */
export interface InferenceLogStats {
  /** Records taken (sampled in). */
  recorded: number;
  /** Records the sample rate left out. */
  sampledOut: number;
  /** Rows written to the store. */
  writtenRows: number;
  /** Rows (one per prediction: records, for one-row requests) dropped because the buffer was full or a write failed. */
  dropped: number;
  /** Rows retention deleted. */
  deletedRows: number;
  /** Writes put off because another process held the store's write lock (writing on this thread only). */
  busy: number;
  /** Rows recorded and not yet committed. */
  bufferedRows: number;
  /** Bytes held for rows not yet handed to the writer (the encoder's buffer, and rows a busy store sent back). */
  bufferedBytes: number;
}

/** Where serving sends records and feedback; opened by an InferenceLog (InferenceLog.openSink). */
export interface InferenceSink {
  /** Must return at once: sampling and buffering happen here, writing happens later. */
  record(r: InferenceRecord): void;
  feedback(items: FeedbackItem[]): Promise<FeedbackResult>;
  /** Writes what is buffered and stops. */
  close(): Promise<void>;
  /** Its counters, read at each scrape of /metrics (absent: the sink counts nothing there). */
  stats?(): InferenceLogStats;
}
