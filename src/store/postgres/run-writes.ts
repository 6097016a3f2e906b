import type { PoolClient } from 'pg';
import type { BatchCounts, BatchEntry, Metric } from '../../core/entities.js';
import { checkBatchEntry } from '../../core/validation.js';
import { paramChanged } from '../sql/checks.js';
import { isLater, upsertLatestSql } from '../sql/rows.js';
import { rows, type Queryable } from './connection.js';

const MINUS_INF = "'-Infinity'::float8";

// Many points per round trip: arrays unnested server-side, one prepared statement for any count.
const INSERT_POINTS = {
  name: 'mlx_insert_points',
  text: `INSERT INTO metrics (run_uuid, key, value, is_nan, step, timestamp)
         SELECT $1, * FROM unnest($2::text[], $3::float8[], $4::smallint[], $5::bigint[], $6::bigint[])`,
};
const UPSERT_LATEST = { name: 'mlx_upsert_latest', text: upsertLatestSql(['$1', '$2', '$3', '$4', '$5', '$6'], MINUS_INF) };
const UPSERT_TAG = {
  name: 'mlx_upsert_tag',
  text: 'INSERT INTO tags (run_uuid, key, value) VALUES ($1, $2, $3) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value',
};

const CHUNK = 5000;

const pointValues = (runId: string, m: Metric) => {
  const nan = Number.isNaN(m.value);
  return [runId, m.key, nan ? null : m.value, nan ? 1 : 0, m.step, m.timestamp];
};

/** Sets a run tag (insert or replace). */
export async function writeTag(db: Queryable, runId: string, key: string, value: string): Promise<void> {
  await db.query({ ...UPSERT_TAG, values: [runId, key, value] });
}

/** Params are immutable: the same value again is accepted, another value is refused (race-free: insert first, then compare). */
export async function writeParams(db: Queryable, runId: string, params: Record<string, string> | Map<string, string>): Promise<void> {
  const entries = params instanceof Map ? [...params] : Object.entries(params);
  if (entries.length === 0) return;
  await db.query('INSERT INTO params (run_uuid, key, value) SELECT $1, * FROM unnest($2::text[], $3::text[]) ON CONFLICT (run_uuid, key) DO NOTHING', [
    runId,
    entries.map((e) => e[0]),
    entries.map((e) => e[1]),
  ]);
  const stored = new Map(
    (
      await rows<{ key: string; value: string }>(db, 'SELECT key, value FROM params WHERE run_uuid = $1 AND key = ANY($2)', [runId, entries.map((e) => e[0])])
    ).map((r) => [r.key, r.value]),
  );
  for (const [k, v] of entries) {
    const old = stored.get(k);
    if (old !== undefined && old !== v) throw paramChanged(runId, k, old, v);
  }
}

/**
 * Writes a stream of entries inside the caller's transaction: metric points in chunks of
 * CHUNK per round trip, latest values and tags once per key at the end, params checked once.
 */
export async function writeBatch(c: PoolClient, runId: string, entries: Iterable<BatchEntry> | AsyncIterable<BatchEntry>): Promise<BatchCounts> {
  const counts: BatchCounts = { metrics: 0, params: 0, tags: 0 };
  const seenKeys = new Set<string>();
  const latest = new Map<string, Metric>();
  const params = new Map<string, string>();
  const tags = new Map<string, string>();
  let cols: unknown[][] = [[], [], [], [], []];
  const flush = async () => {
    if (cols[0].length === 0) return;
    await c.query({ ...INSERT_POINTS, values: [runId, ...cols] });
    cols = [[], [], [], [], []];
  };
  for await (const e of entries) {
    checkBatchEntry(e, seenKeys, params);
    if (e.type === 'metric') {
      pointValues(runId, e)
        .slice(1)
        .forEach((v, i) => cols[i].push(v));
      if (cols[0].length >= CHUNK) await flush();
      const cur = latest.get(e.key);
      if (!cur || isLater(e, cur)) latest.set(e.key, e);
      counts.metrics++;
    } else if (e.type === 'param') {
      params.set(e.key, e.value);
      counts.params++;
    } else {
      tags.set(e.key, e.value);
      counts.tags++;
    }
  }
  await flush();
  await writeParams(c, runId, params);
  for (const [k, v] of tags) await writeTag(c, runId, k, v);
  for (const m of latest.values()) await upsertLatest(c, runId, m);
  return counts;
}

/** Moves a run's latest value of a metric to m, unless the stored one is later. */
export async function upsertLatest(db: Queryable, runId: string, m: Metric): Promise<void> {
  await db.query({ ...UPSERT_LATEST, values: pointValues(runId, m) });
}
