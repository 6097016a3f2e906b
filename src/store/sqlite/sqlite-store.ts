import path from 'node:path';
import type { BatchCounts, BatchEntry, Experiment, LifecycleStage, Metric, Run, RunInfo, ViewType } from '../../core/entities.js';
import { SYSTEM_TAGS } from '../../core/entities.js';
import {
  validateExperimentName,
  validateKey,
  validateParamValue,
  validateRunName,
  validateStep,
  validateTagValue,
  validateTimestamp,
} from '../../core/validation.js';
import {
  checkExperimentStage,
  checkRunStage,
  experimentDeleted,
  experimentExists,
  experimentNotFound,
  experimentNameTaken,
  noExperimentTag,
  noRunTag,
  onePrefixHit,
  prepareRun,
  runDeleted,
  runIdPrefix,
  runInDeletedExperiment,
  runNotFound,
  validateTags,
} from '../sql/checks.js';
import { experimentArtifactLocation } from '../sql/rows.js';
import type { CountRunsInput, CreateRunInput, LogDatasetInput, SearchRunsInput, SearchRunsResult, Store, UpdateRunInput } from '../store.js';
import type { Statement } from 'better-sqlite3';
import { openDatabase, type Db } from './database.js';
import type { SqliteInferenceLog } from './inference-log/sqlite-inference-log.js';
import { GroupCommit } from './group-commit.js';
import { MetricWriter } from './metric-writer.js';
import { SqliteRegistry } from './registry.js';
import { experimentRow, experimentRowByName, toExperiment, type ExperimentRow } from './experiment-rows.js';
import { loadRuns, metricValue, rowToInfo, type RunRow } from './run-loader.js';
import { delegateRegistry, type RegistryMethods } from '../registry-delegation.js';

export const DB_FILE = 'mlx.db';

