import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../../core/errors.js';
import { PROXY_SCHEME } from '../../core/uri.js';
import { ArtifactTree } from '../../artifacts/artifact-tree.js';
import { safeJoin } from '../../artifacts/artifact-path.js';
import type { S3ArtifactRepository } from '../../artifacts/s3-repository.js';
import type { Store } from '../../store/store.js';

/** What every tracking route shares. */
export interface TrackingContext {
  store: Store;
  /** The local folder behind `mlflow-artifacts:/` (--artifacts-destination, else the store's artifacts folder). */
  artifactRoot: string;
  /**
   * With --artifacts-destination s3://…: the bucket behind `mlflow-artifacts:/` instead of
   * artifactRoot (which then only holds uploads in progress).
   */
  objectStore?: S3ArtifactRepository;
  /**
   * Where registered model files and cards live when on this machine (Store.fileRoot: the SQLite
   * store's folder, `<artifactRoot>/_mlx-registry` for PostgreSQL); null when they are on the
   * S3 destination (PostgreSQL with s3://…), reached through models/open-model-files.ts.
   */
  fileRoot: string | null;
  /** Given to new experiments, so their runs' artifacts go under artifactRoot: set when it is not the store's own folder. */
  experimentArtifactRoot?: string;
  /** False with --no-serve-artifacts: locations under experimentArtifactRoot are shown as stored (clients write there). */
  serveArtifacts?: boolean;
  maxBodyBytes: number;
  mlxVersion: string;
  /** Whether requests need a bearer token. */
  auth: boolean;
}

/** Registered model files are served read-only under this proxy prefix (they live in the store, by sha256). */
export const REGISTRY_PREFIX = '_mlx-registry';
/**
 * Uploads in flight are written here, under the artifact root (the same filesystem, so the
 * final rename is atomic) but out of the artifact tree: no user file can be mistaken for one.
 */
export const UPLOAD_TMP = '.mlx-tmp';
/** Top-level names of the artifact root that are not artifacts: refused as paths (in any case), never listed. */
export const RESERVED_NAMES = [REGISTRY_PREFIX, UPLOAD_TMP] as const;

const trees = new WeakMap<TrackingContext, ArtifactTree>();

/** The artifact root as a tree whose paths never lead out of it (links resolved) nor into its reserved folders. */
export function artifactTree(ctx: TrackingContext): ArtifactTree {
  let tree = trees.get(ctx);
  if (!tree) trees.set(ctx, (tree = new ArtifactTree(ctx.artifactRoot, RESERVED_NAMES)));
  return tree;
}

/**
 * A message with the server's own folders replaced by what a client knows: paths under the
 * artifact root as mlflow-artifacts:/…, the store's files relative to the store (models/sha256/…).
 * The last line of defence for messages built from file-system errors; the operator's log keeps
 * the full paths.
 */
export function storeRelative(ctx: TrackingContext, message: string): string {
  const real = (p: string) => {
    try {
      return fs.realpathSync.native(p);
    } catch {
      return p;
    }
  };
  const roots: [string, string][] = [];
  for (const p of new Set([ctx.artifactRoot, real(ctx.artifactRoot)])) roots.push([p, `${PROXY_SCHEME}/`]);
  if (ctx.fileRoot !== null) for (const p of new Set([ctx.fileRoot, real(ctx.fileRoot)])) roots.push([p, '']);
  roots.sort((a, b) => b[0].length - a[0].length);
  let out = message;
  for (const [root, shown] of roots) {
    out = out.split(`${root}${path.sep}`).join(shown);
    out = out.split(root).join(shown === '' ? '<store>' : PROXY_SCHEME);
  }
  return out;
}

/** A stored artifact location as clients see it: a path under the artifact root becomes mlflow-artifacts:/…. */
export function remoteArtifactUri(ctx: TrackingContext, stored: string): string {
  if (stored.startsWith(PROXY_SCHEME)) return stored;
  if (!path.isAbsolute(stored)) return stored;
  // --no-serve-artifacts with a folder as --default-artifact-root: clients write there themselves. Older
  // locations still become mlflow-artifacts:/ URIs, which then fail loudly (503) instead of landing on the client's own disk.
  if (ctx.serveArtifacts === false && ctx.experimentArtifactRoot && !within(ctx.experimentArtifactRoot, stored).startsWith('..')) return stored;
  const rel = path.relative(ctx.artifactRoot, stored);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return stored;
  return `${PROXY_SCHEME}/${rel.split(path.sep).join('/')}`;
}

/** stored relative to root ('..'-prefixed when outside it, or when root is not a folder). */
function within(root: string, stored: string): string {
  if (!path.isAbsolute(root)) return '..';
  const rel = path.relative(root, stored);
  return path.isAbsolute(rel) ? '..' : rel;
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
