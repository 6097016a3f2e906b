import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { MlxError, invalid } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import { inputKind, listImages, readRows, type RowItem } from './batch-input.js';
import type { Classification } from './postprocess.js';
import type { Predictor } from './predictor.js';
import { PredictionWriter, type Format } from './prediction-writer.js';

/** What a row or image that cannot be predicted does: stop the job (default), leave it out, or write an error row in its place. */
export type OnError = 'fail' | 'skip' | 'null';
export const ON_ERROR_MODES: readonly OnError[] = ['fail', 'skip', 'null'];

export interface BatchPredictOptions {
  input: string;
  /** Output file (.csv or .jsonl); stdout (JSON lines) when absent. */
  output?: string;
  batchSize: number;
  /** Input columns in the model's order, when the file's header does not say. */
  columns?: string[];
  /** Input columns copied into every output record (rows only). */
  keep?: string[];
  /** An input column whose value replaces the row number as the output's key (rows only). */
  idColumn?: string;
  onError?: OnError;
  onProgress?: (p: { done: number; fraction: number | null }) => void;
}

/** A row or image that was not predicted: where (line or file) and why. */
export interface PredictFailure {
  at: string;
  message: string;
}

export interface BatchPredictSummary {
  /** Rows or images predicted. */
  rows: number;
  /** Rows or images refused (skipped, or written as error rows). */
  failed: number;
  /** The first failures, in input order (at most MAX_LISTED_FAILURES). */
  failures: PredictFailure[];
  seconds: number;
  output: string | null;
}

export const MAX_LISTED_FAILURES = 20;

/** The output format a file name asks for (JSON lines without one); refuses other extensions. */
export function outputFormat(output: string | undefined): Format {
  if (!output) return 'jsonl';
  const ext = path.extname(output).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw invalid(`${JSON.stringify(output)}: give a .csv or .jsonl file (or none for JSON lines on stdout)`);
}

/**
 * Batch inference without a server: streams CSV / JSON lines rows (or a folder of images) through
 * the model batchSize at a time, writing predictions as they come. A file output is written to a
 * temporary name and renamed at the end, so a failure leaves nothing half-written. A row or image
 * that cannot be predicted (a missing or non-numeric value, a corrupt image) stops the job naming
 * it, unless onError says to skip it or write an error row; a job where nothing could be
 * predicted fails either way.
 */
