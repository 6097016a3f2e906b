import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CsvSyntaxError, checkHeader, checkWidth, csvRecords } from '../core/csv-records.js';
import { MlxError, invalid } from '../core/errors.js';
import { fileError, isSystemError, readableStat } from '../core/file-errors.js';
import { jsonLines } from '../core/json-lines.js';
import { CellError, parseCell } from './cells.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export type InputKind = 'csv' | 'jsonl' | 'images';

/** What `mlx predict --input` names: a CSV file, a JSON lines file, or a folder of images. */
export function inputKind(input: string): InputKind {
  const stat = readableStat(input, `input ${JSON.stringify(input)}`);
  if (stat.isDirectory()) return 'images';
  const ext = path.extname(input).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw invalid(`input ${JSON.stringify(input)}: give a .csv or .jsonl file, or a folder of images`);
}

/** Image files of a folder (sorted, non-recursive). */
export function listImages(dir: string): string[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase()))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw invalid(`folder ${JSON.stringify(dir)} has no .jpg, .jpeg, .png or .webp files`);
  return files;
}

/**
 * One row of an input file: its numbers in the model's column order, or the refusal of its first bad
 * value (a CellError naming the line and column, or a row of the wrong width), plus the input
 * values `--keep-columns` carries into the output.
 */
export type RowItem = { line: number; keep: unknown[] } & ({ values: number[]; error?: undefined } | { values?: undefined; error: MlxError });

export interface RowSource {
  /** Streams rows with their 1-based line numbers; a row's own bad value comes as its error, never thrown. */
  rows: AsyncGenerator<RowItem>;
  /** Bytes read so far, for progress. */
  readonly bytesRead: number;
}

/** Which columns to read: the model's, in order (null: the file's order) and the ones to carry into the output. */
export interface RowColumns {
  model: string[] | null;
  keep?: string[];
}

/** A row's values, or the MlxError (a bad cell, a wrong width) that refuses the row. */
function rowOf(line: number, keep: unknown[], read: () => number[]): RowItem {
  try {
    return { line, keep, values: read() };
  } catch (err) {
    if (err instanceof MlxError) return { line, keep, error: err };
    throw err;
  }
}

/**
 * A value of a row as a number, by the rule every input path follows (src/serving/cells.ts):
 * numbers and numeric text are taken; empty, null, NaN, infinite and anything else are refused
 * with a CellError naming the file, line and column (a future --on-error can catch it per row).
 */
function toNumber(v: unknown, where: () => string): number {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    throw new CellError(where(), v, 'out of range');
  }
  if (typeof v === 'string') {
    const n = parseCell(v);
    if (typeof n === 'number') return n;
    throw new CellError(where(), v, n);
  }
  throw new CellError(where(), v, v === null || v === undefined ? 'empty' : 'not a number');
}

/** Picks the model's columns out of a header, or refuses naming what is missing. */
function columnOrder(header: string[], wanted: string[] | null, width: number | null, file: string, keep: string[]): number[] {
  if (wanted) {
    return wanted.map((w) => {
      const i = header.indexOf(w);
      if (i < 0) throw invalid(`${file} has no column "${w}"; the model takes ${wanted.join(', ')} (or name them with --columns)`);
      return i;
    });
  }
  // Without names, the model takes every column but the kept ones (an id is not a feature).
  const features = header.map((_, i) => i).filter((i) => !keep.includes(header[i]));
  if (width !== null && features.length !== width)
    throw invalid(
      `${file} has ${features.length} ${keep.length ? 'columns besides the kept ones' : 'columns'} but the model takes ${width}; name the ones to use with --columns a,b,c`,
    );
  return features;
}

/** A file's bytes as UTF-8 text, refusing a file with a NUL byte (not text: an image, an archive, a model). */
async function* textOf(stream: AsyncIterable<Buffer>, file: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let at = 0;
  for await (const chunk of stream) {
    const nul = chunk.indexOf(0);
    if (nul >= 0) throw invalid(`${file} is not text: it has a NUL byte at byte ${at + nul}; give a UTF-8 CSV file with a header row`);
    at += chunk.length;
    yield decoder.write(chunk);
  }
  yield decoder.end();
}

/** Reads CSV (with a header row) or JSON lines (objects or arrays) as rows, streaming. */
export function readRows(file: string, kind: 'csv' | 'jsonl', cols: RowColumns, width: number | null): RowSource {
  const columns = cols.model;
  const keepNames = cols.keep ?? [];
  const state = { bytes: 0 };
  // The stream is opened only once its consumer is attached, so no data flows into the void.
  const open = (highWaterMark?: number) => {
    const stream = fs.createReadStream(file, { highWaterMark });
    stream.on('data', (c) => (state.bytes += c.length));
    return stream;
  };
  async function* csvRows() {
    let order: number[] | null = null;
    let header: string[] = [];
    let keepAt: number[] = [];
    let rows = 0;
    try {
      for await (const rec of csvRecords(textOf(open(1 << 20), file))) {
        if (!order) {
          header = rec.fields.map((h) => h.trim());
          checkHeader(header, file);
          order = columnOrder(header, columns, width, file, keepNames);
          keepAt = keepNames.map((k) => {
            const i = header.indexOf(k);
            if (i < 0) throw invalid(`${file} has no column ${JSON.stringify(k)} to keep; its columns are ${header.join(', ')}`);
            return i;
          });
          continue;
        }
        rows++;
        const fields = rec.fields;
        const cols = order;
        yield rowOf(
          rec.line,
          keepAt.map((i) => fields[i] ?? ''),
          () => {
            checkWidth(rec, header.length, file);
            return cols.map((i) => toNumber(fields[i], () => `${file} line ${rec.line}, column ${JSON.stringify(header[i])}`));
          },
        );
      }
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw invalid(`${file} is not valid CSV: line ${err.line}: ${err.reason}`, err);
      throw isSystemError(err) ? fileError(err, `input ${JSON.stringify(file)}`) : err;
    }
    if (!order) throw invalid(`${file} is empty; it needs a header row naming the columns, then rows of numbers`);
    if (rows === 0) throw invalid(`${file} has no data rows, only a header`);
  }
  async function* jsonRows() {
    let rows = 0;
    for await (const { line, value: obj } of jsonLines(open(), file)) {
      rows++;
      if (Array.isArray(obj)) {
        if (keepNames.length) throw invalid(`${file} line ${line} is a list, not an object: there are no columns to keep by name`);
        yield rowOf(line, [], () => obj.map((v, i) => toNumber(v, () => `${file} line ${line}, column ${i}`)));
      } else if (obj && typeof obj === 'object') {
        const rec = obj as Record<string, unknown>;
        const keys = columns ?? Object.keys(rec).filter((k) => !keepNames.includes(k));
        yield rowOf(
          line,
          keepNames.map((k) => rec[k] ?? null),
          () =>
            keys.map((k) => {
              if (!(k in rec)) throw invalid(`${file} line ${line} has no ${JSON.stringify(k)}`);
              return toNumber(rec[k], () => `${file} line ${line}, column ${JSON.stringify(k)}`);
            }),
        );
      } else throw invalid(`${file} line ${line} is neither an array nor an object`);
    }
    if (rows === 0) throw invalid(`${file} has no rows; JSON lines files hold one row (an object or a list) per line`);
  }
  return {
    rows: kind === 'csv' ? csvRows() : jsonRows(),
    get bytesRead() {
      return state.bytes;
    },
  };
}
