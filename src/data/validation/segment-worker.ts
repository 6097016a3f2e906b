import { parentPort } from 'node:worker_threads';
import { scanSegment, type SegmentJob } from './segment-scan.js';

// A worker thread of scan-file.ts: reads the segments it is sent, one at a time, and posts back
// their statistics (or that the segment failed: the main thread then reads the whole file itself,
// so the error it reports is exactly that of a single-threaded read).
// Jobs are queued (the main thread sends the next before this one ends, so no time is lost waiting for
// it) and read one after another.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (msg: { id: number; job: SegmentJob }) => {
  queue = queue.then(() =>
    scanSegment(msg.job).then(
      (result) => parentPort!.postMessage({ id: msg.id, result }),
      (err: unknown) => parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
    ),
  );
});
