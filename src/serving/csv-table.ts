import { CsvScanner, checkHeader, checkWidth } from '../core/csv-records.js';
import { invalid } from '../core/errors.js';
import { CellError, parseCell, type CellProblem } from './cells.js';

/**
 * A CSV request body read as numbers: the header, and the kept columns' values row by row. Read a
 * slice at a time, yielding to the event loop between slices, so a 20 MB body does not stop the
 * server answering /health; the rows are counted as they are read, so a body over the row limit
 * is refused at the first row too many, before any tensor is built.
 */
export interface CsvTable {
  /** Column names as the header gives them (trimmed; no two alike). */
  header: string[];
  /** For each header column, its index among the kept values, or -1 when it was skipped. */
  slot: Int32Array;
  /** Kept columns per row. */
  width: number;
  rows: number;
  /** Row-major values of the kept columns; NaN where a cell held no number (see problems). */
  values: Float64Array;
  /** The line each row starts on (1 is the header's, when it is the first). */
  lines: Uint32Array;
  /** The first cell of a lenient column that held no number, by header index. */
  problems: Map<number, { line: number; text: string; problem: CellProblem }>;
}

export interface CsvTableOptions {
  /** Columns to read (the rest are skipped unread); null: all. */
  keep: ReadonlySet<string> | null;
  /** Columns whose first bad cell refuses the body at once; the others' are remembered for whoever uses them. Null: all. */
  strict: ReadonlySet<string> | null;
  maxRows: number;
  /** The error for a body with more than maxRows rows. */
  tooManyRows: () => Error;
  /** Characters read between yields to the event loop. */
  sliceChars?: number;
}

const SLICE_CHARS = 256 * 1024;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Reads a CSV body (UTF-8, a header row, then rows of numbers), refusing anything else with a line and a column. */
export async function parseCsvTable(body: Buffer, o: CsvTableOptions): Promise<CsvTable> {
  const nul = body.indexOf(0);
  if (nul >= 0) throw invalid(`the CSV body is not text: it has a NUL byte at byte ${nul}; send UTF-8 CSV with a header row`);
  const scanner = new CsvScanner();
  scanner.push(body.toString('utf8'));
  const first = scanner.next(true);
  if (!first) throw invalid('the CSV body is empty; send a header row and at least one data row');
  const header = first.fields.map((h) => h.trim());
  checkHeader(header, "the CSV body's header");
  const slot = new Int32Array(header.length).fill(-1);
  const strict: boolean[] = [];
  let width = 0;
  header.forEach((name, i) => {
    if (o.keep && !o.keep.has(name)) return;
    slot[i] = width++;
    strict[i] = !o.strict || o.strict.has(name);
  });
  const table = new Growing(width, Math.min(o.maxRows, 1024));
  const problems: CsvTable['problems'] = new Map();
  const slice = o.sliceChars ?? SLICE_CHARS;
  let sinceYield = scanner.pending;
  for (let rec = scanner.next(true); rec; rec = scanner.next(true)) {
    if (table.rows === o.maxRows) throw o.tooManyRows();
    checkWidth(rec, header.length, 'the CSV body');
    const at = table.add(rec.line);
    const values = table.values;
    const { fields } = rec;
    for (let i = 0; i < fields.length; i++) {
      const k = slot[i];
      if (k < 0) continue;
      const v = parseCell(fields[i]);
      if (typeof v === 'number') {
        values[at + k] = v;
        continue;
      }
      if (strict[i]) throw new CellError(`line ${rec.line}, column ${JSON.stringify(header[i])}`, fields[i], v);
      values[at + k] = NaN;
      if (!problems.has(i)) problems.set(i, { line: rec.line, text: fields[i], problem: v });
    }
    // Yield by characters read, not by time: the same body always takes the same turns.
    const left = scanner.pending;
    if (sinceYield - left >= slice) {
      sinceYield = left;
      await nextTurn();
    }
  }
  if (table.rows === 0) throw invalid('the CSV body needs a header row and at least one data row');
  return { header, slot, width, rows: table.rows, values: table.values.subarray(0, table.rows * width), lines: table.lines.subarray(0, table.rows), problems };
}

/** Picks columns (header indexes, in the order wanted) as row-major values, refusing the first cell among them that held no number. */
export function pickColumns(t: CsvTable, columns: number[]): Float64Array {
  let worst: { line: number; text: string; problem: CellProblem; column: number } | null = null;
  for (const c of columns) {
    if (t.slot[c] < 0) throw new Error(`column ${c} was not read`);
    const p = t.problems.get(c);
    if (p && (!worst || p.line < worst.line)) worst = { ...p, column: c };
  }
  if (worst) throw new CellError(`line ${worst.line}, column ${JSON.stringify(t.header[worst.column])}`, worst.text, worst.problem);
  const n = columns.length;
  const out = new Float64Array(t.rows * n);
  const from = columns.map((c) => t.slot[c]);
  for (let r = 0; r < t.rows; r++) for (let j = 0; j < n; j++) out[r * n + j] = t.values[r * t.width + from[j]];
  return out;
}

/** Row storage that doubles as it fills (the rows are not known until the body is read). */
class Growing {
  values: Float64Array;
  lines: Uint32Array;
  rows = 0;
  constructor(
    private readonly width: number,
    capacity: number,
  ) {
    this.values = new Float64Array(capacity * width);
    this.lines = new Uint32Array(capacity);
  }

  /** Starts a new row; returns where its values go in `values`. */
  add(line: number): number {
    if (this.rows === this.lines.length) {
      const lines = new Uint32Array(this.lines.length * 2);
      lines.set(this.lines);
      this.lines = lines;
      const values = new Float64Array(lines.length * this.width);
      values.set(this.values);
      this.values = values;
    }
    this.lines[this.rows] = line;
    return this.rows++ * this.width;
  }
}
