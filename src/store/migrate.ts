import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { PoolClient } from 'pg';
import { MlxError } from '../core/errors.js';
import { isHttpUri, isPostgresUri, redactUri, schemeOf, trackingUriPath } from '../core/uri.js';
import { resolveArtifactUri } from './sql/rows.js';

/** The tables a store copy carries, parents first; rewrite names the columns holding store-relative locations. */
const TABLES: { name: string; rewrite?: string }[] = [
  { name: 'experiments', rewrite: 'artifact_location' },
  { name: 'experiment_tags' },
  { name: 'runs', rewrite: 'artifact_uri' },
  { name: 'params' },
  { name: 'tags' },
  { name: 'metrics' },
  { name: 'latest_metrics' },
  { name: 'datasets' },
  { name: 'inputs' },
  { name: 'registered_models' },
  { name: 'registered_model_tags' },
  { name: 'model_versions', rewrite: 'storage_location' },
  { name: 'model_version_tags' },
  { name: 'registered_model_aliases' },
];

const CHUNK = 5000;

export interface MigrateResult {
  /** The source store folder. */
  from: string;
  /** The target, without its password. */
  to: string;
  /** Rows copied per table (equal on both sides: checked before committing). */
  counts: Record<string, number>;
  /** True when locations inside the source folder (run artifacts, model files) were recorded: those files stay there. */
  usesSourceFolder: boolean;
  /** With copyArtifacts: where the runs' artifacts were copied, and how many files. */
  artifacts?: { destination: string; files: number };
}

/** New artifact locations after a copy: by run id and by experiment id. */
interface Relocation {
  runs: Map<string, string>;
  experiments: Map<string, string>;
  files: number;
}

/**
 * Copying a run's artifact folder to another place (a folder, s3://…): given by the caller, since
 * the artifact repositories are not the store's to open. Returns the number of files copied.
 */
export interface ArtifactCopy {
  destination: string;
  copy(localFolder: string, targetUri: string): Promise<number>;
}

/**
 * Copies every run's local artifact folder to DEST/<experiment id>/<run id>/artifacts and returns
 * the locations to record. Runs and experiments whose artifacts are elsewhere already (s3://, a
 * server) keep their location.
 */
async function copyArtifacts(src: Database.Database, dir: string, o: ArtifactCopy): Promise<Relocation> {
  const root = o.destination.replace(/\/+$/, '');
  const local = (uri: string) => schemeOf(uri) === null;
  const out: Relocation = { runs: new Map(), experiments: new Map(), files: 0 };
  for (const e of src.prepare('SELECT experiment_id, artifact_location FROM experiments').all() as { experiment_id: number; artifact_location: string }[])
    if (local(resolveArtifactUri(dir, e.artifact_location))) out.experiments.set(String(e.experiment_id), `${root}/${e.experiment_id}`);
  const runs = src.prepare('SELECT run_uuid, experiment_id, artifact_uri FROM runs ORDER BY run_uuid').all() as {
    run_uuid: string;
    experiment_id: number;
    artifact_uri: string;
  }[];
  for (const r of runs) {
    const from = resolveArtifactUri(dir, r.artifact_uri);
    if (!local(from)) continue;
    const target = `${root}/${r.experiment_id}/${r.run_uuid}/artifacts`;
    out.runs.set(r.run_uuid, target);
    if (fs.existsSync(from)) out.files += await o.copy(from, target);
  }
  return out;
}

/** The folder of a local store given as a folder, a file:// URI, or the project folder holding .mlx. */
function sourceFolder(from: string): string {
  if (isHttpUri(from) || isPostgresUri(from))
    throw new MlxError(
      'INVALID_PARAMETER_VALUE',
      `--from ${from.replace(/\/\/[^@/]*@/, '//')} is not a local store; give the folder of a local store (e.g. ./.mlx)`,
    );
  const dir = path.resolve(trackingUriPath(from));
  for (const candidate of [dir, path.join(dir, '.mlx')]) if (fs.existsSync(path.join(candidate, 'mlx.db'))) return candidate;
  throw new MlxError('RESOURCE_DOES_NOT_EXIST', `no mlx store at ${dir} (no mlx.db there); give the folder of a local store, e.g. ./.mlx`);
}

/** Opens the source read-only, at this mlx's schema version (an older one is upgraded by `mlx db upgrade` first, not here). */
async function openSource(dir: string): Promise<Database.Database> {
  const { default: Sqlite } = await import('better-sqlite3');
  const { SCHEMA_VERSION } = await import('./sqlite/migrations.js');
  const db = new Sqlite(path.join(dir, 'mlx.db'), { readonly: true, fileMustExist: true });
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new MlxError(
      'INVALID_STATE',
      version < SCHEMA_VERSION
        ? `the store ${dir} has schema version ${version}, older than this mlx (${SCHEMA_VERSION}); run \`mlx db upgrade ${dir}\` first`
        : `the store ${dir} has schema version ${version}, newer than this mlx understands (${SCHEMA_VERSION}); upgrade mlx to migrate it`,
    );
  }
  return db;
}

/** Refuses a target holding anything but the Default experiment a new store starts with. */
async function checkEmpty(c: PoolClient, shown: string): Promise<void> {
  const { rows } = await c.query(
    `SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM registered_models) + (SELECT count(*) FROM experiment_tags)
          + (SELECT count(*) FROM experiments WHERE experiment_id <> 0) AS n`,
  );
  if (Number(rows[0].n) > 0)
    throw new MlxError('INVALID_STATE', `${shown} already holds runs, experiments or models; migrate into an empty database (nothing was written)`);
}

