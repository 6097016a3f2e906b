import type { Pool } from 'pg';
import type { BatchCounts, BatchEntry, LifecycleStage, Metric, Run, RunInfo } from '../../core/entities.js';
import { SYSTEM_TAGS } from '../../core/entities.js';
import { validateKey, validateParamValue, validateRunName, validateStep, validateTagValue, validateTimestamp } from '../../core/validation.js';
import {
  checkRunStage,
  experimentDeleted,
  noRunTag,
  onePrefixHit,
  prepareRun,
  runDeleted,
  runIdPrefix,
  runInDeletedExperiment,
  runNotFound,
} from '../sql/checks.js';
import { metricValue, rowToInfo, type RunRow } from '../sql/rows.js';
import type { CountRunsInput, CreateRunInput, LogDatasetInput, SearchRunsInput, SearchRunsResult, Store, UpdateRunInput } from '../store.js';
import { inTransaction, openPool, reportingLostConnections, row, rows, type Queryable } from './connection.js';
import { PostgresExperiments } from './experiments.js';
import { MetricGroupCommit } from './metric-group.js';
import { PostgresRegistry } from './registry.js';
import { writeBatch, writeParams, writeTag } from './run-writes.js';
import { applyMigrations, checkVersion, PG_DEFAULT_ARTIFACT_ROOT, schemaVersion, type Migrations } from './schema.js';
import { countRuns, countRunsByTag, loadRuns, searchRuns } from './search.js';
import { delegateRegistry, type RegistryMethods } from '../registry-delegation.js';

export interface PostgresOpenOptions {
  /** Create the schema in an empty database; without, an empty database opens as an empty store that writes nothing there. */
  create: boolean;
  migrations?: Migrations;
  /** Where experiments keep run artifacts when not told (default mlflow-artifacts:, the artifact proxy of `mlx server`). */
  artifactRoot?: string;
  /** Pool size (default 10). */
  maxConnections?: number;
  /** The folder for registered model files and cards (Store.fileRoot); without it, registering needs a tracking server. */
  fileRoot?: string;
}

