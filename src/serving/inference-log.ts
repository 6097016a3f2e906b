import { invalid, MlxError } from '../core/errors.js';
import { appendLogRows, type LogRow } from '../store/sqlite/inference-log-store.js';
import type { Store } from '../store/store.js';
import { toFeedbackItem } from './feedback-items.js';
import type { FeedbackItem, FeedbackResult, InferenceRecord, InferenceSink } from './inference-record.js';
import type { LogWriter } from './inference-log-writer.js';

export interface InferenceLogOptions {
  /** Share of requests logged, from 0 to 1; decided per request id, so a request's shadow and primary answers go together. */
  sampleRate: number;
  /** Rows kept per model; the oldest go first. */
  maxRows: number;
  log?: (line: string) => void;
  /** Tuning, for tests: how often the buffer goes to the writer, how many rows send it early, the most rows held. */
  flushMs?: number;
  flushRows?: number;
  maxBufferedRows?: number;
  /** The compiled store modules the writer thread loads (default: next to this module; null: write on this thread). */
  writerModules?: URL | null;
}

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
}

/** The store-backed inference sink, with its counters (for /metrics) and an explicit flush. */
export interface InferenceLog extends InferenceSink {
  stats(): InferenceLogStats;
  /** Writes everything buffered now (waiting out a busy store). */
  flush(): Promise<void>;
}

