import fs from 'node:fs';
import os from 'node:os';
import { profileFile as profileWhole, TableProfiler, type DataProfile, type ProfileOptions } from './profile.js';
import type { DataSchema } from './schema.js';
import { mergeProfiler, mergeValidator, type SegmentResult } from './segment-merge.js';
import { scanSegment, type SegmentJob } from './segment-scan.js';
import { readDelimitedRange, tableFormat, type TableFormat, type TableVisitor } from './table-reader.js';
import { validateFile as validateWhole, Validator, type ValidationReport } from './validate.js';

/**
 * Profiling and validating a file, split across threads. A CSV or TSV file larger than one segment is
 * cut at the first line end past every SEGMENT_BYTES; each segment is read on its own (by a worker
 * thread, or in turn by this one) and the segments' statistics are merged in file order. The cuts
 * depend only on the file, so every thread count gives the same result. A cut inside a quoted field
 * (a quoted newline) makes the segment before it end inside a quote, which is an error there; on any
 * segment error the file is read again whole, in one pass, so errors and their line numbers are
 * exactly those of a single-threaded read. JSON lines files and files of one segment are read in one pass.
 * 8 MB: the threads end within one short segment of each other (16 MB segments left one thread idle for
 * up to half a second at the end of a 128 MB file), and a segment's statistics stay small to hand on.
 */
export const SEGMENT_BYTES = 8 * 1024 * 1024;
/**
 * Most threads used by default (this one and a worker). Each worker is a V8 heap of its own (~50-100 MB):
 * validating a 1,000,000-row file peaks near 230 MB with 2 threads (bench/RESULTS.md), and 4 threads
 * came close to the 500 MB target, so more threads are asked for with --threads.
 */
export const MAX_DEFAULT_THREADS = 2;

/**
 * Each thread's heap, smaller than V8's defaults: a segment makes millions of short-lived cell strings
 * and keeps only its statistics, so small heaps collect as cheaply and keep the process's memory down.
 * A segment whose statistics outgrow it (long unique texts) is read in one pass instead.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 };

export interface ScanOptions {
  /** Threads reading segments (default min(cores, 2)); 1 reads them in turn in this thread. */
  threads?: number;
  /** Segment size (default SEGMENT_BYTES, or MLX_DATA_SEGMENT_BYTES: small segments let tests cut small files). */
  segmentBytes?: number;
}

function segmentBytes(o: ScanOptions): number {
  const env = Number(process.env.MLX_DATA_SEGMENT_BYTES);
  return Math.max(64 * 1024, o.segmentBytes ?? (Number.isSafeInteger(env) && env > 0 ? env : SEGMENT_BYTES));
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_THREADS));
}

/**
 * The segments' start offsets and the file size: a cut is just past a line end (never before a byte-order
 * mark). Segments are `every` bytes until the last 4 × every, then a quarter of what is left (at least
 * every / 4): threads taking segments in turn end within a short segment of each other.
 */
export function segmentCuts(file: string, size: number, every = SEGMENT_BYTES): number[] {
  const step = (left: number) => Math.ceil(Math.max(every / 4, Math.min(every, left / 4)));
  const cuts = [0];
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let at = step(size); at < size;) {
      const n = fs.readSync(fd, buf, 0, buf.length, at);
      if (n === 0) break;
      const nl = buf.subarray(0, n).indexOf(10);
      if (nl < 0) {
        at += n;
        continue;
      }
      const cut = at + nl + 1;
      if (cut >= size) break;
      const head = Buffer.alloc(3);
      fs.readSync(fd, head, 0, 3, cut);
      if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
        at = cut;
        continue;
      }
      cuts.push(cut);
      at = cut + step(size - cut);
    }
  } finally {
    fs.closeSync(fd);
  }
  cuts.push(size);
  return cuts;
}

class Stop extends Error {}

/** The header's names, read from the first segment, or null when it cannot be read (the whole read will say why). */
async function headerNames(file: string, format: TableFormat, end: number): Promise<string[] | null> {
  let names: string[] | null = null;
  const visitor: TableVisitor = {
    columns(n) {
      names = n;
      throw new Stop();
    },
    row() {},
  };
  try {
    await readDelimitedRange(file, format, visitor, { start: 0, end, newlines: 0 }, null);
  } catch (err) {
    if (!(err instanceof Stop)) return null;
  }
  return names;
}

type Merge = (r: SegmentResult, first: boolean, offset: number) => void;

/**
 * Reads the segments, this thread and threads - 1 workers taking them in turn, and merges them in file
 * order as they arrive; false when a segment failed. A worker holds two jobs (one read, one queued), so
 * it never waits on a merge; this thread merges the workers' results between the chunks of its own.
 */
