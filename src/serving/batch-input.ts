import fs from 'node:fs';
import path from 'node:path';
import { invalid, notFound } from '../core/errors.js';
import { jsonLines } from '../core/json-lines.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export type InputKind = 'csv' | 'jsonl' | 'images';

/** What `mlx predict --input` names: a CSV file, a JSON lines file, or a folder of images. */
export function inputKind(input: string): InputKind {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch {
    throw notFound(`input ${JSON.stringify(input)} does not exist`);
  }
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

export interface RowSource {
  /** Streams rows of numbers in the model's column order, with their 1-based line numbers. */
  rows: AsyncGenerator<{ line: number; values: number[] }>;
  /** Bytes read so far, for progress. */
  readonly bytesRead: number;
}

function toNumber(v: unknown, line: number, column: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (v === null || v === '' || (typeof v === 'string' && /^(nan|na|null)$/i.test(v.trim()))) return NaN;
  throw invalid(`line ${line}, column ${column}: ${JSON.stringify(v)} is not a number`);
}

/** Picks the model's columns out of a header, or refuses naming what is missing. */
function columnOrder(header: string[], wanted: string[] | null, width: number | null, file: string): number[] {
  if (wanted) {
    return wanted.map((w) => {
      const i = header.indexOf(w);
      if (i < 0) throw invalid(`${file} has no column "${w}"; the model takes ${wanted.join(', ')} (or name them with --columns)`);
      return i;
    });
  }
  if (width !== null && header.length !== width)
    throw invalid(`${file} has ${header.length} columns but the model takes ${width}; name the ones to use with --columns a,b,c`);
  return header.map((_, i) => i);
}

/** Reads CSV (with a header row) or JSON lines (objects or arrays) as rows, streaming. */
export function readRows(file: string, kind: 'csv' | 'jsonl', columns: string[] | null, width: number | null): RowSource {
  const state = { bytes: 0 };
  // The stream is opened only once its consumer is attached, so no data flows into the void.
  const open = () => {
    const stream = fs.createReadStream(file);
    stream.on('data', (c) => (state.bytes += c.length));
    return stream;
  };
  async function* csvRows() {
    const { parse } = await import('csv-parse');
    const stream = open();
    const parser = stream.pipe(parse({ bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }));
    let order: number[] | null = null;
    let header: string[] = [];
    let line = 0;
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        line++;
        if (!order) {
          header = record;
          order = columnOrder(header, columns, width, file);
          continue;
        }
        yield { line, values: order.map((i) => toNumber(record[i], line, header[i])) };
      }
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('CSV_')) throw invalid(`${file} is not valid CSV: ${(err as Error).message}`);
      throw err;
    }
  }
  async function* jsonRows() {
    for await (const { line, value: obj } of jsonLines(open(), file)) {
      if (Array.isArray(obj)) yield { line, values: obj.map((v, i) => toNumber(v, line, String(i))) };
      else if (obj && typeof obj === 'object') {
        const rec = obj as Record<string, unknown>;
        const keys = columns ?? Object.keys(rec);
        yield {
          line,
          values: keys.map((k) => {
            if (!(k in rec)) throw invalid(`${file} line ${line} has no "${k}"`);
            return toNumber(rec[k], line, k);
          }),
        };
      } else throw invalid(`${file} line ${line} is neither an array nor an object`);
    }
  }
  return {
    rows: kind === 'csv' ? csvRows() : jsonRows(),
    get bytesRead() {
      return state.bytes;
    },
  };
}
