import { TableProfiler } from './profile.js';
import type { DataSchema } from './schema.js';
import { profilerResult, validatorResult, type SegmentResult } from './segment-merge.js';
import { readDelimitedRange, type ByteRange, type TableFormat } from './table-reader.js';
import { Validator } from './validate.js';

/** One segment of a CSV or TSV file to profile or validate, on a worker thread or in the calling one. */
export interface SegmentJob {
  file: string;
  format: TableFormat;
  start: number;
  end: number;
  /** The header's names for every segment but the first (which reads the header itself). */
  names: string[] | null;
  /** Validation's schema; profiling when absent. */
  schema?: DataSchema;
}

/** Reads one segment and returns its mergeable statistics (and violations). Errors are thrown: the caller reads the whole file again for the exact message. */
export async function scanSegment(job: SegmentJob): Promise<SegmentResult> {
  const range: ByteRange = { start: job.start, end: job.end, newlines: 0 };
  if (job.schema) {
    const v = new Validator(job.schema, true);
    await readDelimitedRange(job.file, job.format, v, range, job.names);
    return validatorResult(v, job.schema.expectations, range.newlines);
  }
  const p = new TableProfiler(true);
  await readDelimitedRange(job.file, job.format, p, range, job.names);
  return profilerResult(p, range.newlines);
}
