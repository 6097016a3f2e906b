// `sqlite:///PATH` tracking URIs, as MLflow users write them (SQLAlchemy's spelling: three slashes
// and a relative path, four for an absolute one). mlx's SQLite store is a folder holding mlx.db
// (with artifacts/ and models/ beside it), so such a URI names a store only when its file is an
// mlx.db; MLflow's own database (its schema, an alembic_version table) is refused rather than
// opened beside or over it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { quoteJson } from '../core/control-chars.js';
import { MlxError } from '../core/errors.js';

const DB_FILE = 'mlx.db';

/** What a SQLite file holds, from its tables: MLflow's schema, something else, or not a database at all. */
function sqliteKind(file: string): 'mlflow' | 'sqlite' | 'not-sqlite' {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(16);
  try {
    fs.readSync(fd, head, 0, 16, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1') !== 'SQLite format 3\0') return 'not-sqlite';
  // better-sqlite3 loads only for a sqlite: URI naming an existing file.
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hit = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").get();
    return hit ? 'mlflow' : 'sqlite';
  } finally {
    db.close();
  }
}

/**
 * The store folder a `sqlite:` URI names: `sqlite:///DIR/mlx.db` (or `sqlite:///DIR`, a folder) is
 * the mlx store in DIR. Any other file is refused in one line saying what it is and what to give
 * instead: MLflow's database, which mlx cannot read, or a name mlx would not find again.
 */
export function sqliteStoreFolder(uri: string, cwd: string): string {
  const shown = quoteJson(uri);
  const m = /^sqlite:\/\/(\/[^?#]*)$/i.exec(uri);
  if (!m || m[1] === '/' || m[1] === '/:memory:')
    throw new MlxError(
      'USAGE',
      `tracking URI ${shown} is not a SQLite file URI mlx can keep a store at; give sqlite:///PATH/mlx.db (relative) or sqlite:////ABS/PATH/mlx.db, or the store folder itself`,
    );
  // SQLAlchemy: sqlite:///rel/x.db is relative to the working folder, sqlite:////abs/x.db absolute.
  const file = path.resolve(cwd, m[1].slice(1));
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) return file;
  const kind = stat ? sqliteKind(file) : undefined;
  // What to give instead, in the user's own spelling: the file's name without its extension as the store folder.
  const stem = path.basename(file, path.extname(file)) || 'mlx';
  const instead = `${uri.slice(0, uri.length - path.basename(m[1]).length)}${stem}/${DB_FILE}`;
  const folder = path.join(path.dirname(file), stem);
  const rel = path.relative(cwd, folder);
  const folderShown = rel.startsWith('..') || path.isAbsolute(rel) ? folder : rel;
  if (kind === 'mlflow')
    throw new MlxError(
      'USAGE',
      `tracking URI ${shown} is an MLflow database (it has MLflow's alembic_version table), which mlx cannot read; keep serving it with mlflow server, and give mlx a store of its own, e.g. ${instead}`,
    );
  if (kind === 'not-sqlite')
    throw new MlxError('USAGE', `tracking URI ${shown} names ${quoteJson(file)}, which is not a SQLite database; give sqlite:///PATH/mlx.db or a store folder`);
  if (path.basename(file) === DB_FILE) return path.dirname(file);
  throw new MlxError(
    'USAGE',
    `tracking URI ${shown}: mlx keeps its SQLite store as a folder holding ${DB_FILE}, with the artifacts and model files beside it; give ${instead} (the store folder ${quoteJson(folderShown)})`,
  );
}

/**
 * Refuses MLflow's file store (`mlruns/`: experiment folders with meta.yaml, a .trash folder), the
 * default `--backend-store-uri` of `mlflow server`: mlx cannot read it, and its store files
 * (mlx.db, artifacts/, models/) would mix with MLflow's own (MLflow keeps its registry in models/ too).
 * A folder that already holds an mlx store is left alone.
 */
export function refuseMlflowFileStore(folder: string): void {
  if (fs.existsSync(path.join(folder, DB_FILE))) return;
  const marks = [path.join(folder, '0', 'meta.yaml'), path.join(folder, '.trash')];
  if (!marks.some((m) => fs.existsSync(m))) return;
  throw new MlxError(
    'USAGE',
    `${quoteJson(folder)} is an MLflow file store (mlruns: it has ${fs.existsSync(marks[0]) ? '0/meta.yaml' : '.trash/'}), which mlx cannot read; keep serving it with mlflow server, and give mlx a folder of its own, e.g. ${quoteJson(path.join(path.dirname(folder), 'mlx-store'))}`,
  );
}
