import { parentPort } from 'node:worker_threads';
import { scanSegment, type SegmentJob } from './segment-scan.js';

// A worker thread of scan-file.ts: reads the segments it is sent, one at a time, and posts back
// their statistics (or that the segment failed: the main thread then reads the whole file itself,
// so the error it reports is exactly that of a single-threaded read).
/** The array buffers a result holds (key numbers, held quantile values, bucket counts): moved to the main thread, not copied. */
function buffers(result: object): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (ArrayBuffer.isView(x)) {
      if (x.buffer instanceof ArrayBuffer) out.add(x.buffer);
    } else if (x instanceof Map) for (const v of x.values()) walk(v);
    else if (!(x instanceof Set)) for (const v of Object.values(x)) walk(v);
  };
  walk(result);
  return [...out];
}

// Jobs are queued (the main thread sends the next before this one ends, so no time is lost waiting for
// it) and read one after another.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (msg: { id: number; job: SegmentJob }) => {
  queue = queue.then(() =>
    scanSegment(msg.job).then(
      (result) => parentPort!.postMessage({ id: msg.id, result }, buffers(result)),
      (err: unknown) => parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
    ),
  );
});
