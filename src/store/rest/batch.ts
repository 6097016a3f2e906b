import type { BatchCounts, BatchEntry, Run } from '../../core/entities.js';
import { jsonNumber } from '../../core/entities.js';
import { invalid, MlxError } from '../../core/errors.js';
import { checkBatchEntry } from '../../core/validation.js';

/** MLflow's log-batch limits per request (mlflow/utils/validation.py). */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

export interface CollectedBatch {
  params: Map<string, string>;
  /** Last value per key, as the local store's upserts leave it. */
  tags: Map<string, string>;
  metrics: { key: string; value: number | string; timestamp: number; step: number }[];
  counts: BatchCounts;
}

/**
 * Reads a whole batch and checks it as the local store does (keys, values, a param given twice
 * with different values, a param the run already has with another value), before anything is
 * sent. The run is fetched only when the batch holds a param.
 */
export async function collectBatch(
  runId: string,
  entries: Iterable<BatchEntry> | AsyncIterable<BatchEntry>,
  loadRun: () => Promise<Run>,
): Promise<CollectedBatch> {
  const batch: CollectedBatch = { params: new Map(), tags: new Map(), metrics: [], counts: { metrics: 0, params: 0, tags: 0 } };
  const seenKeys = new Set<string>();
  let existing: Record<string, string> | undefined;
  for await (const e of entries) {
    checkBatchEntry(e, seenKeys, batch.params);
    if (e.type === 'metric') {
      batch.metrics.push({ key: e.key, value: jsonNumber(e.value), timestamp: e.timestamp, step: e.step });
      batch.counts.metrics++;
    } else if (e.type === 'param') {
      if (existing === undefined) {
        const run = await loadRun();
        if (run.info.lifecycle_stage !== 'active') throw new MlxError('INVALID_STATE', `run ${runId} is deleted; restore it first: mlx runs restore ${runId}`);
        existing = run.params;
      }
      const old = existing[e.key];
      if (old !== undefined && old !== e.value)
        throw invalid(
          `param ${JSON.stringify(e.key)} of run ${runId} is already ${JSON.stringify(old)}; params cannot change (tried ${JSON.stringify(e.value)}), log a new run or use a tag`,
        );
      batch.params.set(e.key, e.value);
      batch.counts.params++;
    } else {
      batch.tags.delete(e.key);
      batch.tags.set(e.key, e.value);
      batch.counts.tags++;
    }
  }
  return batch;
}

type Body = { params: { key: string; value: string }[]; tags: { key: string; value: string }[]; metrics: CollectedBatch['metrics'] };

/**
 * Splits a batch into log-batch request bodies within MLflow's limits: params first, so a
 * refused param fails the first request, before any metric or tag of the batch is written.
 * An empty batch is one empty request, so the server still checks the run.
 */
export function batchRequests(batch: CollectedBatch): Body[] {
  const items: ({ kind: 'params' | 'tags'; key: string; value: string } | { kind: 'metrics'; m: Body['metrics'][number] })[] = [
    ...[...batch.params].map(([key, value]) => ({ kind: 'params' as const, key, value })),
    ...[...batch.tags].map(([key, value]) => ({ kind: 'tags' as const, key, value })),
    ...batch.metrics.map((m) => ({ kind: 'metrics' as const, m })),
  ];
  const bodies: Body[] = [];
  let cur: Body = { params: [], tags: [], metrics: [] };
  let size = 0;
  for (const item of items) {
    if (size >= BATCH_LIMITS.total || cur[item.kind].length >= BATCH_LIMITS[item.kind]) {
      bodies.push(cur);
      cur = { params: [], tags: [], metrics: [] };
      size = 0;
    }
    if (item.kind === 'metrics') cur.metrics.push(item.m);
    else cur[item.kind].push({ key: item.key, value: item.value });
    size++;
  }
  if (size > 0 || bodies.length === 0) bodies.push(cur);
  return bodies;
}
