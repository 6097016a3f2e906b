import path from 'node:path';
import type { DatasetInput, LifecycleStage, Run, RunInfo, RunStatus } from '../../core/entities.js';
import type { Db } from './database.js';

export interface RunRow {
  run_uuid: string;
  name: string;
  experiment_id: number;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
}

/** Stored artifact locations are relative to the store folder so a project folder can move. */
export function resolveArtifactUri(root: string, stored: string): string {
  return path.isAbsolute(stored) || /^[a-z][a-z0-9+.-]*:/i.test(stored) ? stored : path.join(root, stored);
}

export function rowToInfo(row: RunRow, root: string): RunInfo {
  return {
    run_id: row.run_uuid,
    run_name: row.name,
    experiment_id: String(row.experiment_id),
    user_id: row.user_id,
    status: row.status as RunStatus,
    start_time: row.start_time,
    end_time: row.end_time,
    artifact_uri: resolveArtifactUri(root, row.artifact_uri),
    lifecycle_stage: row.lifecycle_stage as LifecycleStage,
  };
}

export function metricValue(value: number | null, isNan: number): number {
  return isNan ? NaN : (value as number);
}

// SQLite caps bound parameters (32766 in recent builds); chunk to stay well below.
const CHUNK = 500;

/** Loads params, latest metrics, tags and dataset inputs for many runs with a few IN queries. */
export function loadRuns(db: Db, rows: RunRow[], root: string): Run[] {
  const runs = new Map<string, Run>();
  for (const row of rows)
    runs.set(row.run_uuid, { info: rowToInfo(row, root), params: {}, metrics: {}, tags: {}, inputs: [] });
  const ids = [...runs.keys()];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const marks = chunk.map(() => '?').join(',');
    for (const p of db.prepare(`SELECT run_uuid, key, value FROM params WHERE run_uuid IN (${marks})`).all(...chunk) as {
      run_uuid: string;
      key: string;
      value: string;
    }[])
      runs.get(p.run_uuid)!.params[p.key] = p.value;
    for (const t of db.prepare(`SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (${marks})`).all(...chunk) as {
      run_uuid: string;
      key: string;
      value: string;
    }[])
      runs.get(t.run_uuid)!.tags[t.key] = t.value;
    for (const m of db
      .prepare(`SELECT run_uuid, key, value, is_nan, step, timestamp FROM latest_metrics WHERE run_uuid IN (${marks})`)
      .all(...chunk) as { run_uuid: string; key: string; value: number | null; is_nan: number; step: number; timestamp: number }[]) {
      const run = runs.get(m.run_uuid)!;
      run.metrics[m.key] = metricValue(m.value, m.is_nan);
      (run.metric_steps ??= {})[m.key] = { step: m.step, timestamp: m.timestamp };
    }
    for (const d of db
      .prepare(
        `SELECT i.run_uuid, i.context, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
         FROM inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_uuid IN (${marks})`,
      )
      .all(...chunk) as (DatasetInput & { run_uuid: string })[]) {
      const { run_uuid, ...input } = d;
      runs.get(run_uuid)!.inputs.push(input);
    }
  }
  return rows.map((r) => runs.get(r.run_uuid)!);
}