/** FNV-1a of the request id as a fraction in [0, 1): the same id always gets the same draw. */
export function sampleDraw(requestId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) h = Math.imul(h ^ requestId.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

/** Whether a request is logged at this sample rate. */
export function isSampled(requestId: string, rate: number): boolean {
  return rate >= 1 || sampleDraw(requestId) < rate;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Checks --sample-rate and --log-max-rows as serving passes them. */
export function checkLogOptions(o: Pick<InferenceLogOptions, 'sampleRate' | 'maxRows'>): void {
  if (!(o.sampleRate >= 0 && o.sampleRate <= 1)) throw new MlxError('USAGE', `--sample-rate ${o.sampleRate} must be a number from 0 to 1`);
  if (!Number.isSafeInteger(o.maxRows) || o.maxRows < 1) throw new MlxError('USAGE', `--log-max-rows ${o.maxRows} must be a whole number of at least 1`);
}

/**
 * Opens the inference log of a local store as the sink `mlx serve --log-inputs` reports to:
 * record() samples and queues the record; once the turn's responses are out it becomes rows,
 * and every 50 ms the rows go to a writer thread, which commits them in batches. Rows the
 * writer has not committed past a bound are dropped, oldest first, and counted; retention keeps
 * at most maxRows per model (InferenceLogStore).
 */
export async function openInferenceLog(store: Store, opts: InferenceLogOptions): Promise<InferenceLog> {
  checkLogOptions(opts);
  const { openWriter } = await import('./inference-log-writer.js');
  return new BufferedLog(await (opts.writerModules !== undefined ? openWriter(store, opts.writerModules) : openWriter(store)), opts);
}

class BufferedLog implements InferenceLog {
  /** Records of the current turn of the event loop, flattened into rows by take(). */
  private incoming: InferenceRecord[] = [];
  /** Rows waiting for the writer. */
  private rows: LogRow[] = [];
  /** Rows handed to the writer and not yet committed. */
  private unacked = 0;
  private readonly inflight = new Set<Promise<boolean>>();
  private counters = { recorded: 0, sampledOut: 0, writtenRows: 0, dropped: 0, deletedRows: 0, busy: 0 };
  private readonly timer: NodeJS.Timeout;
  private soon = false;
  private closed = false;
  private lastWarning = 0;
  private readonly flushRows: number;
  private readonly maxBufferedRows: number;

  constructor(
    private readonly writer: LogWriter,
    private readonly opts: InferenceLogOptions,
  ) {
    this.flushRows = opts.flushRows ?? 1000;
    this.maxBufferedRows = opts.maxBufferedRows ?? 100_000;
    // Short: rows held longer than a couple of young-generation collections get promoted, and old-space GC is what logging would cost.
    this.timer = setInterval(() => void this.post(false), opts.flushMs ?? 50);
    this.timer.unref();
  }

  record(r: InferenceRecord): void {
    if (this.closed) return;
    if (!isSampled(r.requestId, this.opts.sampleRate)) {
      this.counters.sampledOut++;
      return;
    }
    this.counters.recorded++;
    this.incoming.push(r);
    if (!this.soon) {
      this.soon = true;
      setImmediate(this.take);
    }
  }

  /**
   * Flattens the records of this turn of the event loop into rows, after their responses went
   * out (setImmediate runs once I/O callbacks are done): the work is off the answer's path, and
   * the records (with the requests they hold) still die young.
   */
  private readonly take = (): void => {
    this.soon = false;
    const records = this.incoming;
    this.incoming = [];
    for (const r of records) {
      const before = this.rows.length;
      try {
        appendLogRows(r, this.rows);
      } catch (err) {
        // A record that cannot be read (its predictions, say) is lost alone, and serving goes on.
        this.rows.length = before;
        this.counters.dropped++;
        this.warn(`inference log: could not log request ${r.requestId}: ${(err as Error)?.message ?? err}`);
      }
    }
    if (this.rows.length + this.unacked > this.maxBufferedRows) this.dropOldest();
    if (this.rows.length >= this.flushRows) void this.post(false);
  };

  private dropOldest(): void {
    const n = Math.min(this.rows.length - 1, this.rows.length + this.unacked - this.maxBufferedRows);
    if (n <= 0) return;
    this.rows.splice(0, n);
    this.counters.dropped += n;
    this.warn(`inference log: the store is not keeping up; dropped ${this.counters.dropped} rows so far (buffer full at ${this.maxBufferedRows} rows)`);
  }

  private warn(line: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.opts.log?.(line);
  }

  /**
   * Hands the buffered rows to the writer. A thread writer takes them at once (several batches
   * may be in flight); a local one writes them now, or answers busy, and they go back in front.
   */
  private post(wait: boolean): Promise<boolean> {
    if (this.rows.length === 0) return Promise.resolve(true);
    if (this.unacked >= this.maxBufferedRows) return Promise.resolve(false);
    const n = this.rows.length;
    // Only a local writer can answer busy; a thread has copied the rows, and holding on to them
    // until it commits would get them promoted to the old generation (the GC cost to avoid).
    const retry = this.writer.threaded ? null : this.rows;
    const p = this.writer.write(this.rows, this.opts.maxRows, wait).then(
      (result) => {
        this.unacked -= n;
        if (!result) {
          this.counters.busy++;
          this.rows = retry!.concat(this.rows);
          return false;
        }
        this.counters.writtenRows += result.rows;
        this.counters.deletedRows += result.deleted;
        return true;
      },
      (err: Error) => {
        // A broken write (disk full, store removed) must not take serving down nor retry forever.
        this.unacked -= n;
        this.counters.dropped += n;
        this.warn(`inference log: could not write ${n} rows: ${err.message}`);
        return true;
      },
    );
    this.rows = [];
    this.unacked += n;
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  async flush(): Promise<void> {
    if (this.incoming.length) this.take();
    for (let attempt = 0; this.rows.length || this.inflight.size; ) {
      const posted = await this.post(attempt > 100);
      await Promise.all(this.inflight);
      // Busy: yield to the event loop and try again, waiting at the end rather than failing.
      if (!posted) await sleep(Math.min(5 * ++attempt, 100));
    }
    await this.writer.sync();
  }

  async feedback(items: FeedbackItem[]): Promise<FeedbackResult> {
    const checked = items.map((it, i) => toFeedbackItem(it, `feedback item ${i}`));
    if (checked.length === 0) throw invalid('no feedback items: send {"request_id": "...", "label": ...} or a list of them');
    const logged = checked.filter((it) => isSampled(it.request_id, this.opts.sampleRate));
    // The predictions these labels are for may still be in the buffer.
    await this.flush();
    let result: FeedbackResult | null = null;
    for (let attempt = 1; !(result = await this.writer.feedback(logged, attempt > 100)); attempt++) await sleep(Math.min(5 * attempt, 100));
    const unsampled = checked.length - logged.length;
    return unsampled ? { ...result, unsampled } : result;
  }

  stats(): InferenceLogStats {
    // A record not yet flattened counts as one row: reading its predictions here would run serving's code at scrape time.
    return { ...this.counters, bufferedRows: this.incoming.length + this.rows.length + this.unacked };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.writer.close();
  }
}
