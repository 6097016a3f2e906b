import type { Pool } from 'pg';
import type { ModelStage, ModelVersion, RegisteredModel } from '../../core/entities.js';
import { validateAlias, validateKey, validateModelName, validateTagValue } from '../../core/validation.js';
import {
  aliasNotFound,
  modelExists,
  modelNotFound,
  noAliasToDelete,
  noModelTag,
  noVersions,
  noVersionTag,
  validateTags,
  validateVersionInput,
  versionNotFound,
} from '../sql/checks.js';
import { resolveArtifactUri, toModel, toVersion, type ModelRow, type VersionRow } from '../sql/rows.js';
import type { CreateModelVersionInput } from '../store.js';
import { inTransaction, isUniqueViolation, row, rows, type Queryable } from './connection.js';

type KV = { key: string; value: string };
const MODEL_TABLES = ['registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags'];

/**
 * The model registry half of the PostgreSQL store, on the store's pool; PostgresStore holds one
 * and hands it the registry calls. Writes that read then write lock the model's row
 * (SELECT … FOR UPDATE), so concurrent servers number versions without gaps or duplicates.
 */
export class PostgresRegistry {
  constructor(
    private readonly pool: Pool,
    /** Where relative locations resolve (a store migrated from a folder keeps absolute ones): none. */
    readonly root: string | undefined,
  ) {}

  private async modelRow(db: Queryable, name: string, lock = false): Promise<ModelRow> {
    const r = await row<ModelRow>(db, `SELECT * FROM registered_models WHERE name = $1${lock ? ' FOR UPDATE' : ''}`, [name]);
    if (!r) throw modelNotFound(name);
    return r;
  }

  private async versionRow(db: Queryable, name: string, version: number): Promise<VersionRow> {
    const r = await row<VersionRow>(db, 'SELECT * FROM model_versions WHERE name = $1 AND version = $2', [name, version]);
    if (!r) {
      await this.modelRow(db, name);
      throw versionNotFound(name, version);
    }
    return r;
  }

  private async toModel(db: Queryable, r: ModelRow): Promise<RegisteredModel> {
    // One after another: a transaction's client runs one query at a time.
    const tags = await rows<KV>(db, 'SELECT key, value FROM registered_model_tags WHERE name = $1', [r.name]);
    const aliases = await rows<{ alias: string; version: number }>(db, 'SELECT alias, version FROM registered_model_aliases WHERE name = $1 ORDER BY alias', [
      r.name,
    ]);
    const latest = await row<{ v: number | null }>(db, 'SELECT max(version) AS v FROM model_versions WHERE name = $1', [r.name]);
    return toModel(r, tags, aliases, latest?.v ?? null);
  }

  private async toVersion(db: Queryable, r: VersionRow): Promise<ModelVersion> {
    const tags = await rows<KV>(db, 'SELECT key, value FROM model_version_tags WHERE name = $1 AND version = $2', [r.name, r.version]);
    const aliases = await rows<{ alias: string }>(db, 'SELECT alias FROM registered_model_aliases WHERE name = $1 AND version = $2 ORDER BY alias', [
      r.name,
      r.version,
    ]);
    return toVersion(
      r,
      this.root,
      tags,
      aliases.map((a) => a.alias),
    );
  }

  private async touch(db: Queryable, name: string): Promise<void> {
    await db.query('UPDATE registered_models SET last_updated_time = $1 WHERE name = $2', [Date.now(), name]);
  }

