import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MlxError } from '../../core/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

const SQLITE_MAGIC = 'SQLite format 3\0';

/** Opens (creating if asked) an mlx SQLite database, refusing foreign or newer files, upgrading older ones. */
export function openDatabase(
  file: string,
  opts: { create: boolean; migrations?: typeof MIGRATIONS },
): Db {
  if (file !== ':memory:') {
    const exists = fs.existsSync(file);
    if (!exists && !opts.create) throw new MlxError('RESOURCE_DOES_NOT_EXIST', `no mlx store at ${file}`);
    if (exists) checkMagic(file);
    else fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new MlxError('INTERNAL_ERROR', `cannot open the mlx database ${file}: ${(err as Error).message}`);
  }
  try {
    // WAL lets readers run beside one writer; the busy timeout makes concurrent writers queue instead of failing.
    db.pragma('busy_timeout = 15000');
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, file, opts.migrations ?? MIGRATIONS);
  } catch (err) {
    db.close();
    if (err instanceof MlxError) throw err;
    const msg = (err as Error).message;
    if (/not a database|file is encrypted/i.test(msg))
      throw notSqlite(file);
    throw new MlxError('INTERNAL_ERROR', `cannot open the mlx database ${file}: ${msg}`);
  }
  return db;
}

function notSqlite(file: string): MlxError {
  return new MlxError(
    'INVALID_STATE',
    `${file} is not an SQLite database; move it aside or point --tracking-uri / MLX_TRACKING_URI at another store`,
  );
}

function checkMagic(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = fs.readSync(fd, buf, 0, 16, 0);
    // An empty file is what SQLite itself would treat as a new database.
    if (n === 0) return;
    if (n < 16 || buf.toString('latin1') !== SQLITE_MAGIC) throw notSqlite(file);
  } finally {
    fs.closeSync(fd);
  }
}

function migrate(db: Db, file: string, migrations: typeof MIGRATIONS): void {
  const target = migrations[migrations.length - 1].version;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === target) return;
  if (current > target)
    throw new MlxError(
      'INVALID_STATE',
      `the store ${file} has schema version ${current}, newer than this mlx understands (${target}); upgrade mlx (npm install -g mlx@latest) to use it`,
    );
  if (current === 0 && hasForeignTables(db))
    throw new MlxError(
      'INVALID_STATE',
      `${file} is an SQLite database but not an mlx store; move it aside or point --tracking-uri at another store`,
    );
  // BEGIN IMMEDIATE takes the write lock first, so two processes opening a new store at once do not both migrate.
  const apply = db.transaction(() => {
    const again = db.pragma('user_version', { simple: true }) as number;
    for (const m of migrations) {
      if (m.version <= again) continue;
      db.exec(m.sql);
      if (m.version === 1) seedDefaultExperiment(db);
    }
    db.pragma(`user_version = ${target}`);
  });
  apply.immediate();
}

function hasForeignTables(db: Db): boolean {
  const row = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
  return row.n > 0;
}

function seedDefaultExperiment(db: Db): void {
  const now = Date.now();
  db.prepare(
    `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
     VALUES (0, 'Default', 'artifacts/0', 'active', ?, ?)`,
  ).run(now, now);
}
