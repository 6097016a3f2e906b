import type { Pool, PoolClient } from 'pg';
import { MlxError } from '../../core/errors.js';
import { PROXY_SCHEME, redactUri } from '../../core/uri.js';
import { row, type Queryable } from './connection.js';
import { PG_MIGRATIONS } from './migrations.js';

export type Migrations = typeof PG_MIGRATIONS;

/** Where experiments keep run artifacts unless told: the artifact proxy of `mlx server` in front of the database. */
export const PG_DEFAULT_ARTIFACT_ROOT = PROXY_SCHEME;

// pg_advisory_lock key ("mlx" schema changes): replicas starting together migrate one at a time.
export const MIGRATION_LOCK = 0x6d6c785f736368;

/** The schema version of the database, or 0 when it has no mlx tables yet; refuses another program's tables. */
export async function schemaVersion(db: Queryable, uri: string): Promise<number> {
  const has = await row<{ t: string | null }>(db, "SELECT to_regclass('mlx_schema_version')::text AS t");
  if (has?.t) return (await row<{ version: number }>(db, 'SELECT version FROM mlx_schema_version'))?.version ?? 0;
  const clash = await row<{ n: number }>(
    db,
    `SELECT count(*)::int AS n FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_name IN ('experiments', 'runs', 'registered_models')`,
  );
  if (clash && clash.n > 0)
    throw new MlxError(
      'INVALID_STATE',
      `${redactUri(uri)} has tables named like mlx's (experiments, runs) but no mlx schema version: it is not an mlx store; use another database or schema`,
    );
  return 0;
}

/** Refuses a database at another schema version than this mlx's, saying what to do. */
export function checkVersion(uri: string, current: number, migrations: Migrations = PG_MIGRATIONS): void {
  const target = migrations[migrations.length - 1].version;
  const shown = redactUri(uri);
  if (current > target)
    throw new MlxError(
      'INVALID_STATE',
      `the store ${shown} has schema version ${current}, newer than this mlx understands (${target}); upgrade mlx (npm install -g mlx@latest) to use it`,
    );
  if (current < target)
    throw new MlxError('INVALID_STATE', `the store ${shown} has schema version ${current}, older than this mlx (${target}); run \`mlx db upgrade ${shown}\``);
}

/**
 * Applies the pending migrations in one transaction, under an advisory lock so that two
 * processes doing it at once apply them once. An empty database also gets the Default experiment.
 */
export async function applyMigrations(
  pool: Pool,
  uri: string,
  opts: { migrations?: Migrations; defaultArtifactRoot?: string; lock?: boolean } = {},
): Promise<{ from: number; to: number }> {
  const migrations = opts.migrations ?? PG_MIGRATIONS;
  const target = migrations[migrations.length - 1].version;
  const c = await pool.connect();
  try {
    if (opts.lock !== false) await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const from = await schemaVersion(c, uri);
    if (from > target) checkVersion(uri, from, migrations);
    if (from === target) return { from, to: target };
    await c.query('BEGIN');
    try {
      await runMigrations(c, from, migrations, opts.defaultArtifactRoot ?? PG_DEFAULT_ARTIFACT_ROOT);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      if (err instanceof MlxError) throw err;
      throw new MlxError('INTERNAL_ERROR', `cannot migrate ${redactUri(uri)} to schema version ${target}: ${(err as Error).message}`, { cause: err });
    }
    return { from, to: target };
  } finally {
    if (opts.lock !== false) await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    c.release();
  }
}

/** Applies the migrations after `from` inside the caller's transaction; from 0 also seeds the Default experiment. */
export async function runMigrations(c: PoolClient, from: number, migrations: Migrations, defaultArtifactRoot: string): Promise<void> {
  if (from === 0) await c.query('CREATE TABLE mlx_schema_version (version INTEGER NOT NULL)');
  for (const m of migrations) {
    if (m.version <= from) continue;
    await c.query(m.sql);
    if (m.version === 1) {
      const now = Date.now();
      await c.query(
        `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (0, 'Default', $1, 'active', $2, $2)`,
        [`${defaultArtifactRoot.replace(/\/+$/, '')}/0`, now],
      );
    }
  }
  await c.query('DELETE FROM mlx_schema_version');
  await c.query('INSERT INTO mlx_schema_version (version) VALUES ($1)', [migrations[migrations.length - 1].version]);
}
