// Logged serving traffic for the drift / feedback / monitor tests, written straight into a
// project's store (as `mlx serve --log-inputs` would), and what the store then holds.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { seedDriftData, tabularDataCsv, type TabularData } from '../../src/models/onnx/tabular-model.js';
import type { InferenceRecord } from '../../src/inference-log/record.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export { seedDriftData, type TabularData };

/** One logged request: model clf version 1, primary, no rows, unless over says otherwise. */
export function inferenceRecord(requestId: string, over: Partial<InferenceRecord> = {}): InferenceRecord {
  return {
    requestId,
    timestamp: 100,
    route: '/invocations',
    model: 'clf',
    version: 1,
    variant: 'primary',
    shadow: false,
    latencyMs: 1,
    columns: null,
    rows: null,
    predictions: [],
    ...over,
  };
}

/** One-row requests of the data, ids `${prefix}-${i}`, logged from `start` one millisecond apart. */
export function records(data: TabularData, o: { start: number; prefix: string } & Partial<InferenceRecord>): InferenceRecord[] {
  const { start, prefix, ...over } = o;
  return data.rows.map((row, i) =>
    inferenceRecord(`${prefix}-${i}`, {
      timestamp: start + i,
      columns: data.featureNames,
      rows: [row],
      predictions: [data.classNames[data.labels[i]]],
      ...over,
    }),
  );
}

/** Writes records into the project's store (created if need be). */
export async function logTraffic(dir: string, recs: InferenceRecord[]): Promise<void> {
  const store = new SqliteStore(path.join(dir, '.mlx'));
  try {
    (await store.inferenceLog()).write(recs, null);
  } finally {
    await store.close();
  }
}

/** train.csv: the seed's customers (features and a label column), as a model's training data. */
export function writeReference(dir: string, file = 'train.csv', n = 400, opts: { predictionColumn?: string } = {}): string {
  let csv = tabularDataCsv(seedDriftData(n, 1));
  if (opts.predictionColumn) csv = csv.replace(/^(.*),label\n/, `$1,${opts.predictionColumn}\n`);
  fs.writeFileSync(path.join(dir, file), csv);
  return file;
}

/** One query on the project's store, read-only (undefined when there is no store). */
export function query<T = unknown>(dir: string, sql: string, ...args: unknown[]): T[] {
  const file = path.join(dir, '.mlx', 'mlx.db');
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** Counts of what a refused command must not have changed: feedback rows, runs, metrics, experiments. */
export function storeCounts(dir: string): Record<string, number> {
  const n = (table: string) => query<{ n: number }>(dir, `SELECT count(*) AS n FROM ${table}`)[0]?.n ?? -1;
  return { feedback: n('inference_feedback'), log: n('inference_log'), runs: n('runs'), metrics: n('metrics'), experiments: n('experiments') };
}
