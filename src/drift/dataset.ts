import fs from 'node:fs';
import path from 'node:path';
import { invalid, MlxError } from '../core/errors.js';
import { fileError, isSystemError, readableStat } from '../core/file-errors.js';
import { asObject, jsonLines } from '../core/json-lines.js';
import { PANDAS_NA } from '../core/missing-values.js';
import { CsvSyntaxError, checkHeader, checkWidth, csvRecords } from '../core/csv-records.js';

export type ColumnKind = 'numerical' | 'categorical';

/** One column as read: numbers while every value parsed as one, else strings; missing values counted. */
export interface Column {
  name: string;
  kind: ColumnKind;
  numbers: Float64Array;
  strings: string[];
  missing: number;
}

export interface Table {
  file: string;
  rows: number;
  columns: Map<string, Column>;
  /** For logged serving traffic: the time window read (epoch ms, until exclusive). */
  window?: { since: number; until: number };
}

const NA = PANDAS_NA;

/** Builds one column value by value, switching to categories at the first value that is not a number. */
export class ColumnBuilder {
  kind: ColumnKind;
  numbers = new Float64Array(1024);
  n = 0;
  strings: string[] = [];
  missing = 0;
  constructor(
    readonly name: string,
    readonly declared: ColumnKind | undefined,
  ) {
    this.kind = declared ?? 'numerical';
  }

  add(raw: unknown, row: number, file: string): void {
    // The common case first: a number in a numeric column (NA strings never parse as numbers,
    // except "NaN"-like ones, which Number() turns into NaN and the slow path handles).
    if (this.kind === 'numerical' && typeof raw === 'string' && raw !== '') {
      const v = Number(raw);
      if (!Number.isNaN(v) && raw.trim() !== '') {
        if (this.n === this.numbers.length) this.grow();
        this.numbers[this.n++] = v;
        return;
      }
    }
    if (raw === null || raw === undefined || (typeof raw === 'number' && Number.isNaN(raw))) return void this.missing++;
    const text = typeof raw === 'string' ? raw.trim() : String(raw);
    if (typeof raw === 'string' && NA.has(text)) return void this.missing++;
    if (this.kind === 'numerical') {
      const v = typeof raw === 'number' ? raw : text === '' ? NaN : Number(text);
      if (!Number.isNaN(v) && typeof raw !== 'boolean') {
        if (this.n === this.numbers.length) this.grow();
        this.numbers[this.n++] = v;
        return;
      }
      if (this.declared === 'numerical')
        throw invalid(`${file} row ${row}, column "${this.name}": ${JSON.stringify(text)} is not a number, and the column is declared numerical`);
      this.toCategorical();
    }
    this.strings.push(text);
  }

  private grow(): void {
    const grown = new Float64Array(this.numbers.length * 2);
    grown.set(this.numbers);
    this.numbers = grown;
  }

  /** Numbers read so far become their text, and the column takes strings from here on. */
  toCategorical(): void {
    if (this.kind === 'categorical') return;
    this.kind = 'categorical';
    this.strings = Array.from(this.numbers.subarray(0, this.n), (v) => String(v));
    this.numbers = new Float64Array(0);
    this.n = 0;
  }

  build(): Column {
    return { name: this.name, kind: this.kind, numbers: this.numbers.subarray(0, this.n), strings: this.strings, missing: this.missing };
  }
}

/** Reads a CSV (with header) or JSON lines file column by column, streaming. */
export async function loadTable(file: string, declared: Map<string, ColumnKind>, wanted: string[] | null): Promise<Table> {
  const label = `file ${JSON.stringify(file)}`;
  readableStat(file, label);
  const ext = path.extname(file).toLowerCase();
  const builders = new Map<string, ColumnBuilder>();
  const builder = (name: string, missingSoFar = 0) => {
    let b = builders.get(name);
    if (!b) {
      builders.set(name, (b = new ColumnBuilder(name, declared.get(name))));
      b.missing = missingSoFar;
    }
    return b;
  };
  let rows = 0;
  if (ext === '.jsonl' || ext === '.ndjson') {
    for await (const { line, value } of jsonLines(fs.createReadStream(file), file)) {
      const obj = asObject(value, file, line);
      rows++;
      for (const [k, v] of Object.entries(obj)) if (!wanted || wanted.includes(k)) builder(k, rows - 1).add(v, line, file);
      // A key absent from this line is a missing value for it.
      for (const b of builders.values()) if (!(b.name in (obj as object))) b.missing++;
    }
  } else if (ext === '.csv' || ext === '.tsv') {
    let header: string[] | null = null;
    let picked: { index: number; b: ColumnBuilder }[] = [];
    try {
      const text = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
      for await (const record of csvRecords(text, ext === '.tsv' ? '\t' : ',')) {
        if (!header) {
          header = record.fields.map((h) => h.trim());
          // Two columns of one name would be read into one, silently; a row of the wrong width would shift its values.
          checkHeader(header, file);
          picked = header
            .map((h, index) => ({ h, index }))
            .filter(({ h }) => !wanted || wanted.includes(h))
            .map(({ h, index }) => ({ index, b: builder(h) }));
          continue;
        }
        checkWidth(record, header.length, file);
        rows++;
        for (const { index, b } of picked) b.add(record.fields[index], record.line, file);
      }
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw invalid(`${file} is not valid CSV: line ${err.line}: ${err.reason}`, err);
      if (err instanceof MlxError) throw err;
      // A read that failed (a folder named x.csv) is not the CSV's fault.
      if (isSystemError(err)) throw fileError(err, label);
      throw invalid(`${file} is not valid CSV: ${(err as Error).message}`, err);
    }
    if (!header) throw invalid(`${file} is empty; it needs a header row and data rows`);
  } else throw invalid(`${file}: give a .csv, .tsv or .jsonl file`);
  if (rows === 0) throw invalid(`${file} has no data rows`);
  return { file, rows, columns: new Map([...builders].map(([k, b]) => [k, b.build()])) };
}
