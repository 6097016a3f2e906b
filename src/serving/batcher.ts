import type { Tensor } from './model-runtime.js';

export interface BatcherOptions {
  /** Most rows in one session.run. 1 turns batching off. */
  maxBatchSize: number;
  /** How long an idle batcher waits for a batch to fill. */
  maxDelayMs: number;
  /** False for models whose batch dimension is fixed: requests then run one at a time. */
  dynamic: boolean;
  /** Called with the rows of every session.run, for the batch-size histogram. */
  onBatch?: (rows: number) => void;
  /** Most requests (each image of an upload counts as one) waiting for a run before the predictor refuses more (0 or unset: no limit). */
  maxQueue?: number;
  /** Runs in flight at once (the model's instances; default 1). */
  maxRuns?: number;
}

interface Pending {
  feeds: Record<string, Tensor>;
  rows: number;
  key: string;
  /** An uploaded image (8-bit pixels), not a request's own tensors. */
  image: boolean;
  resolve: (out: Record<string, Tensor>) => void;
  reject: (err: unknown) => void;
}

/** Runs feeds; owned says the feeds are the batcher's own copy, which the runner may hand off (transfer) instead of copying. */
type Runner = (feeds: Record<string, Tensor>, owned: boolean) => Promise<Record<string, Tensor>>;

/** Rows of the first input; every input of a request must agree (checked by the caller's signature check). */
function rowsOf(feeds: Record<string, Tensor>): number {
  const first = Object.values(feeds)[0];
  return first && first.dims.length > 0 ? first.dims[0] : 1;
}

/**
 * Requests can share a run only when every input has the same shape past the batch dimension,
 * and images still in 8-bit pixels only with other images (one predictor has one image spec).
 */
function shapeKey(feeds: Record<string, Tensor>): string {
  return Object.keys(feeds)
    .sort()
    .map((k) => `${k}:${feeds[k].type}:${feeds[k].dims.slice(1).join('x')}${feeds[k].pixels ? ':pixels' : ''}`)
    .join('|');
}

/**
 * Dynamic batching as in Triton: requests that arrive while a run is in flight, or within
 * maxDelayMs of an idle batcher, are concatenated along the batch dimension into one
 * session.run of at most maxBatchSize rows, and the outputs are split back per request.
 * One run at a time per instance of the model (onnxruntime spreads each run over its threads);
 * with several instances, the next batch starts as soon as one is free.
 */
export class DynamicBatcher {
  private queue: Pending[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly runner: Runner,
    private readonly opts: BatcherOptions,
  ) {}

  /** Runs one request's feeds, possibly together with others'. */
  submit(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ feeds, rows: rowsOf(feeds), key: shapeKey(feeds), image: Object.values(feeds).some((t) => t.pixels), resolve, reject });
      this.schedule();
    });
  }

  /** Requests waiting to run (each image of an upload is one). */
  get pending(): number {
    return this.queue.length;
  }

  /** How many of the pending are uploaded images. */
  get pendingImages(): number {
    return this.queue.reduce((n, p) => n + (p.image ? 1 : 0), 0);
  }

  /** The most that may wait (0: no limit): more would only wait longer (load shedding, as Triton's max_queue_size; Predictor.admit). */
  get maxQueue(): number {
    return this.opts.maxQueue ?? 0;
  }

  /** True while every instance has a run in flight. */
  private get busy(): boolean {
    return this.running >= (this.opts.maxRuns ?? 1);
  }

  private schedule(): void {
    if (this.busy || this.queue.length === 0) return;
    const batching = this.opts.dynamic && this.opts.maxBatchSize > 1;
    const queuedRows = this.queue.reduce((n, p) => n + p.rows, 0);
    if (!batching || queuedRows >= this.opts.maxBatchSize || this.opts.maxDelayMs <= 0) return void this.flush();
    this.timer ??= setTimeout(() => this.flush(), this.opts.maxDelayMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.busy || this.queue.length === 0) return;
    const batching = this.opts.dynamic && this.opts.maxBatchSize > 1;
    const first = this.queue[0];
    const group: Pending[] = [first];
    let rows = first.rows;
    if (batching)
      for (const p of this.queue.slice(1)) {
        if (p.key !== first.key || rows + p.rows > this.opts.maxBatchSize) continue;
        group.push(p);
        rows += p.rows;
      }
    this.queue = this.queue.filter((p) => !group.includes(p));
    this.running++;
    this.execute(group, rows).finally(() => {
      this.running--;
      // Whatever queued up during the run goes next, without waiting: the batch formed itself.
      if (this.queue.length) this.flush();
    });
  }

  private async execute(group: Pending[], rows: number): Promise<void> {
    this.opts.onBatch?.(rows);
    if (group.length === 1) {
      try {
        group[0].resolve(await this.runner(group[0].feeds, false));
      } catch (err) {
        group[0].reject(err);
      }
      return;
    }
    let out: Record<string, Tensor>;
    try {
      out = await this.runner(concat(group.map((p) => p.feeds)), true);
    } catch {
      // One bad request must not fail its neighbours: run each alone to find out whose it was.
      for (const p of group) await this.runner(p.feeds, false).then(p.resolve, p.reject);
      return;
    }
    const parts = split(
      out,
      group.map((p) => p.rows),
      rows,
    );
    if (!parts) {
      for (const p of group) await this.runner(p.feeds, false).then(p.resolve, p.reject);
      return;
    }
    group.forEach((p, i) => p.resolve(parts[i]));
  }
}

function concat(feedsList: Record<string, Tensor>[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(feedsList[0])) {
    const parts = feedsList.map((f) => f[name]);
    const total = parts.reduce((n, t) => n + t.data.length, 0);
    const Ctor = parts[0].data.constructor as new (n: number) => Tensor['data'];
    const data = new Ctor(total);
    let offset = 0;
    for (const t of parts) {
      (data as Float32Array).set(t.data as Float32Array, offset);
      offset += t.data.length;
    }
    out[name] = { type: parts[0].type, data, dims: [parts.reduce((n, t) => n + t.dims[0], 0), ...parts[0].dims.slice(1)], pixels: parts[0].pixels };
  }
  return out;
}

/** Splits outputs along the batch dimension; null when an output has no batch dimension to split. */
function split(out: Record<string, Tensor>, rowCounts: number[], total: number): Record<string, Tensor>[] | null {
  const parts: Record<string, Tensor>[] = rowCounts.map(() => ({}));
  for (const [name, t] of Object.entries(out)) {
    if (t.dims.length === 0 || t.dims[0] !== total) return null;
    const rowSize = t.data.length / total;
    let row = 0;
    rowCounts.forEach((n, i) => {
      parts[i][name] = { type: t.type, data: t.data.subarray(row * rowSize, (row + n) * rowSize) as Tensor['data'], dims: [n, ...t.dims.slice(1)] };
      row += n;
    });
  }
  return parts;
}
