import type { Experiment, LifecycleStage, ViewType } from '../../core/entities.js';
import { validateExperimentName, validateKey, validateTagValue } from '../../core/validation.js';
import { checkExperimentStage, experimentExists, experimentNameTaken, experimentNotFound, noExperimentTag, validateTags } from '../sql/checks.js';
import { experimentArtifactLocation, toExperiment, type ExperimentRow } from '../sql/rows.js';
import type { Pool } from 'pg';
import { inTransaction, row, rows, type Queryable } from './connection.js';

/** Experiments in PostgreSQL; PostgresStore adds runs and logging, and holds the model registry (PostgresRegistry). */
export abstract class PostgresExperiments {
  constructor(
    protected readonly pool: Pool,
    /** Where relative locations resolve (a store migrated from a folder keeps absolute ones): none. */
    readonly root: string | undefined,
  ) {}

  /** Where experiments keep run artifacts when createExperiment is not told. */
  protected abstract readonly defaultArtifactRoot: string;

  // ---- experiments -------------------------------------------------------

  protected async experimentRow(db: Queryable, id: string, lock = false): Promise<ExperimentRow> {
    const r =
      /^\d+$/.test(id) && Number(id) <= 2 ** 31 - 1
        ? await row<ExperimentRow>(db, `SELECT * FROM experiments WHERE experiment_id = $1${lock ? ' FOR UPDATE' : ''}`, [Number(id)])
        : undefined;
    if (!r) throw experimentNotFound(id);
    return r;
  }

  private async toExperiment(r: ExperimentRow): Promise<Experiment> {
    return toExperiment(r, this.root, await rows(this.pool, 'SELECT key, value FROM experiment_tags WHERE experiment_id = $1', [r.experiment_id]));
  }

  async createExperiment(name: string, tags: Record<string, string> = {}, artifactRoot?: string): Promise<string> {
    validateExperimentName(name);
    validateTags(tags);
    return inTransaction(this.pool, async (c) => {
      // Ids are max + 1, as in SQLite: creators take turns (rare, and cheap) instead of racing for a number.
      await c.query('LOCK TABLE experiments IN SHARE ROW EXCLUSIVE MODE');
      const existing = await row<ExperimentRow>(c, 'SELECT * FROM experiments WHERE name = $1', [name]);
      if (existing) throw experimentExists(name, existing);
      const now = Date.now();
      const id = (await row<{ id: number }>(c, 'SELECT coalesce(max(experiment_id), -1) + 1 AS id FROM experiments'))!.id;
      await c.query(
        `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES ($1, $2, $3, 'active', $4, $4)`,
        [id, name, experimentArtifactLocation(id, artifactRoot, this.defaultArtifactRoot), now],
      );
      for (const [k, v] of Object.entries(tags)) await c.query('INSERT INTO experiment_tags (experiment_id, key, value) VALUES ($1, $2, $3)', [id, k, v]);
      return String(id);
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.toExperiment(await this.experimentRow(this.pool, experimentId));
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    const r = await row<ExperimentRow>(this.pool, 'SELECT * FROM experiments WHERE name = $1', [name]);
    return r ? this.toExperiment(r) : null;
  }

  async listExperiments(viewType: ViewType = 'active'): Promise<Experiment[]> {
    const all = viewType === 'all';
    const found = await rows<ExperimentRow>(
      this.pool,
      `SELECT * FROM experiments ${all ? '' : 'WHERE lifecycle_stage = $1'} ORDER BY experiment_id`,
      all ? [] : [viewType],
    );
    const out: Experiment[] = [];
    for (const r of found) out.push(await this.toExperiment(r));
    return out;
  }

  /** Where an experiment's new runs keep their artifacts (Store.setExperimentArtifactLocation: a server moving the Default experiment). */
  async setExperimentArtifactLocation(experimentId: string, artifactLocation: string): Promise<void> {
    const r = await this.experimentRow(this.pool, experimentId);
    await this.pool.query('UPDATE experiments SET artifact_location = $1 WHERE experiment_id = $2', [artifactLocation, r.experiment_id]);
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    await inTransaction(this.pool, async (c) => {
      await c.query('LOCK TABLE experiments IN SHARE ROW EXCLUSIVE MODE');
      const r = await this.experimentRow(c, experimentId);
      const clash = await row<ExperimentRow>(c, 'SELECT * FROM experiments WHERE name = $1', [newName]);
      if (clash && clash.experiment_id !== r.experiment_id) throw experimentNameTaken(newName, clash.experiment_id);
      await c.query('UPDATE experiments SET name = $1, last_update_time = $2 WHERE experiment_id = $3', [newName, Date.now(), r.experiment_id]);
    });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.setExperimentStage(experimentId, 'deleted');
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.setExperimentStage(experimentId, 'active');
  }

  private async setExperimentStage(experimentId: string, stage: LifecycleStage): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const r = await this.experimentRow(c, experimentId, true);
      checkExperimentStage(experimentId, r, stage);
      const now = Date.now();
      await c.query('UPDATE experiments SET lifecycle_stage = $1, last_update_time = $2 WHERE experiment_id = $3', [stage, now, r.experiment_id]);
      // As in MLflow, deleting an experiment deletes its runs, and restoring it restores them.
      await c.query('UPDATE runs SET lifecycle_stage = $1, deleted_time = $2 WHERE experiment_id = $3', [
        stage,
        stage === 'deleted' ? now : null,
        r.experiment_id,
      ]);
    });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    const r = await this.experimentRow(this.pool, experimentId);
    await this.pool.query(
      'INSERT INTO experiment_tags (experiment_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value',
      [r.experiment_id, key, value],
    );
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const r = await this.experimentRow(this.pool, experimentId);
    if ((await this.pool.query('DELETE FROM experiment_tags WHERE experiment_id = $1 AND key = $2', [r.experiment_id, key])).rowCount === 0)
      throw noExperimentTag(experimentId, key);
  }
}
