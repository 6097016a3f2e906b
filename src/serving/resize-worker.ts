import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { pilResizeSource } from './pil-resize.js';

/** What the resize thread does: decode with sharp to raw pixels (colour space, no alpha), then PIL's bilinear resize. */
export interface ResizeJob {
  bytes: Uint8Array;
  /** 1 (greyscale) or 3 (sRGB). */
  channels: number;
  width: number;
  height: number;
  /** sharp's limitInputPixels: a second guard behind the header check. */
  maxPixels: number;
}

/** The resized pixels, interleaved, `stride` bytes per pixel. */
export interface Resized {
  data: Uint8Array;
  stride: number;
}

/** A file that is not an image sharp can decode: the caller answers 400. */
export class DecodeFailed extends Error {}

// A CommonJS script evaluated in place, like the inference thread's. sharp is loaded on the main
// thread before any of these start, so its shared libraries stay loaded when a thread ends.
const WORKER_SOURCE = `
${pilResizeSource()}
const { parentPort, workerData } = require('node:worker_threads');
// Below the event loop's priority (Linux sets it per thread): when both want a core, /health and
// the requests in flight go first, the resize a moment later.
try { require('node:os').setPriority(10); } catch {}
const sharp = require(workerData.sharpPath);
sharp.cache(false);
parentPort.on('message', async (job) => {
  let raw;
  try {
    raw = await sharp(job.bytes, { failOn: 'error', limitInputPixels: job.maxPixels, ignoreIcc: true })
      .toColourspace(job.channels === 1 ? 'b-w' : 'srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    parentPort.postMessage({ id: job.id, decodeError: String((err && err.message) || err).split('\\n')[0] });
    return;
  }
  try {
    const { width, height, channels } = raw.info;
    const data = pilBilinearResize(raw.data, width, height, channels, job.width, job.height);
    // sharp's own buffer (returned when no resize was needed) cannot be moved, only copied.
    parentPort.postMessage({ id: job.id, data, stride: channels }, data.buffer === raw.data.buffer ? [] : [data.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
  }
});
`;

interface Reply {
  id: number;
  data?: Uint8Array;
  stride?: number;
  decodeError?: string;
  error?: string;
}

/** One resize thread; referenced (keeping the process alive) only while it has work. */
class ResizeThread {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: Resized) => void; reject: (e: Error) => void }>();
  readonly worker: Worker;

  constructor(sharpPath: string, onGone: (t: ResizeThread) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sharpPath } });
    this.worker.unref();
    this.worker.on('message', (msg: Reply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.data) p.resolve({ data: new Uint8Array(msg.data.buffer, msg.data.byteOffset, msg.data.length), stride: msg.stride! });
      else if (msg.decodeError !== undefined) p.reject(new DecodeFailed(msg.decodeError));
      else p.reject(new Error(msg.error));
    });
    const fail = (err: Error) => {
      onGone(this);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the image resize thread stopped')));
  }

  get load(): number {
    return this.pending.size;
  }

  run(job: ResizeJob): Promise<Resized> {
    const id = this.nextId++;
    // A copy of just this image: a view into the request body would clone the whole body.
    const bytes = new Uint8Array(job.bytes);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...job, id, bytes }, [bytes.buffer]);
    });
  }
}

/**
 * Threads, started when first needed: two, as the decode budget lets two images of the default
 * limit decode at once. A thread resizing one image cannot start decoding the next (its event loop
 * is busy), so with one thread decodes and resizes would take turns. Beyond two, images of 20 Mpx
 * and less wait for a thread but not for memory.
 */
const MAX_THREADS = 2;
const threads: ResizeThread[] = [];
let sharpPath: string | undefined;

/** Decodes and resizes an image on a resize thread, leaving the event loop free meanwhile. */
export function resizeOffThread(job: ResizeJob): Promise<Resized> {
  let thread = threads.reduce<ResizeThread | undefined>((best, t) => (!best || t.load < best.load ? t : best), undefined);
  if (!thread || (thread.load > 0 && threads.length < MAX_THREADS)) {
    sharpPath ??= createRequire(import.meta.url).resolve('sharp');
    thread = new ResizeThread(sharpPath, (gone) => {
      const i = threads.indexOf(gone);
      if (i >= 0) threads.splice(i, 1);
    });
    threads.push(thread);
  }
  return thread.run(job);
}
