import type { Experiment } from '../../core/entities.js';
import { experimentNotFound } from '../sql/checks.js';
import { toExperiment as fromRow, type ExperimentRow } from '../sql/rows.js';
import type { Db } from './database.js';

export type { ExperimentRow };

export function experimentRowByName(db: Db, name: string): ExperimentRow | undefined {
  return db.prepare('SELECT * FROM experiments WHERE name = ?').get(name) as ExperimentRow | undefined;
}

/** The experiment row for an id, or RESOURCE_DOES_NOT_EXIST naming it. */
export function experimentRow(db: Db, id: string): ExperimentRow {
  const row = /^\d+$/.test(id) ? (db.prepare('SELECT * FROM experiments WHERE experiment_id = ?').get(Number(id)) as ExperimentRow | undefined) : undefined;
  if (!row) throw experimentNotFound(id);
  return row;
}

export function toExperiment(db: Db, root: string, row: ExperimentRow): Experiment {
  const tags = db.prepare('SELECT key, value FROM experiment_tags WHERE experiment_id = ?').all(row.experiment_id) as { key: string; value: string }[];
  return fromRow(row, root, tags);
}