/** PostgreSQL array types of a table's columns, for unnest(). */
async function columnTypes(c: PoolClient, table: string): Promise<Map<string, string>> {
  const { rows } = await c.query<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return new Map(rows.map((r) => [r.column_name, r.data_type]));
}

/** Streams one table in chunks of CHUNK rows, one INSERT … SELECT FROM unnest(…) each. */
async function copyTable(
  src: Database.Database,
  c: PoolClient,
  table: (typeof TABLES)[number],
  root: string,
  seen: { inSource: boolean },
  moved?: Relocation,
): Promise<void> {
  const types = await columnTypes(c, table.name);
  const cols = [...types.keys()];
  const insert = `INSERT INTO ${table.name} (${cols.join(', ')})
    SELECT * FROM unnest(${cols.map((col, i) => `$${i + 1}::${types.get(col)}[]`).join(', ')})`;
  let batch: unknown[][] = cols.map(() => []);
  const flush = async () => {
    if (batch[0].length > 0) await c.query(insert, batch);
    batch = cols.map(() => []);
  };
  const relocated = (r: unknown[]): string | undefined => {
    if (!moved) return undefined;
    if (table.name === 'runs') return moved.runs.get(String(r[cols.indexOf('run_uuid')]));
    if (table.name === 'experiments') return moved.experiments.get(String(r[cols.indexOf('experiment_id')]));
    return undefined;
  };
  for (const r of src
    .prepare(`SELECT ${cols.join(', ')} FROM ${table.name}`)
    .raw()
    .iterate() as Iterable<unknown[]>) {
    const to = relocated(r);
    r.forEach((v, i) => {
      if (cols[i] === table.rewrite && to !== undefined) v = to;
      // An empty location (a version with no bytes in the store) stays empty.
      else if (cols[i] === table.rewrite && typeof v === 'string' && v !== '') {
        const abs = resolveArtifactUri(root, v);
        if (abs !== v || abs.startsWith(root + path.sep)) seen.inSource = true;
        v = abs;
      }
      batch[i].push(v);
    });
    if (batch[0].length >= CHUNK) await flush();
  }
  await flush();
}

/**
 * Copies a local SQLite store into an empty PostgreSQL database in one transaction: every row of
 * every table, ids kept, store-relative locations made absolute. Before committing, the row
 * counts of each table are compared on both sides; any difference rolls everything back.
 */
export async function migrateStore(
  from: string,
  to: string,
  onTable?: (table: string) => void,
  opts: { copyArtifacts?: ArtifactCopy } = {},
): Promise<MigrateResult> {
  if (!isPostgresUri(to))
    throw new MlxError('INVALID_PARAMETER_VALUE', `--to ${JSON.stringify(to)} is not a PostgreSQL URI; give postgresql://USER@HOST[:PORT]/DATABASE`);
  const dir = sourceFolder(from);
  const { connectionLost, openPool } = await import('./postgres/connection.js');
  const { checkVersion, MIGRATION_LOCK, runMigrations, schemaVersion, PG_DEFAULT_ARTIFACT_ROOT } = await import('./postgres/schema.js');
  const { PG_MIGRATIONS } = await import('./postgres/migrations.js');
  const shown = redactUri(to);
  const src = await openSource(dir);
  try {
    const pool = await openPool(to, { max: 1 });
    const c = await pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await c.query('BEGIN');
      try {
        const version = await schemaVersion(c, to);
        if (version === 0) await runMigrations(c, 0, PG_MIGRATIONS, PG_DEFAULT_ARTIFACT_ROOT);
        else checkVersion(to, version);
        await checkEmpty(c, shown);
        // The files first: the database then records only locations that hold them.
        const moved = opts.copyArtifacts === undefined ? undefined : await copyArtifacts(src, dir, opts.copyArtifacts);
        await c.query('DELETE FROM experiments');
        const seen = { inSource: false };
        for (const t of TABLES) {
          onTable?.(t.name);
          await copyTable(src, c, t, dir, seen, moved);
        }
        await c.query("SELECT setval(pg_get_serial_sequence('datasets', 'dataset_id'), coalesce(max(dataset_id), 0) + 1, false) FROM datasets");
        const counts = await compareCounts(src, c);
        await c.query('COMMIT');
        return {
          from: dir,
          to: shown,
          counts,
          usesSourceFolder: seen.inSource,
          ...(moved ? { artifacts: { destination: opts.copyArtifacts!.destination, files: moved.files } } : {}),
        };
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw connectionLost(err) ?? err;
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      }
    } finally {
      c.release();
      await pool.end();
    }
  } finally {
    src.close();
  }
}

async function compareCounts(src: Database.Database, c: PoolClient): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const wrong: string[] = [];
  for (const { name } of TABLES) {
    const there = Number((await c.query(`SELECT count(*) AS n FROM ${name}`)).rows[0].n);
    const here = src.prepare(`SELECT count(*) FROM ${name}`).pluck().get() as number;
    if (there !== here) wrong.push(`${name} ${here} → ${there}`);
    counts[name] = here;
  }
  if (wrong.length > 0)
    throw new MlxError('INTERNAL_ERROR', `the copy does not match the source (${wrong.join(', ')}); nothing was written, please report this`);
  return counts;
}
