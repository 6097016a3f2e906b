import path from 'node:path';
import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  Metric,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
} from '../../core/entities.js';

/** Rows as both SQL stores hold them (same columns in SQLite and PostgreSQL), and their conversion to entities. */

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

export interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export interface ModelRow {
  name: string;
  description: string;
  creation_time: number;
  last_updated_time: number;
  next_version: number;
}

/** A model_versions row: the version's own fields, with JSON columns as text. */
export type VersionRow = Omit<ModelVersion, 'status' | 'opset' | 'signature' | 'labels' | 'tags' | 'aliases' | 'current_stage'> & {
  status: string;
  current_stage: string;
  opset: string;
  signature: string;
  labels: string | null;
};

export interface KeyValueRow {
  run_uuid: string;
  key: string;
  value: string;
}

export interface MetricRow {
  run_uuid: string;
  key: string;
  value: number | null;
  is_nan: number;
  step: number;
  timestamp: number;
}

export type InputRow = DatasetInput & { run_uuid: string };

/** Stored artifact locations are relative to the store folder so a project folder can move; a store without a folder keeps them as they are. */
export function resolveArtifactUri(root: string | undefined, stored: string): string {
  return root === undefined || path.isAbsolute(stored) || /^[a-z][a-z0-9+.-]*:/i.test(stored) ? stored : path.join(root, stored);
}

/** A run's info from its row. */
export function rowToInfo(row: RunRow, root: string | undefined): RunInfo {
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

/** NaN is stored as NULL with is_nan set: SQLite turns NaN into NULL, and PostgreSQL's NaN would compare greater than every number. */
export function metricValue(value: number | null, isNan: number): number {
  return isNan ? NaN : (value as number);
}

/** Runs from their rows and the rows of their params, tags, latest metrics and inputs, in the order of runRows. */
export function assembleRuns(
  runRows: RunRow[],
  root: string | undefined,
  rows: { params: KeyValueRow[]; tags: KeyValueRow[]; metrics: MetricRow[]; inputs: InputRow[] },
): Run[] {
  const runs = new Map<string, Run>();
  for (const row of runRows) runs.set(row.run_uuid, { info: rowToInfo(row, root), params: {}, metrics: {}, tags: {}, inputs: [] });
  for (const p of rows.params) runs.get(p.run_uuid)!.params[p.key] = p.value;
  for (const t of rows.tags) runs.get(t.run_uuid)!.tags[t.key] = t.value;
  for (const m of rows.metrics) {
    const run = runs.get(m.run_uuid)!;
    run.metrics[m.key] = metricValue(m.value, m.is_nan);
    (run.metric_steps ??= {})[m.key] = { step: m.step, timestamp: m.timestamp };
  }
  for (const { run_uuid, ...input } of rows.inputs) runs.get(run_uuid)!.inputs.push(input);
  return runRows.map((r) => runs.get(r.run_uuid)!);
}

/** An experiment from its row and tag rows. */
export function toExperiment(row: ExperimentRow, root: string | undefined, tagRows: { key: string; value: string }[]): Experiment {
  return {
    experiment_id: String(row.experiment_id),
    name: row.name,
    artifact_location: resolveArtifactUri(root, row.artifact_location),
    lifecycle_stage: row.lifecycle_stage as LifecycleStage,
    creation_time: row.creation_time,
    last_update_time: row.last_update_time,
    tags: Object.fromEntries(tagRows.map((t) => [t.key, t.value])),
  };
}

/** Where a new experiment's runs keep their artifacts: under artifactRoot if given, else the store's default. */
export function experimentArtifactLocation(id: number, artifactRoot: string | undefined, fallbackRoot: string): string {
  return `${(artifactRoot ?? fallbackRoot).replace(/\/+$/, '')}/${id}`;
}

/** A registered model from its row, tag and alias rows and latest version number. */
export function toModel(
  row: ModelRow,
  tagRows: { key: string; value: string }[],
  aliasRows: { alias: string; version: number }[],
  latest: number | null,
): RegisteredModel {
  return {
    name: row.name,
    description: row.description,
    creation_time: row.creation_time,
    last_updated_time: row.last_updated_time,
    latest_version: latest,
    tags: Object.fromEntries(tagRows.map((t) => [t.key, t.value])),
    aliases: Object.fromEntries(aliasRows.map((a) => [a.alias, a.version])),
  };
}

/** A model version from its row (JSON columns parsed), tag rows and aliases. */
export function toVersion(row: VersionRow, root: string | undefined, tagRows: { key: string; value: string }[], aliases: string[]): ModelVersion {
  return {
    name: row.name,
    version: row.version,
    description: row.description,
    creation_time: row.creation_time,
    last_updated_time: row.last_updated_time,
    user_id: row.user_id,
    source: row.source,
    run_id: row.run_id,
    status: 'READY',
    // Empty for a version with no bytes in the store (registered from a source mlx cannot read).
    storage_location: row.storage_location === '' ? '' : resolveArtifactUri(root, row.storage_location),
    sha256: row.sha256,
    size: row.size,
    ir_version: row.ir_version,
    opset: JSON.parse(row.opset),
    producer: row.producer,
    signature: JSON.parse(row.signature),
    labels: row.labels === null ? null : JSON.parse(row.labels),
    preprocess: row.preprocess,
    tags: Object.fromEntries(tagRows.map((t) => [t.key, t.value])),
    aliases,
    current_stage: row.current_stage as ModelStage,
  };
}

/** True when point a should replace point b as the latest: higher step, then later timestamp, then larger value. */
export function isLater(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  const av = Number.isNaN(a.value) ? -Infinity : a.value;
  const bv = Number.isNaN(b.value) ? -Infinity : b.value;
  return av > bv;
}

/**
 * The latest-metric upsert with isLater's order, NaN (NULL) lowest; minusInfinity is the dialect's
 * -∞ literal. The rows come from placeholders (one row) or a SELECT (several, one per run and key).
 */
export function upsertLatestSql(placeholders: string[] | { select: string }, minusInfinity: string): string {
  const rows = Array.isArray(placeholders) ? `VALUES (${placeholders.join(', ')})` : placeholders.select;
  return `
INSERT INTO latest_metrics (run_uuid, key, value, is_nan, step, timestamp) ${rows}
ON CONFLICT (run_uuid, key) DO UPDATE SET
  value = excluded.value, is_nan = excluded.is_nan, step = excluded.step, timestamp = excluded.timestamp
WHERE excluded.step > latest_metrics.step
   OR (excluded.step = latest_metrics.step AND (excluded.timestamp > latest_metrics.timestamp
   OR (excluded.timestamp = latest_metrics.timestamp
       AND coalesce(excluded.value, ${minusInfinity}) > coalesce(latest_metrics.value, ${minusInfinity}))))`;
}
