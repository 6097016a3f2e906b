import { requestIdTime } from '../../../core/ids.js';
import type { InferenceRecord } from '../../../inference-log/record.js';

// How logged rows travel: one LogRow per prediction, encoded as JSON bytes from the serving thread
// to the writer thread (LogRowEncoder / decodeLogRows), and keyed by requestKey in the table.

/**
 * One table row as the writer takes it, values in column order (JSON already made), so records can
 * be flattened on the serving thread and written on another: request_id, row_index, timestamp,
 * model, version, variant, shadow, route, latency_ms, columns (JSON), input (JSON), prediction (JSON).
 */
export type LogRow = [string, number, number, string, number | null, string, 0 | 1, string, number, string | null, string | null, string];

/**
 * The 53-bit key request ids are indexed by (exact matches also compare the id). For the
 * time-ordered ids serving makes (UUIDv7) it starts with the id's time, so rows logged one after
 * another land at the end of the index instead of on random pages (a third of the writer's work);
 * other ids (a client's own X-Request-Id) get a hash of two 32-bit FNV-1a variants.
 */
export function requestKey(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  const time = requestIdTime(id);
  if (time !== null) return time * 32 + ((b >>> 0) & 31);
  return (a >>> 0) * 2097152 + ((b >>> 0) & 0x1fffff);
}

let lastColumns: string[] = [];
let lastColumnsJson = '[]';

/** Column names as JSON; requests mostly repeat the previous request's names, so those are not serialized again. */
function columnsJson(columns: string[]): string {
  if (columns !== lastColumns && (columns.length !== lastColumns.length || columns.some((c, i) => c !== lastColumns[i]))) {
    lastColumnsJson = JSON.stringify(columns);
  }
  lastColumns = columns;
  return lastColumnsJson;
}

/** The table row of a record's i-th prediction (columnsJson: the record's column names as JSON, when it has input rows). */
function logRow(r: InferenceRecord, i: number, columns: string | null, predictions: InferenceRecord['predictions']): LogRow {
  const input = r.rows?.[i];
  return [
    // latency_ms is NOT NULL, and JSON (the writer thread's transport) turns NaN into null.
    r.requestId,
    i,
    r.timestamp,
    r.model,
    r.version,
    r.variant,
    r.shadow ? 1 : 0,
    r.route,
    Number.isFinite(r.latencyMs) ? r.latencyMs : 0,
    input ? columns : null,
    input ? JSON.stringify(input) : null,
    JSON.stringify(predictions[i]),
  ];
}

/** Appends a record's table rows to out: one per prediction, with the input row it answered. */
export function appendLogRows(r: InferenceRecord, out: LogRow[]): void {
  const columns = r.columns && r.rows ? columnsJson(r.columns) : null;
  const predictions = r.predictions;
  for (let i = 0; i < predictions.length; i++) out.push(logRow(r, i, columns, predictions));
}

/**
 * Table rows encoded as UTF-8 JSON arrays, each followed by a comma: how rows travel from the serving
 * thread to the writer. Bytes in one buffer, reused (postMessage copies them to the writer thread),
 * cost the serving thread's garbage collector nothing, where rows as arrays of strings held for a
 * batch would be promoted to the old generation, and a fresh buffer per batch would make V8 count
 * ever more external memory and run its old-generation marking for it.
 */
export interface EncodedRows {
  bytes: Uint8Array;
  rows: number;
}

/** Builds EncodedRows: appends rows, then take() hands over the bytes and starts anew. */
export class LogRowEncoder {
  private buf: Buffer;
  private used = 0;
  /** Where each row ends, so the oldest can be dropped when the writer falls behind. */
  private ends: Uint32Array;
  rows = 0;

  /**
   * initialBytes: the buffer's first size. keepBytes: the most it keeps between takes; the
   * buffer is reused (a new one per batch would make V8 count ever more external memory), but one
   * grown past this by a request of many rows is let go with its rows.
   */
  constructor(
    private readonly initialBytes = 64 * 1024,
    private readonly keepBytes = 4 * 1024 * 1024,
  ) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
    this.ends = new Uint32Array(1024);
  }

  /** Bytes of buffer held. */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Appends a record's rows from `start` up to (not including) `end`, and returns how many. Row by
   * row: a request of many rows never exists as all its rows' texts at once. Rows that cannot be
   * read (a prediction JSON cannot hold) throw and leave nothing of this call behind.
   */
  append(r: InferenceRecord, end = Infinity, start = 0): number {
    const predictions = r.predictions;
    const n = Math.min(predictions.length, end);
    if (n <= start) return 0;
    const columns = r.columns && r.rows ? columnsJson(r.columns) : null;
    const used = this.used;
    const rows = this.rows;
    try {
      for (let i = start; i < n; i++) {
        // JSON.stringify of each LogRow (native, and measured twice as fast as writing the JSON by hand).
        const text = JSON.stringify(logRow(r, i, columns, predictions));
        // UTF-8 takes at most 3 bytes per UTF-16 unit.
        if (this.used + text.length * 3 + 1 > this.buf.length) this.grow(text.length * 3 + 1);
        this.used += this.buf.write(text, this.used);
        this.buf[this.used++] = 0x2c;
        if (this.rows === this.ends.length) {
          const ends = new Uint32Array(this.ends.length * 2);
          ends.set(this.ends);
          this.ends = ends;
        }
        this.ends[this.rows++] = this.used;
      }
    } catch (err) {
      this.used = used;
      this.rows = rows;
      throw err;
    }
    return n - start;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + need));
    this.buf.copy(next, 0, 0, this.used);
    this.buf = next;
  }

  /**
   * The rows appended since the last take (null when there are none). The bytes are a view of the
   * encoder's buffer, valid until the next append: hand them on (postMessage copies) or copy them.
   * A buffer grown past keepBytes (a request of many rows) goes with them, so the encoder does
   * not hold on to a large request's memory for the rest of the server's life.
   */
  take(): EncodedRows | null {
    if (this.rows === 0) return null;
    const taken = { bytes: this.buf.subarray(0, this.used), rows: this.rows };
    if (this.buf.length > this.keepBytes) {
      this.buf = Buffer.allocUnsafeSlow(this.initialBytes);
      this.ends = new Uint32Array(1024);
    }
    this.used = 0;
    this.rows = 0;
    return taken;
  }

  /** Forgets the oldest n rows appended since the last take (at most all of them); returns how many. */
  dropOldest(n: number): number {
    const k = Math.min(n, this.rows);
    if (k <= 0) return 0;
    const cut = this.ends[k - 1];
    this.buf.copy(this.buf, 0, cut, this.used);
    this.used -= cut;
    for (let i = k; i < this.rows; i++) this.ends[i - k] = this.ends[i] - cut;
    this.rows -= k;
    return k;
  }
}

/** The rows of EncodedRows (or of several, concatenated). */
export function decodeLogRows(bytes: Uint8Array): LogRow[] {
  if (bytes.length === 0) return [];
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  return JSON.parse(`[${text.slice(0, -1)}]`) as LogRow[];
}

/** Flattens records into table rows. */
export function toLogRows(records: InferenceRecord[], out: LogRow[] = []): LogRow[] {
  for (const r of records) appendLogRows(r, out);
  return out;
}
