import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../core/errors.js';
import { readableStat } from '../core/file-errors.js';
import { asObject, jsonLines } from '../core/json-lines.js';

export type ColumnType = 'integer' | 'double' | 'boolean' | 'string' | 'null';

export interface DatasetProfile {
  digest: string;
  size: number;
  format: 'csv' | 'tsv' | 'jsonl' | 'file';
  num_rows?: number;
  columns?: { name: string; type: ColumnType }[];
}

/** Widens a column type to admit another value's type. */
function widen(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if ((a === 'integer' && b === 'double') || (a === 'double' && b === 'integer')) return 'double';
  return 'string';
}

function typeOfText(v: string): ColumnType {
  const t = v.trim();
  if (t === '' || /^(na|nan|null|none)$/i.test(t)) return 'null';
  if (/^[+-]?\d+$/.test(t)) return 'integer';
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?inf(inity)?$/i.test(t)) return 'double';
  if (/^(true|false)$/i.test(t)) return 'boolean';
  return 'string';
}

function typeOfJson(v: unknown): ColumnType {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'double';
  if (typeof v === 'boolean') return 'boolean';
  return 'string';
}

function formatOf(file: string): DatasetProfile['format'] {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'file';
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Digest, size, and for CSV / TSV / JSON lines the row count and column names and types, read in one streaming pass each. */
export async function profileDataset(file: string): Promise<DatasetProfile> {
  const stat = readableStat(file, `dataset file ${JSON.stringify(file)}`);
  if (!stat.isFile()) throw invalid(`dataset ${JSON.stringify(file)} is not a file; give a CSV, TSV, JSON lines or any other single file`);
  const format = formatOf(file);
  const profile: DatasetProfile = { digest: await sha256(file), size: stat.size, format };
  if (format === 'csv' || format === 'tsv') Object.assign(profile, await profileDelimited(file, format === 'tsv' ? '\t' : ','));
  else if (format === 'jsonl') Object.assign(profile, await profileJsonLines(file));
  return profile;
}

/** Rows and columns of a CSV / TSV / JSON lines file without hashing it (`mlx data add` hashes while storing); null for other files. */
export async function profileTable(
  file: string,
): Promise<{ format: 'csv' | 'tsv' | 'jsonl'; num_rows: number; columns: { name: string; type: ColumnType }[] } | null> {
  const format = formatOf(file);
  if (format === 'csv' || format === 'tsv') return { format, ...(await profileDelimited(file, format === 'tsv' ? '\t' : ',')) };
  if (format === 'jsonl') return { format, ...(await profileJsonLines(file)) };
  return null;
}

async function profileDelimited(file: string, delimiter: string) {
  const { parse } = await import('csv-parse');
  const parser = fs.createReadStream(file).pipe(parse({ delimiter, relax_column_count: true, bom: true, skip_empty_lines: true }));
  let header: string[] | undefined;
  let types: ColumnType[] = [];
  let rows = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record;
        types = header.map(() => 'null');
        continue;
      }
      rows++;
      for (let i = 0; i < header.length; i++) types[i] = widen(types[i], typeOfText(record[i] ?? ''));
    }
  } catch (err) {
    throw invalid(`dataset ${JSON.stringify(file)} is not valid CSV: ${(err as Error).message}`, err);
  }
  return { num_rows: rows, columns: (header ?? []).map((name, i) => ({ name, type: types[i] })) };
}

async function profileJsonLines(file: string) {
  const types = new Map<string, ColumnType>();
  let rows = 0;
  const label = `dataset ${JSON.stringify(file)}`;
  for await (const { line, value } of jsonLines(fs.createReadStream(file), label)) {
    const obj = asObject(value, label, line);
    rows++;
    for (const [k, v] of Object.entries(obj)) types.set(k, widen(types.get(k) ?? 'null', typeOfJson(v)));
  }
  return { num_rows: rows, columns: [...types].map(([name, type]) => ({ name, type })) };
}
