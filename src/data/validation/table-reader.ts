import fs from 'node:fs';
import path from 'node:path';
import { CsvSyntaxError } from '../../core/csv-records.js';
import { invalid, MlxError } from '../../core/errors.js';
import { fileError, isSystemError, readableStat } from '../../core/file-errors.js';
import { jsonNestsDeeperThan, tooDeepText } from '../../core/json-depth.js';
import { badUtf8Line, ByteTableReader } from './byte-reader.js';
import type { ByteRange, TableVisitor } from './row-view.js';

export type { ByteRange, TableVisitor } from './row-view.js';

export type TableFormat = 'csv' | 'tsv' | 'jsonl';

/** The table format of a file from its name, or an error saying which ones are read. */
export function tableFormat(file: string): TableFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw invalid(`${file}: give a .csv, .tsv or .jsonl (JSON lines) file`);
}

/** A file's text chunk by chunk, refusing bytes that are not UTF-8 (naming the line) rather than reading them as U+FFFD. */
async function* utf8Chunks(file: string, range?: ByteRange): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let lines = 1;
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    let text: string;
    try {
      text = decoder.decode(buf, { stream: true });
    } catch (err) {
      throw invalid(`${file} line ${badUtf8Line(buf, lines)} is not UTF-8 text; convert the file to UTF-8 (iconv -f LATIN1 -t UTF-8)`, err);
    }
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) lines++;
    yield text;
  }
  if (range) range.newlines = lines - 1;
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch (err) {
    throw invalid(`${file} line ${lines} is not UTF-8 text: it ends inside a character; convert the file to UTF-8`, err);
  }
}

/** Reads a CSV, TSV or JSON lines file in one streaming pass; returns the number of data rows. Empty files, a header without rows, ragged rows, bad UTF-8 and bad JSON are errors naming the file and line. */
export async function readTable(file: string, visitor: TableVisitor): Promise<{ format: TableFormat; rows: number }> {
  const format = tableFormat(file);
  const label = `data file ${JSON.stringify(file)}`;
  const stat = readableStat(file, label);
  if (!stat.isFile()) throw invalid(`${label} is not a file`);
  try {
    const rows = format === 'jsonl' ? await readJsonLines(file, visitor) : await readDelimited(file, format === 'tsv' ? '\t' : ',', visitor);
    return { format, rows };
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw invalid(`${file} line ${err.line} is not valid CSV: ${err.reason}`, err);
    if (err instanceof MlxError) throw err;
    if (isSystemError(err)) throw fileError(err, label);
    throw err;
  }
}

/**
 * Reads the rows of one segment of a CSV or TSV file (the header is read by the caller, who passes its
 * names): lines are counted from 1 at the segment's start. Errors are thrown as by readTable; callers
 * that cut a file redo it whole on any error, so the message and line are those of a whole read.
 */
export async function readDelimitedRange(file: string, format: TableFormat, visitor: TableVisitor, range: ByteRange, names: string[] | null): Promise<number> {
  return readDelimited(file, format === 'tsv' ? '\t' : ',', visitor, range, names);
}

async function readDelimited(file: string, delimiter: string, visitor: TableVisitor, range?: ByteRange, names?: string[] | null): Promise<number> {
  const reader = new ByteTableReader(file, delimiter, visitor, names);
  const rows = await reader.read(range);
  if (!reader.sawHeader) throw invalid(`${file} is empty: it needs a header row and at least one data row`);
  if (rows === 0 && !names) throw invalid(`${file} line 1 is a header with no data rows after it; give at least one row`);
  return rows;
}

async function readJsonLines(file: string, visitor: TableVisitor): Promise<number> {
  const index = new Map<string, number>();
  const names: string[] = [];
  let rows = 0;
  let line = 0;
  let pending = '';
  let values: unknown[] = [];
  const take = (text: string) => {
    line++;
    if (text.trim() === '') return;
    if (jsonNestsDeeperThan(text)) throw invalid(`${file} line ${line} ${tooDeepText()}`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw invalid(`${file} line ${line} is not valid JSON; JSON lines files hold one object per line`, err);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw invalid(`${file} line ${line} is not a JSON object; each line must be {"column": value, …}`);
    const grew = names.length;
    for (const k of Object.keys(value)) if (!index.has(k)) index.set(k, names.push(k) - 1);
    if (names.length !== grew) visitor.columns(names.slice());
    values = new Array(names.length);
    for (const [k, v] of Object.entries(value)) values[index.get(k)!] = v;
    rows++;
    visitor.row(values, line);
  };
  for await (const chunk of utf8Chunks(file)) {
    pending += chunk;
    let start = 0;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n', start)) {
      take(pending.slice(start, nl));
      start = nl + 1;
    }
    pending = pending.slice(start);
    if (pending.length > 64 * 1024 * 1024) throw invalid(`${file} line ${line + 1} runs on for more than 64 MB; JSON lines files hold one object per line`);
  }
  if (pending.trim() !== '') take(pending);
  if (line === 0 || names.length === 0) throw invalid(`${file} is empty: it needs at least one JSON object line`);
  return rows;
}