export async function batchPredict(predictor: Predictor, o: BatchPredictOptions): Promise<BatchPredictSummary> {
  const started = process.hrtime.bigint();
  const kind = inputKind(o.input);
  const format = outputFormat(o.output);
  const onError = o.onError ?? 'fail';
  // Refuse a mismatch between input and model before reading anything.
  if (kind === 'images' && predictor.model.spec?.kind !== 'image')
    throw invalid(`model ${predictor.model.name} does not take images; give it a .csv or .jsonl file of rows`);
  if (kind === 'images' && (o.keep?.length || o.idColumn)) throw invalid('images have no input columns to keep; the output names each file');
  if (kind !== 'images') predictor.rowsShapeCheck();
  const keep = [...new Set([...(o.idColumn ? [o.idColumn] : []), ...(o.keep ?? [])])];
  const tmp = o.output ? `${o.output}.${process.pid}.tmp` : null;
  if (o.output) fs.mkdirSync(path.dirname(path.resolve(o.output)), { recursive: true });
  const out: Writable = tmp ? fs.createWriteStream(tmp) : process.stdout;
  // A write error (a full disk) or a write still in flight when a bad row stops the job must
  // become the job's one-line error, never an unhandled 'error' event with a stack trace.
  const writeFailed: { error: unknown } = { error: null };
  if (tmp) out.on('error', (err) => (writeFailed.error ??= fileError(err, `output ${JSON.stringify(o.output)}`)));
  const writer = new PredictionWriter(out, format, {
    idKey: o.idColumn ?? (kind === 'images' ? 'file' : 'row'),
    keep: o.idColumn ? keep.slice(1) : keep,
    labels: predictor.model.labels,
    errorColumn: onError === 'null',
  });
  const summary: BatchPredictSummary = { rows: 0, failed: 0, failures: [], seconds: 0, output: o.output ?? null };
  const first: { error: MlxError | null } = { error: null };
  /** A row or image that cannot be predicted: the job's error (fail), or counted and left out or written as an error row. */
  const refuse = async (at: string, id: unknown, kept: unknown[], err: MlxError) => {
    if (onError === 'fail') throw err;
    first.error ??= err;
    summary.failed++;
    if (summary.failures.length < MAX_LISTED_FAILURES) summary.failures.push({ at, message: err.message });
    if (onError === 'null') await writer.addError(id, kept, err.message);
  };
  const keyOf = (n: number, kept: unknown[]) => (o.idColumn ? kept[0] : n);
  const rest = (kept: unknown[]) => (o.idColumn ? kept.slice(1) : kept);
  try {
    if (kind === 'images') await predictImages(predictor, o, writer, refuse, summary);
    else {
      const input = predictor.model.signature.inputs[0];
      const width = input?.shape.length === 2 && input.shape[1] > 0 ? input.shape[1] : null;
      const source = readRows(o.input, kind, { model: o.columns ?? predictor.model.featureNames, keep }, width);
      const total = fs.statSync(o.input).size;
      let batch: RowItem[] = [];
      let seen = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const good = batch.filter((r) => r.values);
        let preds: (Classification | number[])[] = [];
        if (good.length)
          try {
            preds = await predictor.predictRows(
              good.map((r) => r.values!),
              Number.MAX_SAFE_INTEGER,
            );
          } catch (err) {
            throw invalid(`rows at lines ${good[0].line}–${good[good.length - 1].line}: ${(err as Error).message}`, err);
          }
        let k = 0;
        for (const r of batch) {
          const n = ++seen;
          if (r.error) await refuse(`line ${r.line}`, keyOf(n, r.keep), rest(r.keep), r.error);
          else {
            await writer.add(keyOf(n, r.keep), rest(r.keep), preds[k++]);
            summary.rows++;
          }
        }
        batch = [];
        o.onProgress?.({ done: seen, fraction: total > 0 ? source.bytesRead / total : null });
      };
      for await (const row of source.rows) {
        batch.push(row);
        if (batch.length >= o.batchSize) await flush();
      }
      await flush();
    }
    if (summary.rows === 0 && first.error)
      throw invalid(`nothing could be predicted: all ${summary.failed.toLocaleString('en-US')} failed; the first: ${first.error.message}`, first.error);
    if (tmp) {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      if (writeFailed.error) throw writeFailed.error;
      fs.renameSync(tmp, o.output!);
    }
  } catch (err) {
    if (tmp) {
      // Remove the temporary file once the stream has let go of it.
      const closed = new Promise<void>((resolve) => (out.closed ? resolve() : out.once('close', () => resolve())));
      out.destroy();
      await closed;
      fs.rmSync(tmp, { force: true });
    }
    throw writeFailed.error && !(err instanceof MlxError) ? writeFailed.error : err;
  }
  summary.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return summary;
}

type Refuse = (at: string, id: unknown, kept: unknown[], err: MlxError) => Promise<void>;

/** A folder of images, batchSize at a time; a failing batch is run image by image to name (or set aside) the bad ones. */
async function predictImages(predictor: Predictor, o: BatchPredictOptions, writer: PredictionWriter, refuse: Refuse, summary: BatchPredictSummary) {
  const files = listImages(o.input);
  const all = Number.MAX_SAFE_INTEGER;
  const asError = (f: string, e: unknown) => (e instanceof MlxError ? e : invalid(`${path.basename(f)}: ${(e as Error).message}`, e));
  const read = (f: string) =>
    fs.promises.readFile(f).then(
      (bytes) => ({ bytes }),
      (err: unknown) => ({ error: asError(f, fileError(err, `image ${JSON.stringify(f)}`)) }),
    );
  let done = 0;
  for (let i = 0; i < files.length; i += o.batchSize) {
    const batch = files.slice(i, i + o.batchSize);
    const loaded = await Promise.all(batch.map(read));
    let preds: (Classification | number[])[] | null = null;
    if (loaded.every((l) => 'bytes' in l))
      try {
        preds = await predictor.predictImages(
          loaded.map((l) => (l as { bytes: Buffer }).bytes),
          all,
          { label: (j) => path.basename(batch[j]) },
        );
      } catch (err) {
        // An image's own error (too large, not an image) already names its file.
        if (err instanceof MlxError && o.onError !== 'skip' && o.onError !== 'null') throw err;
      }
    for (let j = 0; j < batch.length; j++) {
      const name = path.basename(batch[j]);
      const l = loaded[j];
      if (preds) {
        await writer.add(name, [], preds[j]);
        summary.rows++;
      } else if ('error' in l) await refuse(name, name, [], l.error);
      else {
        // Run the failed batch image by image: say which file it was, predict the others.
        const one = await predictor.predictImages([l.bytes], all, { label: () => name }).then(
          (p) => p[0],
          (e: unknown) => asError(batch[j], e),
        );
        if (one instanceof MlxError) await refuse(name, name, [], one);
        else {
          await writer.add(name, [], one);
          summary.rows++;
        }
      }
    }
    done += batch.length;
    o.onProgress?.({ done, fraction: done / files.length });
  }
}
