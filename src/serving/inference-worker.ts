import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { scalePixels, type PixelScaling } from './pixels.js';
import type { NumericArray } from './tensors.js';

interface WireTensor {
  type: string;
  data: NumericArray;
  dims: number[];
  pixels?: PixelScaling;
}

// The worker is a small CommonJS script evaluated in place (no file to find next to the
// compiled module, so it works from dist/ and from the TypeScript sources alike). Image batches
// arrive as 8-bit pixels and are scaled to floats here, off the serving thread.
const WORKER_SOURCE = `
${scalePixels.toString()}
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const ready = ort.InferenceSession.create(workerData.bytes, workerData.options);
ready.then(() => parentPort.postMessage({ type: 'ready' }), (err) => parentPort.postMessage({ type: 'error', message: String((err && err.message) || err) }));
parentPort.on('message', async (msg) => {
  const session = await ready.catch(() => null);
  if (msg.type === 'release') {
    if (session) await session.release();
    parentPort.close();
    return;
  }
  try {
    const feeds = {};
    for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type, t.pixels ? scalePixels(t.data, t.dims, t.pixels) : t.data, t.dims);
    const out = await session.run(feeds);
    const outputs = {};
    const transfer = [];
    for (const [name, t] of Object.entries(out)) {
      const data = t.data.slice();
      outputs[name] = { type: t.type, data, dims: Array.from(t.dims) };
      if (ArrayBuffer.isView(data)) transfer.push(data.buffer);
    }
    parentPort.postMessage({ type: 'result', id: msg.id, outputs }, transfer);
  } catch (err) {
    parentPort.postMessage({ type: 'error', id: msg.id, message: String((err && err.message) || err) });
  }
});
`;

/**
 * An onnxruntime session on its own thread. onnxruntime-node runs inference synchronously on
 * the calling thread; on the main thread that stalls every request in flight (uploads, image
 * decoding results, responses) for the length of a run. Here the event loop keeps serving
 * while the worker computes, and the batcher fills the next batch meanwhile.
 */
export class InferenceWorker {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (o: Record<string, WireTensor>) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: { type: string; id?: number; outputs?: Record<string, WireTensor>; message?: string }) => {
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'result') p.resolve(msg.outputs!);
      else p.reject(new Error(msg.message));
    });
    const failAll = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', () => failAll(new Error('the inference thread stopped')));
  }

  /** Starts a thread and loads the model there; rejects with onnxruntime's reason if it cannot. */
  static start(bytes: Uint8Array, options: object): Promise<InferenceWorker> {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, bytes, options } });
    return new Promise((resolve, reject) => {
      const onMessage = (msg: { type: string; message?: string }) => {
        if (msg.type === 'ready') {
          worker.off('message', onMessage);
          resolve(new InferenceWorker(worker));
        } else if (msg.type === 'error' && !('id' in msg)) {
          worker.off('message', onMessage);
          void worker.terminate();
          reject(new Error(msg.message));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  /** Runs sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Runs the session on feeds and returns its outputs. Feeds are copied to the thread, or moved there when owned (their buffers are then detached here). */
  run(feeds: Record<string, WireTensor>, owned = false): Promise<Record<string, WireTensor>> {
    const id = this.nextId++;
    const transfer = owned ? Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer) : [];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, feeds }, transfer);
    });
  }

  /** Releases the session and ends the thread. */
  async release(): Promise<void> {
    this.worker.postMessage({ type: 'release' });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000);
      this.worker.once('exit', () => (clearTimeout(timer), resolve()));
    });
  }
}
