import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { MlxError, invalid } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import { inputKind, listImages, readRows } from './batch-input.js';
import type { Classification } from './postprocess.js';
import type { Predictor } from './predictor.js';

export interface BatchPredictOptions {
  input: string;
  /** Output file (.csv or .jsonl); stdout (JSON lines) when absent. */
  output?: string;
  batchSize: number;
  /** Input columns in the model's order, when the file's header does not say. */
  columns?: string[];
  onProgress?: (p: { done: number; fraction: number | null }) => void;
}

export interface BatchPredictSummary {
  rows: number;
  seconds: number;
  output: string | null;
}

type Format = 'csv' | 'jsonl';

/** The output format a file name asks for (JSON lines without one); refuses other extensions. */
export function outputFormat(output: string | undefined): Format {
  if (!output) return 'jsonl';
  const ext = path.extname(output).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw invalid(`${JSON.stringify(output)}: give a .csv or .jsonl file (or none for JSON lines on stdout)`);
}

const csvCell = (v: unknown) => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Serializes predictions as CSV or JSON lines: classifiers give label, confidence, class_id and every class's probability. */
class PredictionWriter {
  private header = false;
  constructor(
    private readonly out: Writable,
    private readonly format: Format,
    private readonly idKey: 'row' | 'file',
    private readonly labels: string[] | null,
  ) {}

  private async write(text: string): Promise<void> {
    if (!this.out.write(text)) await new Promise<void>((r) => this.out.once('drain', r));
  }

  async add(id: number | string, p: Classification | number[]): Promise<void> {
    let record: Record<string, unknown>;
    if (Array.isArray(p)) record = { [this.idKey]: id, ...Object.fromEntries(p.map((v, i) => [`output_${i}`, v])) };
    else {
      const probs = [...p.top_k].sort((a, b) => a.class_id - b.class_id);
      const name = (c: { class_id: number }) => this.labels?.[c.class_id] ?? String(c.class_id);
      record =
        this.format === 'csv'
          ? {
              [this.idKey]: id,
              label: p.label,
              confidence: p.confidence,
              class_id: p.class_id,
              ...Object.fromEntries(probs.map((c) => [`p_${name(c)}`, c.confidence])),
            }
          : {
              [this.idKey]: id,
              label: p.label,
              confidence: p.confidence,
              class_id: p.class_id,
              probabilities: Object.fromEntries(probs.map((c) => [name(c), c.confidence])),
            };
    }
    if (this.format === 'jsonl') return this.write(`${JSON.stringify(record)}\n`);
    let text = '';
    if (!this.header) {
      text += `${Object.keys(record).map(csvCell).join(',')}\n`;
      this.header = true;
    }
    await this.write(`${text}${Object.values(record).map(csvCell).join(',')}\n`);
  }
}

/**
 * Batch inference without a server: streams CSV / JSON lines rows (or a folder of images)
 * through the model batchSize at a time, writing predictions as they come. A file output is
 * written to a temporary name and renamed at the end, so a failure leaves nothing half-written.
 */
export async function batchPredict(predictor: Predictor, o: BatchPredictOptions): Promise<BatchPredictSummary> {
  const started = process.hrtime.bigint();
  const kind = inputKind(o.input);
  const format = outputFormat(o.output);
  // Refuse a mismatch between input and model before reading anything.
  if (kind === 'images' && predictor.model.spec?.kind !== 'image')
    throw invalid(`model ${predictor.model.name} does not take images; give it a .csv or .jsonl file of rows`);
  if (kind !== 'images') predictor.rowsShapeCheck();
  const tmp = o.output ? `${o.output}.${process.pid}.tmp` : null;
  if (o.output) fs.mkdirSync(path.dirname(path.resolve(o.output)), { recursive: true });
  const out: Writable = tmp ? fs.createWriteStream(tmp) : process.stdout;
  const all = Number.MAX_SAFE_INTEGER;
  const writer = new PredictionWriter(out, format, kind === 'images' ? 'file' : 'row', predictor.model.labels);
  let done = 0;
  try {
    if (kind === 'images') {
      const files = listImages(o.input);
      for (let i = 0; i < files.length; i += o.batchSize) {
        const batch = files.slice(i, i + o.batchSize);
        const images = await Promise.all(
          batch.map((f) => fs.promises.readFile(f).catch((err: unknown) => Promise.reject(fileError(err, `image ${JSON.stringify(f)}`)))),
        );
        let preds: (Classification | number[])[];
        try {
          preds = await predictor.predictImages(images, all, { label: (j) => path.basename(batch[j]) });
        } catch (err) {
          // An image's own error (too large, not an image) already names its file.
          if (err instanceof MlxError) throw err;
          // Say which file it was: run the batch one by one to find it.
          for (const f of batch)
            await predictor.predictImages([fs.readFileSync(f)], 1).catch((e: Error) => {
              throw invalid(`${path.basename(f)}: ${e.message}`, e);
            });
          throw err;
        }
        for (let j = 0; j < batch.length; j++) await writer.add(path.basename(batch[j]), preds[j]);
        done += batch.length;
        o.onProgress?.({ done, fraction: done / files.length });
      }
    } else {
      const input = predictor.model.signature.inputs[0];
      const width = input?.shape.length === 2 && input.shape[1] > 0 ? input.shape[1] : null;
      const source = readRows(o.input, kind, o.columns ?? predictor.model.featureNames, width);
      const total = fs.statSync(o.input).size;
      let batch: { line: number; values: number[] }[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        let preds: (Classification | number[])[];
        try {
          preds = await predictor.predictRows(
            batch.map((r) => r.values),
            all,
          );
        } catch (err) {
          throw invalid(`rows at lines ${batch[0].line}–${batch[batch.length - 1].line}: ${(err as Error).message}`, err);
        }
        for (let j = 0; j < batch.length; j++) await writer.add(done + j + 1, preds[j]);
        done += batch.length;
        batch = [];
        o.onProgress?.({ done, fraction: total > 0 ? source.bytesRead / total : null });
      };
      for await (const row of source.rows) {
        batch.push(row);
        if (batch.length >= o.batchSize) await flush();
      }
      await flush();
    }
    if (tmp) {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      fs.renameSync(tmp, o.output!);
    }
  } catch (err) {
    if (tmp) {
      out.destroy();
      fs.rmSync(tmp, { force: true });
    }
    throw err;
  }
  return { rows: done, seconds: Number(process.hrtime.bigint() - started) / 1e9, output: o.output ?? null };
}
