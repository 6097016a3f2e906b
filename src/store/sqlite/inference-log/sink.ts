import { invalid } from '../../../core/errors.js';
import { toFeedbackItem } from '../../../inference-log/feedback-items.js';
import type { InferenceLogSink, SinkOptions } from '../../../inference-log/inference-log.js';
import type { FeedbackItem, FeedbackResult, InferenceLogStats, InferenceRecord } from '../../../inference-log/record.js';
import { checkLogOptions, isSampled } from '../../../inference-log/sampling.js';
import { LogRowEncoder, type EncodedRows } from './log-rows.js';
import type { LogWriter, WriteTarget } from './writer.js';

export interface BufferedSinkOptions extends SinkOptions {
  /** Tuning, for tests: how often the buffer goes to the writer, how many rows send it early, the most rows held. */
  flushMs?: number;
  flushRows?: number;
  maxBufferedRows?: number;
  /** The compiled modules the writer thread loads (default: next to this module; null: write on this thread). */
  writerModules?: URL | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rows of a big record encoded per turn of the event loop (about 8 ms of work). */
const SLICE_ROWS = 2000;

/**
 * Opens the sink `mlx serve --log-inputs` reports to, writing to a local store's inference log:
 * record() samples the record and encodes it into rows at once; every 50 ms (or 1,000 rows) the
 * rows go to a writer thread, which commits them in batches. Rows the
 * writer has not committed past a bound are dropped, oldest first, and counted; retention keeps
 * at most maxRows per model (InferenceLogStore).
 */
export async function openSink(target: WriteTarget, opts: BufferedSinkOptions): Promise<InferenceLogSink> {
  checkLogOptions(opts);
  const { openWriter } = await import('./writer.js');
  return new BufferedLog(await (opts.writerModules !== undefined ? openWriter(target, opts.writerModules) : openWriter(target)), opts);
}

class BufferedLog implements InferenceLogSink {
  /** Rows waiting for the writer, as bytes: those of this interval, and any a busy store sent back. */
  private readonly encoder = new LogRowEncoder();
  private queue: EncodedRows[] = [];
  /** Rows handed to the writer and not yet committed. */
  private unacked = 0;
  private readonly inflight = new Set<Promise<boolean>>();
  private counters = { recorded: 0, sampledOut: 0, writtenRows: 0, dropped: 0, deletedRows: 0, busy: 0 };
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private lastWarning = 0;
  private readonly flushRows: number;
  private readonly maxBufferedRows: number;
  /** Big records still being encoded, a slice per turn: the next row to encode and where to stop. */
  private backlog: { r: InferenceRecord; next: number; end: number }[] = [];
  private draining = false;

  constructor(
    private readonly writer: LogWriter,
    private readonly opts: BufferedSinkOptions,
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
    // A record of more rows than the buffer may hold keeps its first rows; the rest are dropped before they are encoded.
    let offered: number;
    try {
      offered = r.predictions.length;
    } catch (err) {
      this.unreadable(r, err, 1);
      return;
    }
    const end = Math.min(offered, this.maxBufferedRows);
    if (end < offered) {
      this.counters.dropped += offered - end;
      this.warn(`inference log: request ${r.requestId} has ${offered} rows; logging its first ${end} (the buffer holds ${this.maxBufferedRows} rows)`);
    }
    // A request of many rows is encoded a slice per turn of the event loop: at about 4 µs a row, all
    // of 100,000 at once would keep /health and every other request waiting for 0.4 s.
    if (end > SLICE_ROWS) {
      this.backlog.push({ r, next: 0, end });
      this.drainSoon();
      return;
    }
    // Encoded at once (about 3 µs a row): the record, and the request it holds, die young, and the
    // rows wait as bytes the garbage collector never scans. Deferring this to a setImmediate after the
    // turn's responses cost twice as much CPU per request in all (measured: the loop then spins through
    // its check phase on every turn).
    if (!this.encode(r, 0, end)) return;
    if (this.buffered() + this.unacked > this.maxBufferedRows) this.dropOldest();
    if (this.encoder.rows >= this.flushRows) void this.post(false);
  }

  /** Encodes rows [start, end) of a record; one that cannot be read is lost alone (counted, said), and serving goes on. */
  private encode(r: InferenceRecord, start: number, end: number): boolean {
    try {
      this.encoder.append(r, end, start);
      return true;
    } catch (err) {
      this.unreadable(r, err, start === 0 ? 1 : end - start);
      return false;
    }
  }

