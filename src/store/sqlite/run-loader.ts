import type { Run } from '../../core/entities.js';
import { assembleRuns, type InputRow, type KeyValueRow, type MetricRow, type RunRow } from '../sql/rows.js';
import type { Db } from './database.js';

export { metricValue, resolveArtifactUri, rowToInfo, type RunRow } from '../sql/rows.js';

// SQLite caps bound parameters (32766 in recent builds); chunk to stay well below.
const CHUNK = 500;

/** Loads params, latest metrics, tags and dataset inputs for many runs with a few IN queries. */
export function loadRuns(db: Db, rows: RunRow[], root: string): Run[] {
  const found = { params: [] as KeyValueRow[], tags: [] as KeyValueRow[], metrics: [] as MetricRow[], inputs: [] as InputRow[] };
  const ids = rows.map((r) => r.run_uuid);
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const marks = chunk.map(() => '?').join(',');
    const all = <T>(sql: string) => db.prepare(sql).all(...chunk) as T[];
    found.params.push(...all<KeyValueRow>(`SELECT run_uuid, key, value FROM params WHERE run_uuid IN (${marks})`));
    found.tags.push(...all<KeyValueRow>(`SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (${marks})`));
    found.metrics.push(...all<MetricRow>(`SELECT run_uuid, key, value, is_nan, step, timestamp FROM latest_metrics WHERE run_uuid IN (${marks})`));
    found.inputs.push(
      ...all<InputRow>(
        `SELECT i.run_uuid, i.context, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
         FROM inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_uuid IN (${marks})`,
      ),
    );
  }
  return assembleRuns(rows, root, found);
}
