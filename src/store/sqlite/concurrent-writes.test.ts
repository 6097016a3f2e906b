// Writes that overlap on one SqliteStore (a tracking server's requests, a streamed `mlx log batch -`):
// each transaction stays its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchEntry } from '../../core/entities.js';
import { SqliteStore } from './sqlite-store.js';

const fresh = () => new SqliteStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-overlap-')), '.mlx'));

/** Entries that arrive over several turns of the event loop, failing at the end when asked. */
async function* streamed(key: string, n: number, failAt?: number): AsyncIterable<BatchEntry> {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error('the input broke off');
    await new Promise((r) => setImmediate(r));
    yield { type: 'metric', key, value: i, timestamp: 1000 + i, step: i };
  }
}

describe('overlapping writes on one SQLite store', () => {
  it('streamed batches started at once both land, one after the other', async () => {
    const store = fresh();
    const { run_id } = await store.createRun({ experimentId: '0', userId: 'u' });
    const counts = await Promise.all([
      store.logBatch(run_id, streamed('a', 50)),
      store.logBatch(run_id, streamed('b', 50)),
      store.logBatch(run_id, streamed('c', 50)),
    ]);
    expect(counts.map((c) => c.metrics)).toEqual([50, 50, 50]);
    for (const k of ['a', 'b', 'c']) expect(await store.getMetricHistory(run_id, k)).toHaveLength(50);
    await store.close();
  });

  it('a single write during a streamed batch that fails is kept; the batch is not', async () => {
    const store = fresh();
    const { run_id } = await store.createRun({ experimentId: '0', userId: 'u' });
    const batch = store.logBatch(run_id, streamed('doomed', 30, 20)).then(
      () => null,
      (err: Error) => err,
    );
    await new Promise((r) => setTimeout(r, 5));
    await Promise.all([store.logMetric(run_id, { key: 'single', value: 1, timestamp: 1, step: 0 }), store.setTag(run_id, 'kept', 'yes')]);
    expect((await batch)?.message).toBe('the input broke off');
    expect(await store.getMetricHistory(run_id, 'doomed')).toEqual([]);
    expect(await store.getMetricHistory(run_id, 'single')).toHaveLength(1);
    expect((await store.getRun(run_id)).tags.kept).toBe('yes');
    await store.close();
  });

  it('in-memory batches (a server request) and single writes interleave without sharing a transaction', async () => {
    const store = fresh();
    const { run_id } = await store.createRun({ experimentId: '0', userId: 'u' });
    const entries = (key: string): BatchEntry[] => Array.from({ length: 100 }, (_, i) => ({ type: 'metric', key, value: i, timestamp: i, step: i }));
    const results = await Promise.allSettled([
      store.logBatch(run_id, entries('x')),
      store.logMetric(run_id, { key: 'y', value: 1, timestamp: 1, step: 0 }),
      store.logBatch(run_id, [...entries('z'), { type: 'param', key: 'p', value: 'x'.repeat(7000) }]),
      store.logBatch(run_id, entries('w')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await store.getMetricHistory(run_id, 'z')).toEqual([]);
    for (const k of ['x', 'w']) expect(await store.getMetricHistory(run_id, k)).toHaveLength(100);
    await store.close();
  });
});
