import { MlxError, invalid } from '../core/errors.js';
import { DynamicBatcher, type BatcherOptions } from './batcher.js';
import { LIMIT_WORDS, type LimitNames } from './defaults.js';
import { checkImageSize, maxPixelsFor, relabel } from './image-limits.js';
import { decodeImagePixels, readImageHeader, type ImageHeader } from './image-preprocess.js';
import { checkTensor, type ServedModel, type Tensor } from './model-runtime.js';
import { classify, probabilities, type Classification } from './postprocess.js';
import { positionOf } from './cells.js';
import { toTypedArray } from './tensors.js';

export interface PredictorLimits {
  /** Decoded pixels per uploaded image (default 40 Mpx, never below the model's input size). */
  maxImagePixels?: number;
  /** How refusals name the limits (`mlx serve`'s flags). */
  names?: LimitNames;
}

export interface PredictorHooks {
  onBatch?: (rows: number) => void;
  /** Seconds spent decoding and preprocessing one image. */
  onPreprocess?: (seconds: number) => void;
}

/** What a served model answers: raw tensors, tabular rows or images, through one dynamic batcher. */
export class Predictor {
  readonly batcher: DynamicBatcher;
  /** Requests (and shadow runs) using this predictor now; a replaced predictor is released once none are left. */
  private leases = 0;
  private onIdle: (() => void) | null = null;
  /** Images admitted and not yet handed to the batcher (being checked or decoded): they count as waiting. */
  private decoding = 0;
  /** The pixel limit per image for this model; null for models that take no images. */
  readonly maxImagePixels: number | null;
  private readonly names: LimitNames;

  constructor(
    readonly model: ServedModel,
    batching: Omit<BatcherOptions, 'dynamic' | 'onBatch'>,
    private readonly hooks: PredictorHooks = {},
    limits: PredictorLimits = {},
  ) {
    this.maxImagePixels = model.spec?.kind === 'image' ? maxPixelsFor(model.spec, limits.maxImagePixels) : null;
    this.names = limits.names ?? LIMIT_WORDS;
    this.batcher = new DynamicBatcher((feeds, owned) => model.run(feeds, owned), {
      ...batching,
      dynamic: model.dynamicBatch,
      maxRuns: model.instances,
      onBatch: hooks.onBatch,
    });
  }

  /** Marks a request as using this predictor until release(). */
  acquire(): this {
    this.leases++;
    return this;
  }

  /** Ends a use begun with acquire(). */
  release(): void {
    if (--this.leases === 0 && this.onIdle) {
      const idle = this.onIdle;
      this.onIdle = null;
      idle();
    }
  }

  /** Releases the model once no request uses it any more (at once when idle). */
  retire(): Promise<void> {
    return new Promise((resolve) => {
      const go = () => void this.model.release().then(resolve, resolve);
      if (this.leases <= 0) go();
      else this.onIdle = go;
    });
  }

