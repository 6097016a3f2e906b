import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import { checkHeader, checkWidth, CsvScanner, CsvSyntaxError, MAX_RECORD_CHARS } from '../../core/csv-records.js';
import { invalid } from '../../core/errors.js';
import { RowView, type ByteRange, type TableVisitor } from './row-view.js';

// CSV/TSV rows read from the file's bytes: each chunk is scanned once for delimiters and newlines, field
// offsets go into one reused Int32Array, and the visitor gets a RowView (strings only for fields it asks
// for). It reads exactly as core/csv-records.ts over the decoded text (the reader it replaces for data
// files): the same fields, lines, blank lines skipped, and the same errors at the same lines, UTF-8
// errors included. Records with quotes are rare: their bytes are decoded and split by CsvScanner itself.

const QUOTE = 34;
const NL = 10;
const CR = 13;

/** The length of the UTF-8 sequence a lead byte starts (0: not a lead byte). */
const seqLen = (b: number) => (b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0);

/** The bytes after a lead byte can still become a character (what a streaming decoder holds rather than refuses). */
function validPrefix(b: Buffer): boolean {
  const lead = b[0];
  if (seqLen(lead) <= b.length) return false;
  for (let j = 1; j < b.length; j++) {
    const c = b[j];
    const lo = j === 1 && lead === 0xe0 ? 0xa0 : j === 1 && lead === 0xf0 ? 0x90 : 0x80;
    const hi = j === 1 && lead === 0xed ? 0x9f : j === 1 && lead === 0xf4 ? 0x8f : 0xbf;
    if (c < lo || c > hi) return false;
  }
  return true;
}

/** The 1-based line of the first byte of buf that does not start valid UTF-8, counting lines before buf (as the text reader says it). */
export function badUtf8Line(buf: Buffer, linesBefore: number): number {
  let line = linesBefore;
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    if (b === 0x0a) line++;
    const len = seqLen(b);
    if (len === 0) return line;
    for (let j = 1; j < len; j++) if (i + j < buf.length && (buf[i + j] & 0xc0) !== 0x80) return line;
    i += len;
  }
  return line;
}

export class ByteTableReader {
  private readonly d: number;
  private readonly view = new RowView();
  /** The line the next record starts on. */
  private line = 1;
  private width = -1;
  rows = 0;
  /** Bytes of a character cut by the chunk's end (validated so far as a prefix). */
  private carry: Buffer | null = null;
  /** 1 + the newlines of the chunks read (where UTF-8 errors are counted from, as the text reader does). */
  private lines = 1;
  private readonly rowView: ((v: RowView, line: number) => void) | null;

  constructor(
    private readonly file: string,
    delimiter: string,
    private readonly visitor: TableVisitor,
    names?: string[] | null,
  ) {
    this.d = delimiter.charCodeAt(0);
    this.rowView = visitor.rowView ? visitor.rowView.bind(visitor) : null;
    if (names) {
      this.width = names.length;
      visitor.columns(names);
    }
  }

