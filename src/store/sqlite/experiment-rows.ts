import type { Experiment, LifecycleStage } from '../../core/entities.js';
import { notFound } from '../../core/errors.js';
import type { Db } from './database.js';
import { resolveArtifactUri } from './run-loader.js';

export interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export function experimentRowByName(db: Db, name: string): ExperimentRow | undefined {
  return db.prepare('SELECT * FROM experiments WHERE name = ?').get(name) as ExperimentRow | undefined;
}

/** The experiment row for an id, or RESOURCE_DOES_NOT_EXIST naming it. */
export function experimentRow(db: Db, id: string): ExperimentRow {
  const row = /^\d+$/.test(id)
    ? (db.prepare('SELECT * FROM experiments WHERE experiment_id = ?').get(Number(id)) as ExperimentRow | undefined)
    : undefined;
  if (!row) throw notFound(`experiment ${JSON.stringify(id)} does not exist; list them with: mlx experiments list`);
  return row;
}

export function toExperiment(db: Db, root: string, row: ExperimentRow): Experiment {
  const tags: Record<string, string> = {};
  for (const t of db.prepare('SELECT key, value FROM experiment_tags WHERE experiment_id = ?').all(row.experiment_id) as {
    key: string;
    value: string;
  }[])
    tags[t.key] = t.value;
  return {
    experiment_id: String(row.experiment_id),
    name: row.name,
    artifact_location: resolveArtifactUri(root, row.artifact_location),
    lifecycle_stage: row.lifecycle_stage as LifecycleStage,
    creation_time: row.creation_time,
    last_update_time: row.last_update_time,
    tags,
  };
}
