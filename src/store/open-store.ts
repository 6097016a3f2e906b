import fs from 'node:fs';
import path from 'node:path';
import { MlxError } from '../core/errors.js';
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
    if (/^https?:\/\//i.test(given) || /^postgres(ql)?:\/\//i.test(given)) return given;
    const p = given.startsWith('file://') ? new URL(given).pathname : given;
    if (/^[a-z][a-z0-9+.-]+:/i.test(p))
      throw new MlxError('USAGE', `tracking URI ${JSON.stringify(given)} has an unknown scheme; give a folder path for a local store`);
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

/**
 * Opens the store a tracking URI names: http(s) → the REST store (a tracking server),
 * postgresql:// → the PostgreSQL store, else a local SQLite store. With create, a missing local
 * store (or the schema of an empty database) is created; without, a missing one opens as an
 * empty stand-in that writes nothing, so that looking (or a command that is refused) never
 * leaves a `.mlx` folder or tables behind.
 */
export async function openStore(uri: string, opts: { create: boolean; fileRoot?: string }): Promise<Store> {
  if (/^https?:\/\//i.test(uri)) {
    // Loaded only for remote stores: a local `mlx log` never parses the REST client.
    const { RestStore } = await import('./rest/rest-store.js');
    return new RestStore(uri);
  }
  if (/^postgres(ql)?:\/\//i.test(uri)) {
    // Loaded only for PostgreSQL stores: pg is not parsed by anything else.
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    return PostgresStore.open(uri, { create: opts.create, fileRoot: opts.fileRoot });
  }
  const { SqliteStore, DB_FILE } = await import('./sqlite/sqlite-store.js');
  if (fs.existsSync(uri) && !isDir(uri))
    throw new MlxError('INVALID_PARAMETER_VALUE', `tracking URI ${uri} is a file; give the store folder (the one holding mlx.db)`);
  if (!opts.create && !fs.existsSync(path.join(uri, DB_FILE))) return new SqliteStore(uri, { create: false, inMemory: true });
  const { reportingReadOnly } = await import('./sqlite/read-only.js');
  const store = new SqliteStore(uri, { create: opts.create });
  return reportingReadOnly(store, store.uri, path.join(store.uri, DB_FILE));
}