/** The store in a PostgreSQL database: one pool, shared by every request, for teams running several servers. */
// The registry methods, handed to this.registry (delegateRegistry).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface PostgresStore extends RegistryMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class PostgresStore extends PostgresExperiments implements Store {
  private constructor(
    pool: Pool,
    readonly uri: string,
    readonly ephemeral: boolean,
    protected readonly defaultArtifactRoot: string,
    readonly fileRoot: string | null,
  ) {
    super(pool, fileRoot ?? undefined);
    this.metrics = new MetricGroupCommit(pool);
    this.registry = new PostgresRegistry(pool, fileRoot ?? undefined);
    delegateRegistry(this, this.registry);
  }

  /** The model registry, on the same pool: the registry methods below hand their calls to it. */
  readonly registry: PostgresRegistry;

  /** Single metric points, committed together when they arrive together. */
  private readonly metrics: MetricGroupCommit;

  /**
   * Connects and checks the schema version: an empty database is initialised (with create), an
   * older or newer one refused with what to run. Without create, an empty database opens as an
   * empty store in a session-private schema (pg_temp), so looking never writes to the database.
   */
  static async open(uri: string, opts: PostgresOpenOptions): Promise<PostgresStore> {
    const artifactRoot = opts.artifactRoot ?? PG_DEFAULT_ARTIFACT_ROOT;
    let pool = await openPool(uri, { max: opts.maxConnections });
    try {
      const version = await schemaVersion(pool, uri);
      if (version === 0 && !opts.create) {
        await pool.end();
        // One connection that never idles out: temporary tables live as long as their session.
        pool = await openPool(uri, { max: 1, options: '-c search_path=pg_temp', keepIdle: true });
        await applyMigrations(pool, uri, { migrations: opts.migrations, defaultArtifactRoot: artifactRoot, lock: false });
        return reportingLostConnections(new PostgresStore(pool, uri, true, artifactRoot, opts.fileRoot ?? null));
      }
      if (version === 0) await applyMigrations(pool, uri, { migrations: opts.migrations, defaultArtifactRoot: artifactRoot });
      else checkVersion(uri, version, opts.migrations);
      return reportingLostConnections(new PostgresStore(pool, uri, false, artifactRoot, opts.fileRoot ?? null));
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  /** The pool, for this folder's tests (search.test.ts); nothing outside store/ reaches the database. */
  get database(): Pool {
    return this.pool;
  }

  // ---- runs --------------------------------------------------------------

  private async runRow(db: Queryable, runId: string, lock = false): Promise<RunRow> {
    const r = await row<RunRow>(db, {
      name: `mlx_run_row${lock ? '_lock' : ''}`,
      text: `SELECT * FROM runs WHERE run_uuid = $1${lock ? ' FOR UPDATE' : ''}`,
      values: [runId],
    });
    if (!r) throw runNotFound(runId);
    return r;
  }

  private async activeRun(db: Queryable, runId: string, lock = false): Promise<RunRow> {
    const r = await this.runRow(db, runId, lock);
    if (r.lifecycle_stage !== 'active') throw runDeleted(runId);
    return r;
  }

  async createRun(input: CreateRunInput): Promise<RunInfo> {
    const { runId, runName, tags, params, startTime } = prepareRun(input);
    return inTransaction(this.pool, async (c) => {
      const exp = await this.experimentRow(c, input.experimentId);
      if (exp.lifecycle_stage !== 'active') throw experimentDeleted(exp);
      await c.query(
        `INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
         VALUES ($1, $2, $3, $4, 'RUNNING', $5, NULL, 'active', $6)`,
        [runId, runName, exp.experiment_id, input.userId, startTime, `${exp.artifact_location}/${runId}/artifacts`],
      );
      for (const [k, v] of Object.entries(tags)) await writeTag(c, runId, k, v);
      await writeParams(c, runId, params);
      return rowToInfo(await this.runRow(c, runId), this.root);
    });
  }

  async getRun(runId: string): Promise<Run> {
    return (await loadRuns(this.pool, [await this.runRow(this.pool, runId)], this.root))[0];
  }

  async resolveRunId(idOrPrefix: string): Promise<string> {
    const id = runIdPrefix(idOrPrefix);
    if (id.length === 32) return (await this.runRow(this.pool, id)).run_uuid;
    const hits = await rows<{ run_uuid: string }>(this.pool, 'SELECT run_uuid FROM runs WHERE run_uuid >= $1 AND run_uuid < $2 ORDER BY run_uuid LIMIT 3', [
      id,
      `${id}g`,
    ]);
    return onePrefixHit(
      idOrPrefix,
      hits.map((h) => h.run_uuid),
    );
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    if (input.runName !== undefined) validateRunName(input.runName);
    if (input.endTime != null) validateTimestamp(input.endTime);
    return inTransaction(this.pool, async (c) => {
      const r = await this.activeRun(c, runId, true);
      const name = input.runName ?? r.name;
      const endTime = input.endTime !== undefined ? input.endTime : r.end_time;
      await c.query('UPDATE runs SET status = $1, end_time = $2, name = $3 WHERE run_uuid = $4', [input.status ?? r.status, endTime, name, runId]);
      if (input.runName !== undefined) await writeTag(c, runId, SYSTEM_TAGS.runName, name);
      return rowToInfo(await this.runRow(c, runId), this.root);
    });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.setRunStage(runId, 'deleted');
  }

  async restoreRun(runId: string): Promise<void> {
    await this.setRunStage(runId, 'active');
  }

  private async setRunStage(runId: string, stage: LifecycleStage): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const r = await this.runRow(c, runId, true);
      checkRunStage(runId, r.lifecycle_stage, stage);
      if (stage === 'active') {
        const exp = await this.experimentRow(c, String(r.experiment_id));
        if (exp.lifecycle_stage !== 'active') throw runInDeletedExperiment(runId, exp);
      }
      await c.query('UPDATE runs SET lifecycle_stage = $1, deleted_time = $2 WHERE run_uuid = $3', [stage, stage === 'deleted' ? Date.now() : null, runId]);
    });
  }

  // ---- logging -----------------------------------------------------------

  async logParam(runId: string, key: string, value: string): Promise<void> {
    validateKey('param', key);
    validateParamValue(key, value);
    await this.activeRun(this.pool, runId);
    await writeParams(this.pool, runId, { [key]: value });
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    validateKey('metric', metric.key);
    validateStep(metric.step);
    validateTimestamp(metric.timestamp);
    await this.metrics.log(runId, metric);
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    if (key !== SYSTEM_TAGS.runName) {
      await this.activeRun(this.pool, runId);
      return writeTag(this.pool, runId, key, value);
    }
    await inTransaction(this.pool, async (c) => {
      await this.activeRun(c, runId, true);
      await writeTag(c, runId, key, value);
      await c.query('UPDATE runs SET name = $1 WHERE run_uuid = $2', [value, runId]);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.activeRun(this.pool, runId);
    if ((await this.pool.query('DELETE FROM tags WHERE run_uuid = $1 AND key = $2', [runId, key])).rowCount === 0) throw noRunTag(runId, key);
  }

  async logBatch(runId: string, entries: Iterable<BatchEntry> | AsyncIterable<BatchEntry>): Promise<BatchCounts> {
    // One transaction across the whole (possibly streamed) input: all of it lands or none.
    return inTransaction(this.pool, async (c) => {
      await this.activeRun(c, runId, true);
      return writeBatch(c, runId, entries);
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    await this.runRow(this.pool, runId);
    const found = await rows<{ key: string; value: number | null; is_nan: number; step: number; timestamp: number }>(
      this.pool,
      'SELECT key, value, is_nan, step, timestamp FROM metrics WHERE run_uuid = $1 AND key = $2 ORDER BY step, timestamp',
      [runId, key],
    );
    return found.map((r) => ({ key: r.key, value: metricValue(r.value, r.is_nan), step: r.step, timestamp: r.timestamp }));
  }

  async logInputs(runId: string, datasets: LogDatasetInput[]): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      const run = await this.activeRun(c, runId);
      for (const d of datasets) {
        const { dataset_id } = (await row<{ dataset_id: number }>(
          c,
          `INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, profile) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (experiment_id, name, digest) DO UPDATE SET source = excluded.source, schema = excluded.schema, profile = excluded.profile
           RETURNING dataset_id`,
          [run.experiment_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile],
        ))!;
        await c.query(
          'INSERT INTO inputs (run_uuid, dataset_id, context) VALUES ($1, $2, $3) ON CONFLICT (run_uuid, dataset_id) DO UPDATE SET context = excluded.context',
          [runId, dataset_id, d.context],
        );
      }
    });
  }

  // ---- search ------------------------------------------------------------

  async searchRuns(input: SearchRunsInput): Promise<SearchRunsResult> {
    for (const id of input.experimentIds) await this.experimentRow(this.pool, id);
    return searchRuns(this.pool, this.root, input);
  }

  async countRuns(input: CountRunsInput): Promise<number> {
    for (const id of input.experimentIds) await this.experimentRow(this.pool, id);
    return countRuns(this.pool, input);
  }

  async countRunsByTag(input: CountRunsInput, key: string, values: string[]): Promise<Record<string, number>> {
    for (const id of input.experimentIds) await this.experimentRow(this.pool, id);
    return countRunsByTag(this.pool, input, key, values);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
