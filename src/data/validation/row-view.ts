/**
 * One CSV/TSV row as byte ranges of the buffer it was read from (the byte reader reuses one view for
 * every row): a field becomes a JS string only when asked for, so numeric columns never make one.
 * Fields of quoted records (the rare ones) are copied unescaped into a scratch buffer first, so every
 * field is bytes of `buf` from `start(i)` to `end(i)`.
 */
export class RowView {
  buf: Buffer = Buffer.alloc(0);
  /** Field i spans offs[2i] (inclusive) to offs[2i+1] (exclusive) in buf. */
  offs: Int32Array = new Int32Array(128);
  count = 0;
  // Strings already made for this row (by the profile, reused by checks and expressions): a field's
  // string is valid while its stamp is the row's.
  private texts: string[] = [];
  private stamps = new Int32Array(64);
  private stamp = 0;
  private scratch = Buffer.alloc(4096);

  /** Starts the next row (its fields' strings made so far are forgotten). */
  next(buf: Buffer, count: number): void {
    this.buf = buf;
    this.count = count;
    if (++this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
    if (this.stamps.length < count) this.stamps = new Int32Array(count * 2);
  }

  /** Room for at least n offsets (2 per field), keeping those written. */
  grow(n: number): Int32Array {
    const offs = new Int32Array(Math.max(n, this.offs.length * 2));
    offs.set(this.offs);
    return (this.offs = offs);
  }

  /** A record's fields given as strings (a quoted record, unescaped by the text scanner): copied into the scratch buffer. */
  setStrings(fields: string[]): void {
    let bytes = 0;
    for (const f of fields) bytes += Buffer.byteLength(f);
    if (this.scratch.length < bytes) this.scratch = Buffer.alloc(bytes * 2);
    if (this.offs.length < fields.length * 2) this.grow(fields.length * 2);
    let at = 0;
    for (let i = 0; i < fields.length; i++) {
      this.offs[2 * i] = at;
      at += this.scratch.write(fields[i], at, 'utf8');
      this.offs[2 * i + 1] = at;
    }
    this.next(this.scratch, fields.length);
    for (let i = 0; i < fields.length; i++) this.remember(i, fields[i]);
  }

  start(i: number): number {
    return this.offs[2 * i];
  }

  end(i: number): number {
    return this.offs[2 * i + 1];
  }

  /** Field i as a string (made once per row). */
  text(i: number): string {
    if (this.stamps[i] === this.stamp) return this.texts[i];
    const s = this.buf.toString('utf8', this.offs[2 * i], this.offs[2 * i + 1]);
    this.remember(i, s);
    return s;
  }

  /** Field i's string, made elsewhere (an interned one), kept for the rest of the row. */
  remember(i: number, s: string): void {
    this.texts[i] = s;
    this.stamps[i] = this.stamp;
  }

  /** Every field as a string (for visitors that take arrays). */
  strings(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.text(i);
    return out;
  }

  /**
   * An integer field prints as written (no sign, leading zero or exponent to keep), checked on the bytes:
   * at most 15 characters starting 1-9 (after a minus), or "0".
   */
  printsAsWritten(i: number): boolean {
    const s = this.offs[2 * i];
    const n = this.offs[2 * i + 1] - s;
    const c = this.buf[s];
    const d = c === 45 ? this.buf[s + 1] : c;
    return n <= 15 && d >= 49 && d <= 57 ? true : n === 1 && c === 48;
  }
}

/** Cells read by a check: a byte row view, or an adapter over an array of values. */
export interface CellSource {
  text(i: number): string;
  printsAsWritten(i: number): boolean;
}

/** What a streaming table reader hands on: the column names (JSON lines add names as keys appear), then each row with its line. */
export interface TableVisitor {
  /** The names so far, in order; called again with a longer list when JSON lines bring new keys. */
  columns(names: string[]): void;
  /** CSV: the fields as text; JSON lines: the values (undefined for a key the line lacks), aligned with the names so far. */
  row(values: unknown[], line: number): void;
  /** CSV/TSV: the row as byte ranges (strings made only when asked for); when absent, `row` gets the fields as strings. */
  rowView?(row: RowView, line: number): void;
}

/** A byte range of a file cut at line boundaries (a segment read by one thread), and what it counts. */
export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
  /** Newlines in the range, set once it is read (the line numbers of the segments after it). */
  newlines: number;
}