/** The default store: one SQLite file (WAL) plus an artifacts folder under a `.mlx` directory. */
// The registry methods, handed to this.registry (delegateRegistry).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface SqliteStore extends RegistryMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class SqliteStore implements Store {
  readonly uri: string;
  readonly ephemeral: boolean;
  /** The store folder: relative locations in the database resolve against it. */
  readonly root: string;
  /** The model registry, on the same database: the registry methods below hand their calls to it. */
  readonly registry: SqliteRegistry;
  private readonly db: Db;
  get fileRoot(): string {
    return this.uri;
  }
  private writerCache?: MetricWriter;
  private selectRun?: Statement;
  private readonly group: GroupCommit;

  /**
   * root: the store folder (holding mlx.db and artifacts/). inMemory: an empty throwaway
   * database that still reports paths under root, for looking at a store not yet created.
   */
  constructor(root: string, opts: { create: boolean; inMemory?: boolean } = { create: true }) {
    const abs = path.resolve(root);
    this.db = openDatabase(opts.inMemory ? ':memory:' : path.join(abs, DB_FILE), opts);
    this.root = abs;
    this.registry = new SqliteRegistry(this.db, abs);
    delegateRegistry(this, this.registry);
    this.uri = abs;
    this.ephemeral = !!opts.inMemory;
    this.group = new GroupCommit(this.db);
  }

  /** This store's inference log (Store.inferenceLog). A stand-in's is empty; the sink opened from it creates the store. */
  async inferenceLog(): Promise<SqliteInferenceLog> {
    const { SqliteInferenceLog } = await import('./inference-log/sqlite-inference-log.js');
    return new SqliteInferenceLog(this.db, path.join(this.uri, DB_FILE));
  }

  private get writer(): MetricWriter {
    return (this.writerCache ??= new MetricWriter(this.db));
  }

  // ---- experiments -------------------------------------------------------

  async setExperimentArtifactLocation(experimentId: string, artifactLocation: string): Promise<void> {
    const id = Number(experimentId);
    if (
      !Number.isInteger(id) ||
      this.db.prepare('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?').run(artifactLocation, id).changes === 0
    )
      throw experimentNotFound(experimentId);
  }

  async createExperiment(name: string, tags: Record<string, string> = {}, artifactRoot?: string): Promise<string> {
    validateExperimentName(name);
    validateTags(tags);
    return this.db
      .transaction(() => {
        const existing = experimentRowByName(this.db, name);
        if (existing) throw experimentExists(name, existing);
        const now = Date.now();
        const id = this.db.prepare('SELECT coalesce(max(experiment_id), -1) + 1 FROM experiments').pluck().get() as number;
        this.db
          .prepare(
            `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
             VALUES (?, ?, ?, 'active', ?, ?)`,
          )
          .run(id, name, experimentArtifactLocation(id, artifactRoot, 'artifacts'), now, now);
        const ins = this.db.prepare('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)');
        for (const [k, v] of Object.entries(tags)) ins.run(id, k, v);
        return String(id);
      })
      .immediate();
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return toExperiment(this.db, this.root, experimentRow(this.db, experimentId));
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    const row = experimentRowByName(this.db, name);
    return row ? toExperiment(this.db, this.root, row) : null;
  }

  async listExperiments(viewType: ViewType = 'active'): Promise<Experiment[]> {
    const where = viewType === 'all' ? '' : 'WHERE lifecycle_stage = ?';
    const rows = this.db.prepare(`SELECT * FROM experiments ${where} ORDER BY experiment_id`).all(...(viewType === 'all' ? [] : [viewType])) as ExperimentRow[];
    return rows.map((r) => toExperiment(this.db, this.root, r));
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    this.db
      .transaction(() => {
        const row = experimentRow(this.db, experimentId);
        const clash = experimentRowByName(this.db, newName);
        if (clash && clash.experiment_id !== row.experiment_id) throw experimentNameTaken(newName, clash.experiment_id);
        this.db.prepare('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?').run(newName, Date.now(), row.experiment_id);
      })
      .immediate();
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    this.setExperimentStage(experimentId, 'deleted');
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    this.setExperimentStage(experimentId, 'active');
  }

  private setExperimentStage(experimentId: string, stage: LifecycleStage): void {
    this.db
      .transaction(() => {
        const row = experimentRow(this.db, experimentId);
        checkExperimentStage(experimentId, row, stage);
        const now = Date.now();
        this.db.prepare('UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?').run(stage, now, row.experiment_id);
        // As in MLflow, deleting an experiment deletes its runs, and restoring it restores them.
        this.db
          .prepare('UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ?')
          .run(stage, stage === 'deleted' ? now : null, row.experiment_id);
      })
      .immediate();
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    const row = experimentRow(this.db, experimentId);
    this.db
      .prepare('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value')
      .run(row.experiment_id, key, value);
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const row = experimentRow(this.db, experimentId);
    if (this.db.prepare('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?').run(row.experiment_id, key).changes === 0)
      throw noExperimentTag(experimentId, key);
  }

  // ---- runs --------------------------------------------------------------

  async createRun(input: CreateRunInput): Promise<RunInfo> {
    const { runId, runName, tags, params, startTime } = prepareRun(input);
    return this.db
      .transaction(() => {
        const exp = experimentRow(this.db, input.experimentId);
        if (exp.lifecycle_stage !== 'active') throw experimentDeleted(exp);
        const artifactUri = `${exp.artifact_location}/${runId}/artifacts`;
        this.db
          .prepare(
            `INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
             VALUES (?, ?, ?, ?, 'RUNNING', ?, NULL, 'active', ?)`,
          )
          .run(runId, runName, exp.experiment_id, input.userId, startTime, artifactUri);
        for (const [k, v] of Object.entries(tags)) this.writer.tag(runId, k, v);
        for (const [k, v] of Object.entries(params)) this.writer.param(runId, k, v);
        return rowToInfo(this.runRow(runId), this.root);
      })
      .immediate();
  }

  private runRow(runId: string): RunRow {
    const row = (this.selectRun ??= this.db.prepare('SELECT * FROM runs WHERE run_uuid = ?')).get(runId) as RunRow | undefined;
    if (!row) throw runNotFound(runId);
    return row;
  }

  private activeRun(runId: string): RunRow {
    const row = this.runRow(runId);
    if (row.lifecycle_stage !== 'active') throw runDeleted(runId);
    return row;
  }

  async getRun(runId: string): Promise<Run> {
    return loadRuns(this.db, [this.runRow(runId)], this.root)[0];
  }

  async resolveRunId(idOrPrefix: string): Promise<string> {
    const id = runIdPrefix(idOrPrefix);
    if (id.length === 32) {
      this.runRow(id);
      return id;
    }
    const hits = this.db.prepare('SELECT run_uuid FROM runs WHERE run_uuid >= ? AND run_uuid < ? LIMIT 3').pluck().all(id, `${id}g`) as string[];
    return onePrefixHit(idOrPrefix, hits);
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    if (input.runName !== undefined) validateRunName(input.runName);
    if (input.endTime != null) validateTimestamp(input.endTime);
    return this.db
      .transaction(() => {
        const row = this.activeRun(runId);
        const status = input.status ?? row.status;
        const endTime = input.endTime !== undefined ? input.endTime : row.end_time;
        const name = input.runName ?? row.name;
        this.db.prepare('UPDATE runs SET status = ?, end_time = ?, name = ? WHERE run_uuid = ?').run(status, endTime, name, runId);
        if (input.runName !== undefined) this.writer.tag(runId, SYSTEM_TAGS.runName, name);
        return rowToInfo(this.runRow(runId), this.root);
      })
      .immediate();
  }

  async deleteRun(runId: string): Promise<void> {
    this.setRunStage(runId, 'deleted');
  }

  async restoreRun(runId: string): Promise<void> {
    this.setRunStage(runId, 'active');
  }

  private setRunStage(runId: string, stage: LifecycleStage): void {
    this.db
      .transaction(() => {
        const row = this.runRow(runId);
        checkRunStage(runId, row.lifecycle_stage, stage);
        if (stage === 'active') {
          const exp = experimentRow(this.db, String(row.experiment_id));
          if (exp.lifecycle_stage !== 'active') throw runInDeletedExperiment(runId, exp);
        }
        this.db.prepare('UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?').run(stage, stage === 'deleted' ? Date.now() : null, runId);
      })
      .immediate();
  }

  // ---- logging -----------------------------------------------------------

  async logParam(runId: string, key: string, value: string): Promise<void> {
    validateKey('param', key);
    validateParamValue(key, value);
    return this.group.run(() => {
      this.activeRun(runId);
      this.writer.param(runId, key, value);
    });
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    validateKey('metric', metric.key);
    validateStep(metric.step);
    validateTimestamp(metric.timestamp);
    return this.group.run(() => {
      this.activeRun(runId);
      this.writer.metric(runId, metric);
    });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    return this.group.run(() => {
      this.activeRun(runId);
      this.writer.tag(runId, key, value);
      if (key === SYSTEM_TAGS.runName) this.db.prepare('UPDATE runs SET name = ? WHERE run_uuid = ?').run(value, runId);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    this.db
      .transaction(() => {
        this.activeRun(runId);
        const res = this.db.prepare('DELETE FROM tags WHERE run_uuid = ? AND key = ?').run(runId, key);
        if (res.changes === 0) throw noRunTag(runId, key);
      })
      .immediate();
  }

  async logBatch(runId: string, entries: Iterable<BatchEntry> | AsyncIterable<BatchEntry>): Promise<BatchCounts> {
    // One IMMEDIATE transaction across the whole input: all of it lands or none.
    if (!(Symbol.asyncIterator in entries))
      // In memory (a server's request): written without yielding, so no other write can land inside it.
      return this.db
        .transaction(() => {
          this.activeRun(runId);
          const b = this.writer.begin(runId);
          for (const e of entries) b.add(e);
          return b.finish();
        })
        .immediate();
    // Streamed (mlx log batch -): better-sqlite3's transaction() cannot span awaits, so BEGIN/COMMIT
    // by hand, one streamed batch at a time (group commits wait for it: GroupCommit.commit).
    const turn = this.streamed.then(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.activeRun(runId);
        const counts = await this.writer.batch(runId, entries);
        this.db.exec('COMMIT');
        return counts;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
    this.streamed = turn.catch(() => undefined);
    return turn;
  }

  /** The streamed batch in progress (or done): the next one starts after it. */
  private streamed: Promise<unknown> = Promise.resolve();

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    this.runRow(runId);
    const rows = this.db
      .prepare('SELECT key, value, is_nan, step, timestamp FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp')
      .all(runId, key) as { key: string; value: number | null; is_nan: number; step: number; timestamp: number }[];
    return rows.map((r) => ({ key: r.key, value: metricValue(r.value, r.is_nan), step: r.step, timestamp: r.timestamp }));
  }

  async logInputs(runId: string, datasets: LogDatasetInput[]): Promise<void> {
    this.db
      .transaction(() => {
        const run = this.activeRun(runId);
        const upsert = this.db.prepare(
          `INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, profile) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (experiment_id, name, digest) DO UPDATE SET source = excluded.source, schema = excluded.schema, profile = excluded.profile
         RETURNING dataset_id`,
        );
        const link = this.db.prepare(
          'INSERT INTO inputs (run_uuid, dataset_id, context) VALUES (?, ?, ?) ON CONFLICT (run_uuid, dataset_id) DO UPDATE SET context = excluded.context',
        );
        for (const d of datasets) {
          const id = upsert.pluck().get(run.experiment_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile) as number;
          link.run(runId, id, d.context);
        }
      })
      .immediate();
  }

  // ---- search ------------------------------------------------------------

  async searchRuns(input: SearchRunsInput): Promise<SearchRunsResult> {
    for (const id of input.experimentIds) experimentRow(this.db, id);
    // The search grammar is only loaded by commands that search: `mlx log` starts faster without it.
    const { searchRuns } = await import('./search-runs.js');
    return searchRuns(this.db, this.root, input);
  }

  async countRuns(input: CountRunsInput): Promise<number> {
    for (const id of input.experimentIds) experimentRow(this.db, id);
    const { countRuns } = await import('./search-runs.js');
    return countRuns(this.db, input);
  }

  async countRunsByTag(input: CountRunsInput, key: string, values: string[]): Promise<Record<string, number>> {
    for (const id of input.experimentIds) experimentRow(this.db, id);
    const { countRunsByTag } = await import('./search-runs.js');
    return countRunsByTag(this.db, input, key, values);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
