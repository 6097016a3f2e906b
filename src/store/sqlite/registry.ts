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
import type { Db } from './database.js';

/**
 * The model registry half of the SQLite store (registered models, versions, tags, aliases), on
 * the store's database; SqliteStore holds one and hands it the registry calls, so each file
 * keeps one job.
 */
export class SqliteRegistry {
  constructor(
    private readonly db: Db,
    /** The store folder: relative locations in the database resolve against it. */
    readonly root: string,
  ) {}

  private modelRow(name: string): ModelRow {
    const row = this.db.prepare('SELECT * FROM registered_models WHERE name = ?').get(name) as ModelRow | undefined;
    if (!row) throw modelNotFound(name);
    return row;
  }

  private versionRow(name: string, version: number): VersionRow {
    const row = this.db.prepare('SELECT * FROM model_versions WHERE name = ? AND version = ?').get(name, version) as VersionRow | undefined;
    if (!row) {
      this.modelRow(name);
      throw versionNotFound(name, version);
    }
    return row;
  }

  private toModel(row: ModelRow): RegisteredModel {
    const tags = this.db.prepare('SELECT key, value FROM registered_model_tags WHERE name = ?').all(row.name) as { key: string; value: string }[];
    const aliases = this.db.prepare('SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias').all(row.name) as {
      alias: string;
      version: number;
    }[];
    const latest = this.db.prepare('SELECT max(version) FROM model_versions WHERE name = ?').pluck().get(row.name) as number | null;
    return toModel(row, tags, aliases, latest);
  }

  private toVersion(row: VersionRow): ModelVersion {
    const tags = this.db.prepare('SELECT key, value FROM model_version_tags WHERE name = ? AND version = ?').all(row.name, row.version) as {
      key: string;
      value: string;
    }[];
    const aliases = this.db
      .prepare('SELECT alias FROM registered_model_aliases WHERE name = ? AND version = ? ORDER BY alias')
      .pluck()
      .all(row.name, row.version) as string[];
    return toVersion(row, this.root, tags, aliases);
  }

  private insertModel(name: string, description: string, now: number): void {
    this.db
      .prepare('INSERT INTO registered_models (name, description, creation_time, last_updated_time, next_version) VALUES (?, ?, ?, ?, 1)')
      .run(name, description, now, now);
  }

  private touch(name: string): void {
    this.db.prepare('UPDATE registered_models SET last_updated_time = ? WHERE name = ?').run(Date.now(), name);
  }

  async createRegisteredModel(name: string, description = '', tags: Record<string, string> = {}): Promise<RegisteredModel> {
    validateModelName(name);
    validateTags(tags);
    return this.db
      .transaction(() => {
        if (this.db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(name)) throw modelExists(name);
        this.insertModel(name, description, Date.now());
        const ins = this.db.prepare('INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)');
        for (const [k, v] of Object.entries(tags)) ins.run(name, k, v);
        return this.toModel(this.modelRow(name));
      })
      .immediate();
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.toModel(this.modelRow(name));
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return (this.db.prepare('SELECT * FROM registered_models ORDER BY name').all() as ModelRow[]).map((r) => this.toModel(r));
  }

  async updateRegisteredModel(name: string, input: { description?: string }): Promise<RegisteredModel> {
    this.modelRow(name);
    if (input.description !== undefined)
      this.db.prepare('UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?').run(input.description, Date.now(), name);
    return this.toModel(this.modelRow(name));
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(newName);
    return this.db
      .transaction(() => {
        this.modelRow(name);
        if (this.db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(newName)) throw modelExists(newName);
        for (const table of ['registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags'])
          this.db.prepare(`UPDATE ${table} SET name = ? WHERE name = ?`).run(newName, name);
        this.touch(newName);
        return this.toModel(this.modelRow(newName));
      })
      .immediate();
  }

  async deleteRegisteredModel(name: string): Promise<string[]> {
    return this.db
      .transaction(() => {
        this.modelRow(name);
        const locations = this.db.prepare('SELECT DISTINCT storage_location FROM model_versions WHERE name = ?').pluck().all(name) as string[];
        for (const table of ['registered_model_aliases', 'model_version_tags', 'model_versions', 'registered_model_tags', 'registered_models'])
          this.db.prepare(`DELETE FROM ${table} WHERE name = ?`).run(name);
        return this.orphaned(locations);
      })
      .immediate();
  }