  /**
   * Refuses a request while the queue limit's requests and images are waiting (503 over HTTP), before any
   * work is done for it. Otherwise admits it whole, with its `images` (as Triton admits a batch
   * request while its queue has room): they count as waiting from now on, until they are queued.
   */
  admit(images = 0): void {
    const max = this.batcher.maxQueue;
    if (max > 0 && this.batcher.pending + this.decoding >= max) {
      const waitingImages = this.batcher.pendingImages + this.decoding;
      const requests = this.batcher.pending - this.batcher.pendingImages;
      const what = [
        requests > 0 ? `${requests} request${requests === 1 ? '' : 's'}` : '',
        waitingImages > 0 ? `${waitingImages} image${waitingImages === 1 ? '' : 's'}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      throw new MlxError(
        'TEMPORARILY_UNAVAILABLE',
        `model ${this.model.name} is busy: ${what} ${requests + waitingImages === 1 ? 'is' : 'are'} waiting for inference (${this.names.maxQueue} ${max}); retry shortly, or raise ${this.names.maxQueue}`,
      );
    }
    this.decoding += images;
  }

  /** Runs named input tensors, checked against the signature first. */
  async infer(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    this.admit();
    return this.submit(feeds);
  }

  /** Checks feeds against the signature and queues them for the batcher (the request was admitted). */
  private submit(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const inputs = this.model.signature.inputs;
    for (const spec of inputs) {
      const t = feeds[spec.name];
      if (!t) throw invalid(`input "${spec.name}" is missing; the model takes ${inputs.map((i) => `"${i.name}"`).join(', ')}`);
      checkTensor(spec, t);
    }
    const unknown = Object.keys(feeds).filter((k) => !inputs.some((i) => i.name === k));
    if (unknown.length) throw invalid(`input "${unknown[0]}" is not an input of the model; it takes ${inputs.map((i) => `"${i.name}"`).join(', ')}`);
    return this.batcher.submit(feeds);
  }

  /** Refuses models that do not take rows of numbers (one 2-D input). */
  rowsShapeCheck(): void {
    const inputs = this.model.signature.inputs;
    if (inputs.length !== 1 || inputs[0].shape.length !== 2)
      throw invalid(`rows of numbers need a model with one 2-D input; this one takes ${inputs.map((i) => `"${i.name}" [${i.shape.join(', ')}]`).join(', ')}`);
  }

  /**
   * The model's single input as a [rows, features] tensor of its element type. A refused value is
   * named by its 0-based row and its column: `columns` (the request's names, in the model's order),
   * else the model's feature names, else the column's index.
   */
  rowsToFeeds(rows: unknown[][], columns?: readonly string[] | null): Record<string, Tensor> {
    this.rowsShapeCheck();
    const width = rows[0]?.length ?? 0;
    if (rows.length === 0) throw invalid('no rows to predict');
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== width) throw invalid(`row ${i} has ${Array.isArray(r) ? r.length : 'no'} values; every row needs ${width}`);
    });
    const names = columns ?? this.model.featureNames;
    return this.tableToFeeds(rows.flat(), rows.length, width, (i) => positionOf(i, [rows.length, width], names));
  }

  /** Row-major values of `rows` rows of `width` as the model's single input; `at` names a flat index's row and column. */
  tableToFeeds(values: ArrayLike<unknown>, rows: number, width: number, at: (i: number) => string): Record<string, Tensor> {
    this.rowsShapeCheck();
    const input = this.model.signature.inputs[0];
    if (rows === 0) throw invalid('no rows to predict');
    if (input.shape[1] >= 0 && width !== input.shape[1])
      throw invalid(`input "${input.name}" expects shape [${input.shape.join(', ')}]: rows of ${input.shape[1]} values, got ${width}`);
    return { [input.name]: { type: input.type, data: toTypedArray(input.type, values, `input "${input.name}"`, at), dims: [rows, width] } };
  }

  /** True when the first output is [batch, classes]: predictions are then classes with confidences. */
  get classifies(): boolean {
    const out = this.model.signature.outputs[0];
    return !!out && out.shape.length === 2 && (out.shape[1] > 1 || (out.shape[1] === -1 && !!this.model.labels));
  }

  /** Classifications (or raw output rows for non-classifiers) of the first output, one per row. */
  interpret(out: Record<string, Tensor>, topK: number): (Classification | number[])[] {
    const first = out[this.model.signature.outputs[0]?.name ?? ''] ?? Object.values(out)[0];
    const n = first.dims[0] ?? 1;
    const width = first.data.length / Math.max(n, 1);
    const mode = this.model.spec?.softmax ?? 'auto';
    const result: (Classification | number[])[] = [];
    for (let i = 0; i < n; i++) {
      const row = Array.from(first.data.subarray(i * width, (i + 1) * width) as ArrayLike<number>, Number);
      result.push(this.classifies ? classify(probabilities(row, mode), this.model.labels, topK) : row);
    }
    return result;
  }

  /**
   * One prediction per row of the first output, as the inference log and shadow comparisons keep
   * them: the top class's label for classifiers (the argmax: softmax keeps the order, ties go to the
   * lower class id as in interpret), else the output row (a single value as a number).
   */
  predictions(out: Record<string, Tensor>): (string | number | number[])[] {
    const first = out[this.model.signature.outputs[0]?.name ?? ''] ?? Object.values(out)[0];
    const n = first.dims[0] ?? 1;
    const width = first.data.length / Math.max(n, 1);
    const data = first.data as ArrayLike<number | bigint>;
    const labels = this.model.labels;
    const result: (string | number | number[])[] = [];
    for (let i = 0; i < n; i++) {
      const at = i * width;
      if (this.classifies) {
        let best = 0;
        for (let j = 1; j < width; j++) if (Number(data[at + j]) > Number(data[at + best])) best = j;
        result.push(labels?.[best] ?? String(best));
      } else if (width === 1) result.push(Number(data[at]));
      else result.push(Array.from({ length: width }, (_, j) => Number(data[at + j])));
    }
    return result;
  }

  /** Predictions for tabular rows. */
  async predictRows(rows: unknown[][], topK = 1): Promise<(Classification | number[])[]> {
    return this.interpret(await this.infer(this.rowsToFeeds(rows)), topK);
  }

  /**
   * Predictions for encoded images, preprocessed by the model's image spec. Every image's header is
   * read and checked against the pixel limit before any is decoded, so a request with one bomb among
   * its images costs no decoding; an error names its image with `label(i)` when given.
   */
  async predictImages(images: Uint8Array[], topK = 1, opts: { label?: (index: number) => string } = {}): Promise<(Classification | number[])[]> {
    const spec = this.model.spec;
    if (spec?.kind !== 'image')
      throw invalid(`model ${this.model.name} does not take images (preprocessing: ${spec ? 'tabular' : 'none'}); send JSON {"instances": [[...], ...]}`);
    const maxPixels = this.maxImagePixels!;
    this.admit(images.length);
    let queued = 0;
    const stop = new AbortController();
    // The first failure (by image order) is the request's answer; the images after it are not decoded.
    const first = (results: PromiseSettledResult<unknown>[]) => {
      const i = results.findIndex((r) => r.status === 'rejected' && !(stop.signal.aborted && r.reason === stop.signal.reason));
      return i < 0 ? null : opts.label ? relabel((results[i] as PromiseRejectedResult).reason, opts.label(i)) : (results[i] as PromiseRejectedResult).reason;
    };
    try {
      const headers = await Promise.allSettled(
        images.map(async (bytes): Promise<ImageHeader> => {
          const h = await readImageHeader(bytes);
          checkImageSize(h.width, h.height, maxPixels, this.names.maxImagePixels);
          return h;
        }),
      );
      const refused = first(headers);
      if (refused) throw refused;
      const input = this.model.signature.inputs[0];
      const results = await Promise.allSettled(
        images.map(async (bytes, i) => {
          try {
            const t0 = process.hrtime.bigint();
            const tensor = await decodeImagePixels(bytes, spec, (headers[i] as PromiseFulfilledResult<ImageHeader>).value, maxPixels, stop.signal);
            this.hooks.onPreprocess?.(Number(process.hrtime.bigint() - t0) / 1e9);
            this.decoding--;
            queued++;
            return await this.submit({ [input.name]: tensor });
          } catch (err) {
            stop.abort();
            throw err;
          }
        }),
      );
      const failed = first(results);
      if (failed) throw failed;
      return results.flatMap((r) => this.interpret((r as PromiseFulfilledResult<Record<string, Tensor>>).value, topK));
    } finally {
      this.decoding -= images.length - queued;
    }
  }
}
