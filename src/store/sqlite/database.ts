import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MlxError } from '../../core/errors.js';
import { fileError } from '../../core/file-errors.js';
import { readOnlyStore, whyNotWritable, writeDenied } from '../../core/write-access.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Opens (creating if asked) an mlx SQLite database, refusing foreign or newer files, upgrading older
 * ones. A database this process may not write (another user's, on a read-only mount) opens
 * read-only: readers work, and a write fails with SQLITE_READONLY (see isReadOnlyError).
 */
export function openDatabase(file: string, opts: { create: boolean; migrations?: typeof MIGRATIONS }): Db {
  const migrations = opts.migrations ?? MIGRATIONS;
  if (file !== ':memory:') {
    const exists = fs.existsSync(file);
    if (!exists && !opts.create) throw new MlxError('RESOURCE_DOES_NOT_EXIST', `no mlx store at ${file}`);
    if (exists) {
      checkMagic(file);
      const why = whyNotWritable([path.dirname(file), file]);
      if (why) return openReadOnly(file, why, migrations);
    } else {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
      } catch (err) {
        throw writeDenied(err, `the store ${path.dirname(file)}`) ?? err;
      }
    }
  }
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new MlxError('INTERNAL_ERROR', `cannot open the mlx database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // WAL lets readers run beside one writer; the busy timeout makes concurrent writers queue instead of failing.
    db.pragma('busy_timeout = 15000');
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, file, migrations);
  } catch (err) {
    db.close();
    if (err instanceof MlxError) throw err;
    // Writable by its mode yet refused by SQLite (say, a file made immutable): read it as such.
    if (file !== ':memory:' && isReadOnlyError(err) && fs.existsSync(file))
      return openReadOnly(file, `SQLite may not write it (${(err as { code: string }).code})`, migrations);
    const msg = (err as Error).message;
    if (/not a database|file is encrypted/i.test(msg)) throw notSqlite(file, err);
    throw new MlxError('INTERNAL_ERROR', `cannot open the mlx database ${file}: ${msg}`, { cause: err });
  }
  return db;
}

/** SQLite's refusals to write a database: SQLITE_READONLY and its extended codes (…_DIRECTORY, …_DBMOVED, …). */
export function isReadOnlyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_READONLY');
}

/**
 * Opens a database this process may only read, creating no file beside it. In WAL mode a reader
 * needs the -shm index next to the database: with a writer at work both -wal and -shm are there
 * and SQLite reads through them. Without them SQLite would create them, owned by this user and
 * unwritable by the store's owner (whose next write would then fail), or cannot, in a folder it
 * may not write; the database file alone is then the whole store, and an in-memory copy of it
 * reads the same. (SQLite's immutable=1 needs URI file names, which better-sqlite3 leaves off.)
 */
function openReadOnly(file: string, why: string, migrations: typeof MIGRATIONS): Db {
  const store = `the store ${path.dirname(file)}`;
  const wal = `${file}-wal`;
  const pendingWal = fs.existsSync(wal) && fs.statSync(wal).size > 0;
  let db: Db | undefined;
  if (fs.existsSync(wal) && fs.existsSync(`${file}-shm`)) {
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 15000');
      // The first read: the header, the -wal and the -shm.
      db.pragma('user_version', { simple: true });
    } catch (err) {
      db?.close();
      db = undefined;
      if (pendingWal)
        throw readOnlyStore(store, `${why}, and its ${path.basename(wal)} holds changes SQLite cannot read without writing (${(err as Error).message})`, err);
    }
  } else if (pendingWal)
    throw readOnlyStore(store, `${why}, and its ${path.basename(wal)} holds changes SQLite cannot read without writing its index (${path.basename(file)}-shm)`);
  db ??= snapshot(file);
  const current = db.pragma('user_version', { simple: true }) as number;
  const target = migrations[migrations.length - 1].version;
  if (current !== target) {
    db.close();
    if (current > target)
      throw new MlxError(
        'INVALID_STATE',
        `the store ${file} has schema version ${current}, newer than this mlx understands (${target}); upgrade mlx (npm install -g mlx@latest) to use it`,
      );
    throw readOnlyStore(
      store,
      `${why}, and its schema (version ${current}) must first be upgraded to version ${target} by someone who can write it (mlx db upgrade ${path.dirname(file)})`,
    );
  }
  return db;
}

/** The database file as a read-only in-memory database, its WAL header bytes set back to rollback mode (memory databases cannot be WAL). */
function snapshot(file: string): Db {
  const bytes = fs.readFileSync(file);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return new Database(bytes, { readonly: true });
}

function notSqlite(file: string, cause?: unknown): MlxError {
  return new MlxError('INVALID_STATE', `${file} is not an SQLite database; move it aside or point --tracking-uri / MLX_TRACKING_URI at another store`, {
    cause,
  });
}

function checkMagic(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    // A store this user may not even read: said as such, not as an internal error to report.
    throw fileError(err, `the mlx database ${file}`);
  }
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
    throw new MlxError('INVALID_STATE', `${file} is an SQLite database but not an mlx store; move it aside or point --tracking-uri at another store`);
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