  /** Reads the file (or the range), returning the data rows read. */
  async read(range?: ByteRange): Promise<number> {
    const stream = fs.createReadStream(this.file, { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
    let tail: Buffer | null = null;
    let first = true;
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      this.checkUtf8(buf);
      for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL, i + 1)) this.lines++;
      let work: Buffer = tail ? Buffer.concat([tail, buf]) : buf;
      if (first) {
        // The decoder drops a byte order mark, then the scanner drops a U+FEFF that starts the text.
        first = false;
        for (let k = 0; k < 2 && work.length >= 3 && work[0] === 0xef && work[1] === 0xbb && work[2] === 0xbf; k++) work = work.subarray(3);
      }
      const pos = this.records(work, 0, false);
      tail = pos < work.length ? work.subarray(pos) : null;
      // Counted in characters, as the text reader counts what it holds (not the bytes of a character the chunk cut).
      if (tail && tail.length > MAX_RECORD_CHARS && tail.toString('utf8', 0, tail.length - (this.carry?.length ?? 0)).length > MAX_RECORD_CHARS)
        throw new CsvSyntaxError(this.line, `a record runs on for more than ${MAX_RECORD_CHARS / 1024 / 1024} MB (an unclosed quote?)`);
    }
    if (range) range.newlines = this.lines - 1;
    if (this.carry) throw invalid(`${this.file} line ${this.lines} is not UTF-8 text: it ends inside a character; convert the file to UTF-8`);
    if (tail) this.records(tail, 0, true);
    return this.rows;
  }

  /** Refuses a chunk with bytes that are not UTF-8, as a streaming fatal TextDecoder does: on the chunk where the bad byte is. */
  private checkUtf8(buf: Buffer): void {
    const joined = this.carry ? Buffer.concat([this.carry, buf]) : buf;
    let cut = joined.length;
    // A character the chunk's end cuts: its lead byte among the last 4.
    for (let j = joined.length - 1; j >= 0 && j >= joined.length - 4; j--) {
      const b = joined[j];
      if ((b & 0xc0) === 0x80) continue;
      if (b >= 0xc0 && seqLen(b) > joined.length - j) cut = j;
      break;
    }
    const ok = isUtf8(joined.subarray(0, cut)) && (cut === joined.length || validPrefix(joined.subarray(cut)));
    if (!ok) throw invalid(`${this.file} line ${badUtf8Line(buf, this.lines)} is not UTF-8 text; convert the file to UTF-8 (iconv -f LATIN1 -t UTF-8)`);
    this.carry = cut < joined.length ? Buffer.from(joined.subarray(cut)) : null;
  }

  /** Hands on the complete records of b from pos (all of them when final); returns where the first incomplete one starts. */
  private records(b: Buffer, pos: number, final: boolean): number {
    const d = this.d;
    let quoteAt = -1;
    while (pos < b.length) {
      let nl = b.indexOf(NL, pos);
      if (nl < 0) {
        if (!final) break;
        nl = b.length;
      }
      if (quoteAt < pos) {
        quoteAt = b.indexOf(QUOTE, pos);
        if (quoteAt < 0) quoteAt = 0x7fffffff;
      }
      if (quoteAt < nl) {
        const end = this.quoted(b, pos, final);
        if (end < 0) break;
        pos = end;
        continue;
      }
      const lineEnd = nl > pos && b[nl - 1] === CR ? nl - 1 : nl;
      let offs: Int32Array = this.view.offs;
      let k = 0;
      let s = pos;
      for (let i = pos; i < lineEnd; i++)
        if (b[i] === d) {
          if (k + 4 > offs.length) offs = this.view.grow(k + 4);
          offs[k++] = s;
          offs[k++] = i;
          s = i + 1;
        }
      offs[k++] = s;
      offs[k++] = lineEnd;
      pos = nl + 1;
      this.view.next(b, k >> 1);
      this.emit(this.line++);
    }
    return Math.min(pos, b.length);
  }

  /**
   * A record with quotes from pos: its end found on the bytes (the scanner's states: quote, delimiter and
   * newline are ASCII, never inside a UTF-8 character), its fields by CsvScanner. -1 when it ends past b.
   */
  private quoted(b: Buffer, pos: number, final: boolean): number {
    const d = this.d;
    let quoted = false;
    let atStart = true;
    let end = -1;
    let i = pos;
    while (i < b.length) {
      const c = b[i];
      if (quoted) {
        if (c === QUOTE) {
          if (i + 1 >= b.length && !final) return -1;
          if (b[i + 1] === QUOTE) {
            i += 2;
            continue;
          }
          quoted = false;
        }
      } else if (c === QUOTE && atStart) {
        quoted = true;
        atStart = false;
      } else if (c === d) atStart = true;
      else if (c === NL) {
        end = i + 1;
        break;
      } else if (c !== 32 && c !== 9) atStart = false;
      i++;
    }
    if (end < 0) {
      if (!final) return -1;
      if (quoted) throw new CsvSyntaxError(this.line, 'a quoted field is not closed before the end of the input');
      end = b.length;
    }
    const scanner = new CsvScanner(String.fromCharCode(d));
    // Past the start of the input: a U+FEFF opening this record is text, as mid-stream.
    scanner.push('');
    scanner.push(b.toString('utf8', pos, end));
    const rec = scanner.next(true);
    const line = this.line;
    for (let j = b.indexOf(NL, pos); j >= 0 && j < end; j = b.indexOf(NL, j + 1)) this.line++;
    if (rec) {
      this.view.setStrings(rec.fields);
      this.emit(line);
    }
    return end;
  }

  /** The view's record: skipped when blank, the header, or a row checked for width and handed on. */
  private emit(line: number): void {
    const view = this.view;
    if (view.count === 1 && view.text(0).trim() === '') return;
    if (this.width < 0) {
      const names = view.strings().map((h) => h.trim());
      checkHeader(names, this.file);
      this.width = names.length;
      this.visitor.columns(names);
      return;
    }
    if (view.count !== this.width) checkWidth({ fields: new Array<string>(view.count), line }, this.width, this.file);
    this.rows++;
    if (this.rowView) this.rowView(view, line);
    else this.visitor.row(view.strings(), line);
  }

  get sawHeader(): boolean {
    return this.width >= 0;
  }
}
