import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { invalid } from '../core/errors.js';
import type { Classification } from './postprocess.js';

export type Format = 'csv' | 'jsonl';

const csvCell = (v: unknown) => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Error rows written before the first prediction, held until that prediction fixes the CSV header. */
const MAX_HELD_ERROR_ROWS = 10_000;

export interface WriterShape {
  /** The key column: `row` (the 1-based row number), `file`, or the input column `--id-column` names. */
  idKey: string;
  /** Input columns carried into every output record, after the key. */
  keep: string[];
  labels: string[] | null;
  /** Every record gets an `error` field (null when it was predicted): `--on-error null`. */
  errorColumn: boolean;
}

/**
 * Serializes predictions as CSV or JSON lines: classifiers give label, confidence, class_id and
 * every class's probability; other models output_0… An error row (`--on-error null`) has the same
 * columns, empty, and the error's message: a CSV's header comes from the first prediction, so
 * error rows before it are held (at most 10,000) until it comes.
 */
export class PredictionWriter {
  private columns: string[] | null = null;
  private held: Record<string, unknown>[] = [];
  constructor(
    private readonly out: Writable,
    private readonly format: Format,
    private readonly shape: WriterShape,
  ) {}

  private async write(text: string): Promise<void> {
    // A failed stream (a full disk) rejects instead of waiting for a 'drain' that never comes.
    if (this.out.errored) throw this.out.errored;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  private base(id: unknown, keep: unknown[]): Record<string, unknown> {
    const record: Record<string, unknown> = { [this.shape.idKey]: id };
    this.shape.keep.forEach((k, i) => (record[k] = keep[i]));
    return record;
  }

  /** A prediction for the row or file `id`, with the kept input values. */
  async add(id: unknown, keep: unknown[], p: Classification | number[]): Promise<void> {
    const record = this.base(id, keep);
    const fields: Record<string, unknown> = {};
    if (Array.isArray(p)) p.forEach((v, i) => (fields[`output_${i}`] = v));
    else {
      const probs = [...p.top_k].sort((a, b) => a.class_id - b.class_id);
      const name = (c: { class_id: number }) => this.shape.labels?.[c.class_id] ?? String(c.class_id);
      Object.assign(fields, { label: p.label, confidence: p.confidence, class_id: p.class_id });
      if (this.format === 'csv') for (const c of probs) fields[`p_${name(c)}`] = c.confidence;
      else fields.probabilities = Object.fromEntries(probs.map((c) => [name(c), c.confidence]));
    }
    if (this.shape.errorColumn) fields.error = null;
    for (const k of Object.keys(fields))
      if (k in record) throw invalid(`the kept input column ${JSON.stringify(k)} has the name of an output column; keep the others, or rename it in the input`);
    Object.assign(record, fields);
    if (this.format === 'jsonl') return this.write(`${JSON.stringify(record)}\n`);
    if (!this.columns) {
      this.columns = Object.keys(record);
      await this.write(`${this.columns.map(csvCell).join(',')}\n`);
      for (const e of this.held) await this.writeCsv(e);
      this.held = [];
    }
    await this.writeCsv(record);
  }

  /** An explicit error row in place of a prediction (`--on-error null`). */
  async addError(id: unknown, keep: unknown[], message: string): Promise<void> {
    const record = { ...this.base(id, keep), error: message };
    if (this.format === 'jsonl') return this.write(`${JSON.stringify(record)}\n`);
    if (this.columns) return this.writeCsv(record);
    if (this.held.length >= MAX_HELD_ERROR_ROWS)
      throw invalid(`the first ${MAX_HELD_ERROR_ROWS.toLocaleString('en-US')} rows all failed (the last: ${message}); fix the input`);
    this.held.push(record);
  }

  private writeCsv(record: Record<string, unknown>): Promise<void> {
    return this.write(`${this.columns!.map((c) => csvCell(record[c])).join(',')}\n`);
  }
}
