import path from 'node:path';
import { invalid } from '../../core/errors.js';
import { safeJoin } from '../../artifacts/local-repository.js';
import type { Store } from '../../store/store.js';

/** What every tracking route shares. */
export interface TrackingContext {
  store: Store;
  /** The local folder behind `mlflow-artifacts:/` (--artifacts-destination, else the store's artifacts folder). */
  artifactRoot: string;
  /** Where registered model files and cards live (Store.fileRoot: the SQLite store's folder, `<artifactRoot>/_mlx-registry` for PostgreSQL). */
  fileRoot: string;
  /** Given to new experiments, so their runs' artifacts go under artifactRoot: set when it is not the store's own folder. */
  experimentArtifactRoot?: string;
  maxBodyBytes: number;
  mlxVersion: string;
  /** Whether requests need a bearer token. */
  auth: boolean;
}

export const PROXY_SCHEME = 'mlflow-artifacts:';
/** Registered model files are served read-only under this proxy prefix (they live in the store, by sha256). */
export const REGISTRY_PREFIX = '_mlx-registry';

/** A stored artifact location as clients see it: a path under the artifact root becomes mlflow-artifacts:/…. */
export function remoteArtifactUri(ctx: TrackingContext, stored: string): string {
  if (stored.startsWith(PROXY_SCHEME)) return stored;
  if (!path.isAbsolute(stored)) return stored;
  const rel = path.relative(ctx.artifactRoot, stored);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return stored;
  return `${PROXY_SCHEME}/${rel.split(path.sep).join('/')}`;
}

/** The proxy-relative path of an mlflow-artifacts:/ URI (or a proxy path), checked not to escape the root. */
export function proxyPath(uri: string): string {
  const rel = uri.startsWith(PROXY_SCHEME) ? uri.slice(PROXY_SCHEME.length).replace(/^\/+/, '') : uri.replace(/^\/+/, '');
  return rel.replace(/\/+$/, '');
}

/** The local folder or file of a run's artifact location, for routes that read it. */
export function localArtifactPath(ctx: TrackingContext, stored: string, sub?: string): string {
  let base: string;
  if (stored.startsWith(PROXY_SCHEME)) base = safeJoin(ctx.artifactRoot, proxyPath(stored) || undefined);
  else if (path.isAbsolute(stored)) base = stored;
  else throw invalid(`artifact location ${JSON.stringify(stored)} is not served by this server`);
  return safeJoin(base, sub || undefined);
}