  private unreadable(r: InferenceRecord, err: unknown, rows: number): void {
    this.counters.dropped += rows;
    this.warn(`inference log: could not log request ${r.requestId}: ${(err as Error)?.message ?? err}`);
  }

  private drainSoon(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => this.drain(SLICE_ROWS));
  }

  /** Encodes up to `budget` rows of the big records waiting, oldest first, then hands full batches to the writer. */
  private drain(budget: number): void {
    this.draining = false;
    while (budget > 0 && this.backlog.length) {
      const b = this.backlog[0];
      const to = Math.min(b.end, b.next + budget);
      if (this.encode(b.r, b.next, to)) {
        budget -= to - b.next;
        b.next = to;
        if (b.next < b.end) continue;
      } else if (b.next > 0) this.counters.dropped += b.end - to; // (a record unreadable from its first row counts once)
      this.backlog.shift();
    }
    if (this.buffered() + this.unacked > this.maxBufferedRows) this.dropOldest();
    if (this.encoder.rows >= this.flushRows) void this.post(false);
    if (this.backlog.length) this.drainSoon();
  }

  /** Rows not yet handed to the writer (those of big records still to encode included). */
  private buffered(): number {
    let n = this.encoder.rows;
    for (const q of this.queue) n += q.rows;
    for (const b of this.backlog) n += b.end - b.next;
    return n;
  }

  /** Drops rows, oldest first, until what is held fits the bound. */
  private dropOldest(): void {
    let excess = this.buffered() + this.unacked - this.maxBufferedRows;
    const before = this.counters.dropped;
    while (excess > 0 && this.queue.length) {
      const q = this.queue.shift()!;
      this.counters.dropped += q.rows;
      excess -= q.rows;
    }
    if (excess > 0) {
      const n = this.encoder.dropOldest(excess);
      this.counters.dropped += n;
      excess -= n;
    }
    // Then rows of big records not encoded yet, from the front of the oldest.
    while (excess > 0 && this.backlog.length) {
      const b = this.backlog[0];
      const n = Math.min(excess, b.end - b.next);
      b.next += n;
      this.counters.dropped += n;
      excess -= n;
      if (b.next >= b.end) this.backlog.shift();
    }
    if (this.counters.dropped > before)
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
    if (this.encoder.rows === 0 && this.queue.length === 0) return Promise.resolve(true);
    if (this.unacked >= this.maxBufferedRows) return Promise.resolve(false);
    const current = this.encoder.take();
    // A thread writer copies the bytes now (postMessage); rows kept for a retry need a copy of their own.
    if (current) this.queue.push(this.writer.threaded ? current : { bytes: Uint8Array.from(current.bytes), rows: current.rows });
    const batch = this.queue.length === 1 ? this.queue[0] : concatRows(this.queue);
    this.queue = [];
    const n = batch.rows;
    // Only a local writer can answer busy (a thread has taken the bytes); its rows go back in front.
    const p = this.writer.write(batch, this.opts.maxRows, wait).then(
      (result) => {
        this.unacked -= n;
        if (!result) {
          this.counters.busy++;
          this.queue.unshift(batch);
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
    this.unacked += n;
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  async flush(): Promise<void> {
    for (let attempt = 0; this.buffered() || this.inflight.size;) {
      // Everything, now: a flush is asked for before feedback is joined and at close.
      this.drain(Infinity);
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
    let result: FeedbackResult | null;
    for (let attempt = 1; !(result = await this.writer.feedback(logged, attempt > 100)); attempt++) await sleep(Math.min(5 * attempt, 100));
    const unsampled = checked.length - logged.length;
    return unsampled ? { ...result, unsampled } : result;
  }

  stats(): InferenceLogStats {
    return {
      ...this.counters,
      bufferedRows: this.buffered() + this.unacked,
      bufferedBytes: this.encoder.capacity + this.queue.reduce((n, q) => n + q.bytes.length, 0),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.writer.close();
  }
}

/** Several EncodedRows as one. */
function concatRows(parts: EncodedRows[]): EncodedRows {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.bytes.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p.bytes, at);
    at += p.bytes.length;
  }
  return { bytes, rows: parts.reduce((n, p) => n + p.rows, 0) };
}