async function scanSegments(jobs: SegmentJob[], threads: number, merge: Merge): Promise<boolean> {
  let offset = 0;
  let next = 0;
  let claimed = 0;
  let over = false;
  const done = new Map<number, SegmentResult>();
  const take = () => {
    for (let r = done.get(next); r; r = done.get(next)) {
      done.delete(next);
      merge(r, next === 0, offset);
      offset += r.newlines;
      next++;
    }
  };
  const helpers = Math.min(threads - 1, jobs.length - 1);
  const { Worker } = helpers > 0 ? await import('node:worker_threads') : { Worker: null };
  const workers = Worker
    ? Array.from({ length: helpers }, () => new Worker(new URL('./segment-worker.js', import.meta.url), { resourceLimits: WORKER_LIMITS }))
    : [];
  try {
    return await new Promise<boolean>((resolve, reject) => {
      const end = (ok: boolean, err?: unknown) => {
        over = true;
        if (err === undefined) resolve(ok);
        else reject(err);
      };
      const arrived = (id: number, r: SegmentResult) => {
        if (over) return;
        done.set(id, r);
        try {
          take();
        } catch (err) {
          return end(false, err);
        }
        if (next === jobs.length) end(true);
      };
      const send = (w: (typeof workers)[number]) => {
        if (claimed < jobs.length && !over) w.postMessage({ id: claimed, job: jobs[claimed++] });
      };
      for (const w of workers) {
        w.on('message', (m: { id: number; result?: SegmentResult; error?: string }) => {
          if (!m.result) return end(false);
          send(w);
          arrived(m.id, m.result);
        });
        // A segment whose statistics outgrow a thread's heap (a file of long unique texts): read in one pass instead.
        w.on('error', (err: Error & { code?: string }) => (err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? end(false) : end(false, err)));
      }
      // This thread's own segments, one at a time (the first while the workers start).
      const own = async () => {
        for (let id = claimed++; id < jobs.length && !over; id = claimed++) {
          let r: SegmentResult;
          try {
            r = await scanSegment(jobs[id]);
          } catch {
            return end(false);
          }
          arrived(id, r);
        }
      };
      own().catch((err: unknown) => end(false, err));
      for (let k = 0; k < 2; k++) for (const w of workers) send(w);
    });
  } finally {
    over = true;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Jobs for a file's segments, or null when it is read in one pass (JSON lines, one segment, no readable header). */
async function segmentJobs(file: string, schema: DataSchema | undefined, o: ScanOptions): Promise<SegmentJob[] | null> {
  const format = tableFormat(file);
  if (format === 'jsonl') return null;
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return null;
    size = stat.size;
  } catch {
    return null;
  }
  const every = segmentBytes(o);
  if (size <= every) return null;
  const cuts = segmentCuts(file, size, every);
  if (cuts.length < 3) return null;
  const names = await headerNames(file, format, cuts[1]);
  if (!names) return null;
  return cuts.slice(0, -1).map((start, i) => ({ file, format, start, end: cuts[i + 1], names: i === 0 ? null : names, ...(schema ? { schema } : {}) }));
}

/** Profiles a CSV, TSV or JSON lines file; a file with no rows is an error. */
export async function profileFile(file: string, o: ProfileOptions & ScanOptions = {}): Promise<DataProfile> {
  const jobs = await segmentJobs(file, undefined, o);
  if (jobs) {
    const profiler = new TableProfiler(true);
    profiler.columns(jobs[1].names!);
    const ok = await scanSegments(jobs, o.threads ?? defaultThreads(), (r, first) => {
      if (first && r.names.join('\n') !== jobs[1].names!.join('\n')) throw new Stop();
      mergeProfiler(profiler, r, first);
    }).catch((err: unknown) => (err instanceof Stop ? false : Promise.reject(err)));
    if (ok) return profiler.profile(file, tableFormat(file), o);
  }
  return profileWhole(file, o);
}

/** Validates a CSV, TSV or JSON lines file against a schema. */
export async function validateFile(file: string, schema: DataSchema, schemaName: string, o: ScanOptions = {}): Promise<ValidationReport> {
  const jobs = await segmentJobs(file, schema, o);
  if (jobs) {
    const v = new Validator(schema, true);
    // The header's names first: an expression naming a column the file lacks is refused before any reading.
    v.columns(jobs[1].names!);
    const ok = await scanSegments(jobs, o.threads ?? defaultThreads(), (r, first, offset) => {
      if (first && r.names.join('\n') !== jobs[1].names!.join('\n')) throw new Stop();
      mergeValidator(v, schema.expectations, r, first, offset);
    }).catch((err: unknown) => (err instanceof Stop ? false : Promise.reject(err)));
    if (ok) return v.finish(file, schemaName);
  }
  return validateWhole(file, schema, schemaName);
}
