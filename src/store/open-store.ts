import fs from 'node:fs';
import path from 'node:path';
import { MlxError } from '../core/errors.js';
import { schemeOf, trackingUriPath, uriScheme } from '../core/uri.js';
import { refuseMlflowFileStore, sqliteStoreFolder } from './sqlite-uri.js';
import type { Store } from './store.js';

export const STORE_DIR = '.mlx';

export interface TrackingUriSource {
  /** --tracking-uri */
  flag?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * The store's location: --tracking-uri, else MLX_TRACKING_URI, else the nearest `.mlx`
 * folder in the current directory or its parents, else `./.mlx`.
 */
export function resolveTrackingUri(src: TrackingUriSource = {}): string {
  const cwd = src.cwd ?? process.cwd();
  const given = src.flag ?? (src.env ?? process.env).MLX_TRACKING_URI;
  if (given !== undefined && given !== '') {
    if (factoryFor(given)) return given;
    if (uriScheme(given) === 'sqlite') return sqliteStoreFolder(given, cwd);
    const p = trackingUriPath(given);
    if (schemeOf(p) !== null) throw new MlxError('USAGE', `tracking URI ${JSON.stringify(given)} has an unknown scheme; give a folder path for a local store`);
    return path.resolve(cwd, p);
  }
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, STORE_DIR);
    if (isDir(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  return path.join(cwd, STORE_DIR);
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** How a store is opened; create and fileRoot as in openStore. */
type StoreFactory = (uri: string, opts: { create: boolean; fileRoot?: string }) => Promise<Store>;

/**
 * One row per URI scheme a store can live behind, as MLflow's tracking store registry: a new
 * backend (e.g. object storage) is one more row. Each factory imports its backend when called,
 * so a local `mlx log` never loads the REST client or pg.
 */
const STORES_BY_SCHEME: Record<string, StoreFactory> = {
  http: openRestStore,
  https: openRestStore,
  postgresql: openPostgresStore,
  postgres: openPostgresStore,
};

async function openRestStore(uri: string): Promise<Store> {
  const { RestStore } = await import('./rest/rest-store.js');
  return new RestStore(uri);
}

async function openPostgresStore(uri: string, opts: { create: boolean; fileRoot?: string }): Promise<Store> {
  const { PostgresStore } = await import('./postgres/postgres-store.js');
  return PostgresStore.open(uri, { create: opts.create, fileRoot: opts.fileRoot });
}

/** The factory for a URI's scheme; undefined for a folder path (a local SQLite store). */
function factoryFor(uri: string): StoreFactory | undefined {
  const scheme = uriScheme(uri);
  return scheme === null ? undefined : STORES_BY_SCHEME[scheme];
}

/**
 * Opens the store a tracking URI names: a scheme in the table above (http(s) → the REST store,
 * postgresql:// → the PostgreSQL store), else a local SQLite store. With create, a missing local
 * store (or the schema of an empty database) is created; without, a missing one opens as an
 * empty stand-in that writes nothing, so that looking (or a command that is refused) never
 * leaves a `.mlx` folder or tables behind.
 */
export async function openStore(uri: string, opts: { create: boolean; fileRoot?: string }): Promise<Store> {
  const factory = factoryFor(uri);
  if (factory) return factory(uri, opts);
  return openSqliteStore(uri, opts);
}

async function openSqliteStore(uri: string, opts: { create: boolean }): Promise<Store> {
  const { SqliteStore, DB_FILE } = await import('./sqlite/sqlite-store.js');
  if (fs.existsSync(uri) && !isDir(uri))
    throw new MlxError('INVALID_PARAMETER_VALUE', `tracking URI ${uri} is a file; give the store folder (the one holding mlx.db)`);
  refuseMlflowFileStore(uri);
  if (!opts.create && !fs.existsSync(path.join(uri, DB_FILE))) return new SqliteStore(uri, { create: false, inMemory: true });
  const { reportingReadOnly } = await import('./sqlite/read-only.js');
  const store = new SqliteStore(uri, { create: opts.create });
  return reportingReadOnly(store, store.uri, path.join(store.uri, DB_FILE));
}
