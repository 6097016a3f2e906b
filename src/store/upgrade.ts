import fs from 'node:fs';
import path from 'node:path';
import { MlxError } from '../core/errors.js';
import { isHttpUri, isPostgresUri, redactUri } from '../core/uri.js';

export interface UpgradeResult {
  /** The store, as it may be shown (a PostgreSQL URI without its password). */
  store: string;
  from: number;
  to: number;
}

/**
 * Applies a store's pending schema migrations: a local folder's SQLite database, or a PostgreSQL
 * database (an empty one is initialised). A store newer than this mlx is refused as on open.
 */
export async function upgradeStore(uri: string): Promise<UpgradeResult> {
  if (isHttpUri(uri))
    throw new MlxError('INVALID_PARAMETER_VALUE', `${uri} is a tracking server; run \`mlx db upgrade\` where its store is (its folder or postgresql:// URI)`);
  if (isPostgresUri(uri)) {
    const { openPool } = await import('./postgres/connection.js');
    const { applyMigrations } = await import('./postgres/schema.js');
    const pool = await openPool(uri, { max: 1 });
    try {
      return { store: redactUri(uri), ...(await applyMigrations(pool, uri)) };
    } finally {
      await pool.end();
    }
  }
  const { DB_FILE } = await import('./sqlite/sqlite-store.js');
  const { openDatabase } = await import('./sqlite/database.js');
  const { SCHEMA_VERSION } = await import('./sqlite/migrations.js');
  const file = path.join(uri, DB_FILE);
  if (!fs.existsSync(file)) throw new MlxError('RESOURCE_DOES_NOT_EXIST', `no mlx store at ${uri} (no ${DB_FILE} there); give the store folder, e.g. ./.mlx`);
  const { default: Database } = await import('better-sqlite3');
  let from: number;
  try {
    const peek = new Database(file, { readonly: true, fileMustExist: true });
    from = peek.pragma('user_version', { simple: true }) as number;
    peek.close();
  } catch {
    from = 0; // not SQLite: openDatabase says so in its words
  }
  // Opening an older SQLite store migrates it; a newer or foreign one is refused.
  openDatabase(file, { create: false }).close();
  return { store: uri, from, to: SCHEMA_VERSION };
}
