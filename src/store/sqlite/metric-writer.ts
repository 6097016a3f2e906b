import type { BatchCounts, BatchEntry, Metric } from '../../core/entities.js';
import { checkBatchEntry } from '../../core/validation.js';
import type { Statement } from 'better-sqlite3';
import { paramChanged } from '../sql/checks.js';
import { isLater, upsertLatestSql } from '../sql/rows.js';
import type { Db } from './database.js';

export { isLater };

const UPSERT_LATEST = upsertLatestSql(['?', '?', '?', '?', '?', '?'], '-9e999');

const INSERT_METRIC = 'INSERT INTO metrics (run_uuid, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, ?, ?, ?)';
const SELECT_PARAM = 'SELECT value FROM params WHERE run_uuid = ? AND key = ?';
const INSERT_PARAM = 'INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)';
const UPSERT_TAG = 'INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value';

/** Prepared statements for one connection, each prepared on first use: a single `mlx log` needs one or two. */
export class MetricWriter {
  private readonly stmts = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  metric(runId: string, m: Metric, updateLatest = true): void {
    const nan = Number.isNaN(m.value);
    this.stmt(INSERT_METRIC).run(runId, m.key, nan ? null : m.value, nan ? 1 : 0, m.step, m.timestamp);
    if (updateLatest) this.latest(runId, m);
  }

  latest(runId: string, m: Metric): void {
    const nan = Number.isNaN(m.value);
    this.stmt(UPSERT_LATEST).run(runId, m.key, nan ? null : m.value, nan ? 1 : 0, m.step, m.timestamp);
  }

  /** Params are immutable: the same value again is accepted, another value is refused. */
  param(runId: string, key: string, value: string): void {
    const old = this.stmt(SELECT_PARAM).pluck().get(runId, key) as string | undefined;
    if (old === undefined) this.stmt(INSERT_PARAM).run(runId, key, value);
    else if (old !== value) throw paramChanged(runId, key, old, value);
  }

  tag(runId: string, key: string, value: string): void {
    this.stmt(UPSERT_TAG).run(runId, key, value);
  }

  /**
   * Writes a stream of entries inside an already-open transaction. Keys validated once each;
   * latest values kept in memory and written once per key at the end.
   */
  async batch(runId: string, entries: Iterable<BatchEntry> | AsyncIterable<BatchEntry>): Promise<BatchCounts> {
    const b = this.begin(runId);
    if (Symbol.asyncIterator in entries) for await (const e of entries) b.add(e);
    else for (const e of entries) b.add(e);
    return b.finish();
  }

  /** A batch written entry by entry, synchronously (inside the caller's transaction); finish() moves the latest values. */
  begin(runId: string): { add(e: BatchEntry): void; finish(): BatchCounts } {
    const counts: BatchCounts = { metrics: 0, params: 0, tags: 0 };
    const seenKeys = new Set<string>();
    const latest = new Map<string, Metric>();
    const params = new Map<string, string>();
    const add = (e: BatchEntry) => {
      const newParam = checkBatchEntry(e, seenKeys, params);
      if (e.type === 'metric') {
        this.metric(runId, e, false);
        const cur = latest.get(e.key);
        if (!cur || isLater(e, cur)) latest.set(e.key, e);
        counts.metrics++;
      } else if (e.type === 'param') {
        if (newParam) {
          this.param(runId, e.key, e.value);
          params.set(e.key, e.value);
        }
        counts.params++;
      } else {
        this.tag(runId, e.key, e.value);
        counts.tags++;
      }
    };
    const finish = () => {
      for (const m of latest.values()) this.latest(runId, m);
      return counts;
    };
    return { add, finish };
  }
}
