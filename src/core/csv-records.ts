import { MlxError } from './errors.js';

/**
 * CSV records (RFC 4180: quoted fields, doubled quotes, CRLF, newlines inside quotes) with the
 * physical line each starts on, for inputs whose errors must name a line: `mlx predict` files and
 * `mlx serve` request bodies. Lenient where Python's csv module is (a quote inside an unquoted field
 * is kept as text), strict where a reader must be (an unclosed quote is an error, not a field that
 * swallows the rest of the input). Fields are returned as written (not trimmed).
 */
export interface CsvRecord {
  fields: string[];
  /** The 1-based line the record starts on. */
  line: number;
}

/** A CSV syntax error at a line; callers add the file or body it came from. */
export class CsvSyntaxError extends MlxError {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super('INVALID_PARAMETER_VALUE', `line ${line}: ${reason}`);
  }
}

/** Reads records out of text given piece by piece (a whole string, or a file's chunks). */
export class CsvScanner {
  private text = '';
  private pos = 0;
  private line = 1;
  private started = false;

  constructor(private readonly delimiter = ',') {}

  /** Adds text (the next chunk of the input). */
  push(chunk: string): void {
    let text = chunk;
    if (!this.started) {
      text = text.replace(/^\uFEFF/, '');
      this.started = true;
    }
    this.text = this.pos < this.text.length ? this.text.slice(this.pos) + text : text;
    this.pos = 0;
  }

  /** Characters held and not yet read (a record that has not ended yet). */
  get pending(): number {
    return this.text.length - this.pos;
  }

  /** The line the next record starts on (or the one being read). */
  get currentLine(): number {
    return this.line;
  }

  /**
   * The next record, skipping blank lines; null when the text held ends before a record does
   * (unless `final`: then the rest is the last record, or null at the end).
   */
  next(final: boolean): CsvRecord | null {
    for (;;) {
      const rec = this.record(final);
      if (!rec) return null;
      if (rec.fields.length > 1 || rec.fields[0].trim() !== '') return rec;
    }
  }

  private record(final: boolean): CsvRecord | null {
    const { text, delimiter: d } = this;
    const pos = this.pos;
    if (pos >= text.length) return null;
    const nl = text.indexOf('\n', pos);
    if (nl < 0 && !final) return null;
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(pos, lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd);
    // Most records have no quotes: split the line. Only records with quotes take the slow path.
    if (line.indexOf('"') < 0) {
      this.pos = nl < 0 ? text.length : nl + 1;
      return { fields: line.split(d), line: this.line++ };
    }
    const start = this.line;
    const fields: string[] = [];
    let field = '';
    let newlines = 0;
    let quoted = false;
    let atFieldStart = true;
    let i = pos;
    while (i < text.length) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (i + 1 >= text.length && !final) return null;
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
        } else {
          if (ch === '\n') newlines++;
          field += ch;
        }
        i++;
        continue;
      }
      if (ch === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
      } else if (ch === d) {
        fields.push(field);
        field = '';
        atFieldStart = true;
      } else if (ch === '\n') {
        fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
        this.pos = i + 1;
        this.line += newlines + 1;
        return { fields, line: start };
      } else {
        field += ch;
        // Spaces before an opening quote are allowed (" a","b" reads as the fields a and b once trimmed).
        if (ch !== ' ' && ch !== '\t') atFieldStart = false;
      }
      i++;
    }
    if (!final) return null;
    if (quoted) throw new CsvSyntaxError(start, 'a quoted field is not closed before the end of the input');
    fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
    this.pos = text.length;
    this.line += newlines;
    return { fields, line: start };
  }
}

/**
 * A record this long has no end in sight (an unclosed quote, or not CSV at all): streaming readers stop
 * there instead of holding, and rescanning, the rest of the file.
 */
export const MAX_RECORD_CHARS = 8 * 1024 * 1024;

/** The records of text arriving in chunks (a file stream with an encoding), as they complete. */
export async function* csvRecords(chunks: AsyncIterable<string | Buffer>, delimiter = ','): AsyncGenerator<CsvRecord> {
  const scanner = new CsvScanner(delimiter);
  for await (const chunk of chunks) {
    scanner.push(String(chunk));
    for (let rec = scanner.next(false); rec; rec = scanner.next(false)) yield rec;
    if (scanner.pending > MAX_RECORD_CHARS)
      throw new CsvSyntaxError(scanner.currentLine, `a record runs on for more than ${MAX_RECORD_CHARS / 1024 / 1024} MB (an unclosed quote?)`);
  }
  for (let rec = scanner.next(true); rec; rec = scanner.next(true)) yield rec;
}

/** Duplicate names in a header (after trimming), refused naming the first one. */
export function checkHeader(header: string[], where: string): void {
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name))
      throw new MlxError('INVALID_PARAMETER_VALUE', `${where}: the column ${JSON.stringify(name)} is named more than once; give each column a name of its own`);
    seen.add(name);
  }
}

/** A record with more or fewer fields than the header, refused naming its line. */
export function checkWidth(rec: CsvRecord, width: number, where: string): void {
  if (rec.fields.length !== width)
    throw new MlxError(
      'INVALID_PARAMETER_VALUE',
      `${where} line ${rec.line} has ${rec.fields.length} field${rec.fields.length === 1 ? '' : 's'}, but the header has ${width}; every row needs one value per column`,
    );
}
