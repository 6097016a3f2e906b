import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { openDatabase } from './database.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-db-')), 'mlx.db');

function openError(file: string, create = true): MlxError {
  try {
    openDatabase(file, { create }).close();
  } catch (err) {
    expect(err).toBeInstanceOf(MlxError);
    return err as MlxError;
  }
  throw new Error('expected openDatabase to fail');
}

describe('openDatabase', () => {
  it('creates a new store at the current schema version, in WAL mode, with the Default experiment', () => {
    const file = tmpFile();
    const db = openDatabase(file, { create: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT experiment_id, name FROM experiments').all()).toEqual([{ experiment_id: 0, name: 'Default' }]);
    db.close();
  });

  it('refuses a file that is not SQLite, naming it', () => {
    const file = tmpFile();
    fs.writeFileSync(file, 'this is not a database, just text that is long enough');
    const err = openError(file);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not an SQLite database/);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^this is not/);
  });

  it("refuses an SQLite database that is some other program's", () => {
    const file = tmpFile();
    const other = new Database(file);
    other.exec('CREATE TABLE users (id INTEGER)');
    other.close();
    expect(openError(file).message).toMatch(/not an mlx store/);
  });

  it('refuses a store from a newer mlx and says to upgrade', () => {
    const file = tmpFile();
    openDatabase(file, { create: true }).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const err = openError(file);
    expect(err.message).toMatch(new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer`));
    expect(err.message).toMatch(/upgrade mlx/);
  });

  it('upgrades a store from an older mlx, keeping its data', () => {
    const file = tmpFile();
    const db = openDatabase(file, { create: true });
    db.prepare("INSERT INTO experiments VALUES (1, 'old', 'artifacts/1', 'active', 1, 1)").run();
    db.close();
    const next = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'test', sql: 'ALTER TABLE experiments ADD COLUMN note TEXT;' }];
    const upgraded = openDatabase(file, { create: false, migrations: next });
    expect(upgraded.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(upgraded.prepare('SELECT name, note FROM experiments WHERE experiment_id = 1').get()).toEqual({ name: 'old', note: null });
    upgraded.close();
  });

  it('upgrades a tracking-only store (schema 1) to the registry schema, keeping its runs', () => {
    const file = tmpFile();
    const v1 = openDatabase(file, { create: true, migrations: MIGRATIONS.slice(0, 1) });
    v1.prepare(
      "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, artifact_uri) VALUES ('r', 'n', 0, 'u', 'FINISHED', 1, 'a')",
    ).run();
    v1.close();
    const db = openDatabase(file, { create: false });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT count(*) FROM model_versions').pluck().get()).toBe(0);
    expect(db.prepare('SELECT name FROM runs').pluck().all()).toEqual(['n']);
    db.close();
  });

  it('does not create a missing store unless asked', () => {
    const file = tmpFile();
    expect(openError(file, false).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(fs.existsSync(file)).toBe(false);
  });
});