  async createRegisteredModel(name: string, description = '', tags: Record<string, string> = {}): Promise<RegisteredModel> {
    validateModelName(name);
    validateTags(tags);
    return inTransaction(this.pool, async (c) => {
      const now = Date.now();
      // ON CONFLICT DO NOTHING waits for a concurrent creator and then inserts nothing: a clean "already exists".
      const made = await c.query(
        `INSERT INTO registered_models (name, description, creation_time, last_updated_time, next_version)
         VALUES ($1, $2, $3, $3, 1) ON CONFLICT (name) DO NOTHING`,
        [name, description, now],
      );
      if (made.rowCount === 0) throw modelExists(name);
      for (const [k, v] of Object.entries(tags)) await c.query('INSERT INTO registered_model_tags (name, key, value) VALUES ($1, $2, $3)', [name, k, v]);
      return this.toModel(c, await this.modelRow(c, name));
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.toModel(this.pool, await this.modelRow(this.pool, name));
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const all = await rows<ModelRow>(this.pool, 'SELECT * FROM registered_models ORDER BY name');
    return Promise.all(all.map((r) => this.toModel(this.pool, r)));
  }

  async updateRegisteredModel(name: string, input: { description?: string }): Promise<RegisteredModel> {
    await this.modelRow(this.pool, name);
    if (input.description !== undefined)
      await this.pool.query('UPDATE registered_models SET description = $1, last_updated_time = $2 WHERE name = $3', [input.description, Date.now(), name]);
    return this.getRegisteredModel(name);
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(newName);
    return inTransaction(this.pool, async (c) => {
      await this.modelRow(c, name, true);
      if (await row(c, 'SELECT 1 FROM registered_models WHERE name = $1', [newName])) throw modelExists(newName);
      try {
        for (const table of MODEL_TABLES) await c.query(`UPDATE ${table} SET name = $1 WHERE name = $2`, [newName, name]);
      } catch (err) {
        throw isUniqueViolation(err) ? modelExists(newName, err) : err;
      }
      await this.touch(c, newName);
      return this.toModel(c, await this.modelRow(c, newName));
    });
  }

  async deleteRegisteredModel(name: string): Promise<string[]> {
    return inTransaction(this.pool, async (c) => {
      await this.modelRow(c, name, true);
      const locations = (await rows<{ l: string }>(c, 'SELECT DISTINCT storage_location AS l FROM model_versions WHERE name = $1', [name])).map((r) => r.l);
      for (const table of [...MODEL_TABLES].reverse()) await c.query(`DELETE FROM ${table} WHERE name = $1`, [name]);
      return this.orphaned(c, locations);
    });
  }

  /** Of these storage locations, the ones no remaining version uses. */
  private async orphaned(db: Queryable, locations: string[]): Promise<string[]> {
    const used = new Set(
      (await rows<{ l: string }>(db, 'SELECT DISTINCT storage_location AS l FROM model_versions WHERE storage_location = ANY($1)', [locations])).map(
        (r) => r.l,
      ),
    );
    return locations.filter((l) => l !== '' && !used.has(l)).map((l) => resolveArtifactUri(this.root, l));
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    await this.modelRow(this.pool, name);
    await this.pool.query(
      'INSERT INTO registered_model_tags (name, key, value) VALUES ($1, $2, $3) ON CONFLICT (name, key) DO UPDATE SET value = excluded.value',
      [name, key, value],
    );
    await this.touch(this.pool, name);
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.modelRow(this.pool, name);
    if ((await this.pool.query('DELETE FROM registered_model_tags WHERE name = $1 AND key = $2', [name, key])).rowCount === 0) throw noModelTag(name, key);
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    validateVersionInput(input);
    return inTransaction(this.pool, async (c) => {
      const now = Date.now();
      // The model on first use (its first version's description), then its row locked: concurrent
      // registrations of one model, from any number of servers, take their numbers one at a time.
      await c.query(
        `INSERT INTO registered_models (name, description, creation_time, last_updated_time, next_version)
         VALUES ($1, $2, $3, $3, 1) ON CONFLICT (name) DO NOTHING`,
        [input.name, input.description ?? '', now],
      );
      const version = (await this.modelRow(c, input.name, true)).next_version;
      await c.query({
        name: 'mlx_insert_model_version',
        text: `INSERT INTO model_versions (name, version, description, creation_time, last_updated_time, user_id, source, run_id, status,
                 storage_location, sha256, size, ir_version, opset, producer, signature, labels, preprocess)
               VALUES ($1, $2, $3, $4, $4, $5, $6, $7, 'READY', $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        values: [
          input.name,
          version,
          input.description ?? '',
          now,
          input.userId,
          input.source,
          input.runId,
          input.storageLocation,
          input.sha256,
          input.size,
          input.irVersion,
          JSON.stringify(input.opset),
          input.producer,
          JSON.stringify(input.signature),
          input.labels ? JSON.stringify(input.labels) : null,
          input.preprocess,
        ],
      });
      await c.query('UPDATE registered_models SET next_version = $1, last_updated_time = $2 WHERE name = $3', [version + 1, now, input.name]);
      for (const [k, v] of Object.entries(input.tags ?? {}))
        await c.query('INSERT INTO model_version_tags (name, version, key, value) VALUES ($1, $2, $3, $4)', [input.name, version, k, v]);
      if (input.alias !== undefined) await this.upsertAlias(c, input.name, input.alias, version);
      return this.toVersion(c, await this.versionRow(c, input.name, version));
    });
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.toVersion(this.pool, await this.versionRow(this.pool, name, version));
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    await this.modelRow(this.pool, name);
    const a = await row<{ version: number }>(this.pool, 'SELECT version FROM registered_model_aliases WHERE name = $1 AND alias = $2', [name, alias]);
    if (!a) throw aliasNotFound(name, alias);
    return this.getModelVersion(name, a.version);
  }

  async getLatestModelVersion(name: string): Promise<ModelVersion> {
    const latest = (await this.getRegisteredModel(name)).latest_version;
    if (latest === null) throw noVersions(name);
    return this.getModelVersion(name, latest);
  }

  async searchModelVersions(filter: { name?: string; runId?: string }): Promise<ModelVersion[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.name !== undefined) {
      params.push(filter.name);
      where.push(`name = $${params.length}`);
    }
    if (filter.runId !== undefined) {
      params.push(filter.runId);
      where.push(`run_id = $${params.length}`);
    }
    const found = await rows<VersionRow>(
      this.pool,
      `SELECT * FROM model_versions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, version DESC`,
      params,
    );
    return Promise.all(found.map((r) => this.toVersion(this.pool, r)));
  }

  async updateModelVersion(name: string, version: number, input: { description?: string }): Promise<ModelVersion> {
    await this.versionRow(this.pool, name, version);
    if (input.description !== undefined)
      await this.pool.query('UPDATE model_versions SET description = $1, last_updated_time = $2 WHERE name = $3 AND version = $4', [
        input.description,
        Date.now(),
        name,
        version,
      ]);
    return this.getModelVersion(name, version);
  }

  async deleteModelVersion(name: string, version: number): Promise<string[]> {
    return inTransaction(this.pool, async (c) => {
      await this.modelRow(c, name, true);
      const v = await this.versionRow(c, name, version);
      for (const table of ['registered_model_aliases', 'model_version_tags', 'model_versions'])
        await c.query(`DELETE FROM ${table} WHERE name = $1 AND version = $2`, [name, version]);
      await this.touch(c, name);
      return this.orphaned(c, [v.storage_location]);
    });
  }

  async setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    await this.versionRow(this.pool, name, version);
    await this.pool.query(
      'INSERT INTO model_version_tags (name, version, key, value) VALUES ($1, $2, $3, $4) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value',
      [name, version, key, value],
    );
  }

  async deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    await this.versionRow(this.pool, name, version);
    if ((await this.pool.query('DELETE FROM model_version_tags WHERE name = $1 AND version = $2 AND key = $3', [name, version, key])).rowCount === 0)
      throw noVersionTag(name, version, key);
  }

  private async upsertAlias(db: Queryable, name: string, alias: string, version: number): Promise<void> {
    await db.query(
      'INSERT INTO registered_model_aliases (name, alias, version) VALUES ($1, $2, $3) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version',
      [name, alias, version],
    );
    await this.touch(db, name);
  }

  async setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    validateAlias(alias);
    await inTransaction(this.pool, async (c) => {
      await this.modelRow(c, name, true);
      await this.versionRow(c, name, version);
      await this.upsertAlias(c, name, alias, version);
    });
  }

  async transitionModelVersionStage(name: string, version: number, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    return inTransaction(this.pool, async (c) => {
      await this.modelRow(c, name, true);
      await this.versionRow(c, name, version);
      const now = Date.now();
      if (archiveExisting && (stage === 'Staging' || stage === 'Production'))
        await c.query("UPDATE model_versions SET current_stage = 'Archived', last_updated_time = $1 WHERE name = $2 AND current_stage = $3 AND version <> $4", [
          now,
          name,
          stage,
          version,
        ]);
      await c.query('UPDATE model_versions SET current_stage = $1, last_updated_time = $2 WHERE name = $3 AND version = $4', [stage, now, name, version]);
      await this.touch(c, name);
      return this.toVersion(c, await this.versionRow(c, name, version));
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.modelRow(this.pool, name);
    if ((await this.pool.query('DELETE FROM registered_model_aliases WHERE name = $1 AND alias = $2', [name, alias])).rowCount === 0)
      throw noAliasToDelete(name, alias);
    await this.touch(this.pool, name);
  }
}