  /** Of these storage locations, the ones no remaining version uses (absolute paths). */
  private orphaned(locations: string[]): string[] {
    const used = this.db.prepare('SELECT 1 FROM model_versions WHERE storage_location = ? LIMIT 1');
    return locations.filter((l) => l !== '' && !used.get(l)).map((l) => resolveArtifactUri(this.root, l));
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    this.modelRow(name);
    this.db
      .prepare('INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?) ON CONFLICT (name, key) DO UPDATE SET value = excluded.value')
      .run(name, key, value);
    this.touch(name);
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    this.modelRow(name);
    if (this.db.prepare('DELETE FROM registered_model_tags WHERE name = ? AND key = ?').run(name, key).changes === 0) throw noModelTag(name, key);
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    validateVersionInput(input);
    return this.db
      .transaction(() => {
        const now = Date.now();
        // A model created by its first version takes that version's description.
        if (!this.db.prepare('SELECT 1 FROM registered_models WHERE name = ?').get(input.name)) this.insertModel(input.name, input.description ?? '', now);
        const version = this.modelRow(input.name).next_version;
        this.db
          .prepare(
            `INSERT INTO model_versions (name, version, description, creation_time, last_updated_time, user_id, source, run_id, status,
               storage_location, sha256, size, ir_version, opset, producer, signature, labels, preprocess)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'READY', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            input.name,
            version,
            input.description ?? '',
            now,
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
          );
        this.db.prepare('UPDATE registered_models SET next_version = ?, last_updated_time = ? WHERE name = ?').run(version + 1, now, input.name);
        const ins = this.db.prepare('INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)');
        for (const [k, v] of Object.entries(input.tags ?? {})) ins.run(input.name, version, k, v);
        if (input.alias !== undefined) this.upsertAlias(input.name, input.alias, version);
        return this.toVersion(this.versionRow(input.name, version));
      })
      .immediate();
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.toVersion(this.versionRow(name, version));
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    this.modelRow(name);
    const version = this.db.prepare('SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?').pluck().get(name, alias) as number | undefined;
    if (version === undefined) throw aliasNotFound(name, alias);
    return this.toVersion(this.versionRow(name, version));
  }

  async getLatestModelVersion(name: string): Promise<ModelVersion> {
    const latest = this.toModel(this.modelRow(name)).latest_version;
    if (latest === null) throw noVersions(name);
    return this.toVersion(this.versionRow(name, latest));
  }

  async searchModelVersions(filter: { name?: string; runId?: string }): Promise<ModelVersion[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.name !== undefined) {
      where.push('name = ?');
      params.push(filter.name);
    }
    if (filter.runId !== undefined) {
      where.push('run_id = ?');
      params.push(filter.runId);
    }
    const rows = this.db
      .prepare(`SELECT * FROM model_versions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, version DESC`)
      .all(...params) as VersionRow[];
    return rows.map((r) => this.toVersion(r));
  }

  async updateModelVersion(name: string, version: number, input: { description?: string }): Promise<ModelVersion> {
    this.versionRow(name, version);
    if (input.description !== undefined)
      this.db
        .prepare('UPDATE model_versions SET description = ?, last_updated_time = ? WHERE name = ? AND version = ?')
        .run(input.description, Date.now(), name, version);
    return this.toVersion(this.versionRow(name, version));
  }

  async deleteModelVersion(name: string, version: number): Promise<string[]> {
    return this.db
      .transaction(() => {
        const row = this.versionRow(name, version);
        for (const table of ['registered_model_aliases', 'model_version_tags', 'model_versions'])
          this.db.prepare(`DELETE FROM ${table} WHERE name = ? AND version = ?`).run(name, version);
        this.touch(name);
        return this.orphaned([row.storage_location]);
      })
      .immediate();
  }

  async setModelVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    validateTagValue(key, value);
    this.versionRow(name, version);
    this.db
      .prepare(
        'INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value',
      )
      .run(name, version, key, value);
  }

  async deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    this.versionRow(name, version);
    if (this.db.prepare('DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?').run(name, version, key).changes === 0)
      throw noVersionTag(name, version, key);
  }

  private upsertAlias(name: string, alias: string, version: number): void {
    this.db
      .prepare(
        'INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version',
      )
      .run(name, alias, version);
    this.touch(name);
  }

  async setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    validateAlias(alias);
    this.db
      .transaction(() => {
        this.versionRow(name, version);
        this.upsertAlias(name, alias, version);
      })
      .immediate();
  }

  async transitionModelVersionStage(name: string, version: number, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    return this.db
      .transaction(() => {
        this.versionRow(name, version);
        const now = Date.now();
        if (archiveExisting && (stage === 'Staging' || stage === 'Production'))
          this.db
            .prepare("UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? WHERE name = ? AND current_stage = ? AND version <> ?")
            .run(now, name, stage, version);
        this.db.prepare('UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?').run(stage, now, name, version);
        this.touch(name);
        return this.toVersion(this.versionRow(name, version));
      })
      .immediate();
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    this.modelRow(name);
    if (this.db.prepare('DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?').run(name, alias).changes === 0) throw noAliasToDelete(name, alias);
    this.touch(name);
  }
}
