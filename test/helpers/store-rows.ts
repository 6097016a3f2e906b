import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Every row of every table of a project's SQLite store (<dir>/.mlx/mlx.db), read in this process;
 * null when there is no store. What a refused command must leave exactly as it found it: more than
 * any listing command shows, and without a process spawned per look.
 */
export function storeRows(dir: string): Record<string, unknown[]> | null {
  const file = path.join(dir, '.mlx', 'mlx.db');
  if (!fs.existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    // A whole-table scan gives an unchanged table's rows in the same order (rowid or primary key).
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
  } finally {
    db.close();
  }
}
