import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { MlxError } from '../../core/errors.js';
import { PROXY_SCHEME, redactUri } from '../../core/uri.js';
import { keepRegistryFilesOn } from '../../models/open-model-files.js';
import type { Store } from '../../store/store.js';
import { listen, type Listening } from '../listen.js';
import { trackingApp } from './app.js';
import { prepareUploadFolder } from './artifacts.js';
import { REGISTRY_PREFIX, remoteArtifactUri, type TrackingContext } from './context.js';
import { defaultExperimentDirect } from './serving-modes.js';

export interface TrackingServerOptions {
  host: string;
  port: number;
  /** --artifacts-destination; default: the store's own artifacts folder (required for a store without a folder: PostgreSQL). */
  artifactsDestination?: string;
  /** --default-artifact-root: where new experiments keep their artifacts (a folder, s3://…); default: behind the proxy. */
  defaultArtifactRoot?: string;
  /** --no-serve-artifacts (false): the proxy answers MLflow's 503 and clients write to defaultArtifactRoot themselves. */
  serveArtifacts?: boolean;
  /** --artifacts-only: only the proxy; the tracking and registry API answer MLflow's 503. */
  artifactsOnly?: boolean;
  /** --allowed-hosts: Host patterns checked even with a token ('*': none); default: allowedHosts for a tokenless server. */
  allowedHostPatterns?: string[] | '*';
  token?: string;
  corsOrigin?: string | string[];
  maxBodyBytes: number;
  maxUploadBytes: number;
  mlxVersion: string;
  ui?: (app: Hono) => void;
  allowedHosts?: string[];
  log: (line: string) => void;
  /** Node's limit on the time to receive a request other than an upload (default 300 s); tests scale it down. */
  requestTimeoutMs?: number;
  /** A request body (an upload above all) that sends no bytes for this long is cut with 408; default 60 s. */
  uploadIdleTimeoutMs?: number;
}

/** nginx's client_body_timeout: long enough for a stalled network to recover, short enough to free a stuck upload. */
export const DEFAULT_UPLOAD_IDLE_TIMEOUT_MS = 60_000;

/** Artifact uploads (PUT …/mlflow-artifacts/artifacts/…) may take as long as their bytes keep coming. */
const UPLOAD = /^\/(?:api|ajax-api)\/2\.0\/mlflow-artifacts\/artifacts\//;

/**
 * A store whose Default experiment keeps artifacts in the store's own folder, served with another
 * artifact destination, would hand clients that server-local folder: they would write artifacts to
 * their own disks. As MLflow's server does for the experiments it creates, the Default one then
 * uses the proxy (mlflow-artifacts:/0) for its new runs.
 */
async function defaultExperimentThroughProxy(ctx: TrackingContext, log: (line: string) => void): Promise<void> {
  if (ctx.experimentArtifactRoot === undefined || !ctx.store.setExperimentArtifactLocation) return;
  const d = await ctx.store.getExperiment('0').catch(() => null);
  if (!d || remoteArtifactUri(ctx, d.artifact_location).startsWith(PROXY_SCHEME)) return;
  await ctx.store.setExperimentArtifactLocation('0', `${PROXY_SCHEME}/0`);
  log(`the Default experiment's new runs keep their artifacts under ${PROXY_SCHEME}/0 (was ${d.artifact_location})`);
}

/** Starts `mlx server` on a store: the MLflow REST API, the artifact proxy and the UI on one port. */
export async function startTrackingServer(store: Store, o: TrackingServerOptions): Promise<{ listening: Listening; artifactRoot: string }> {
  const s3 = o.artifactsDestination !== undefined && /^s3:/i.test(o.artifactsDestination);
  // A store with no folder of its own (PostgreSQL) and an S3 destination: uploads in progress wait
  // in a temporary folder of this server's own (replicas share nothing but the database and the bucket).
  const scratch = store.fileRoot === null && s3 ? fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-server-')) : null;
  if (scratch) process.once('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
  const own = store.fileRoot === null ? scratch : path.join(store.fileRoot, 'artifacts');
  // An S3 destination: the store's folder keeps only uploads in progress, on their way to the bucket.
  const destination = s3 ? own : (o.artifactsDestination ?? own);
  if (destination === null || (store.fileRoot === null && !s3))
    throw new MlxError(
      'USAGE',
      `the store ${redactUri(store.uri)} has no folder for artifacts and model files; pass --artifacts-destination DIR or s3://BUCKET/PREFIX (a folder or bucket every replica of the server shares)`,
    );
  const artifactRoot = path.resolve(destination);
  fs.mkdirSync(artifactRoot, { recursive: true });
  prepareUploadFolder(artifactRoot);
  let objectStore: TrackingContext['objectStore'];
  if (s3) {
    // The AWS SDK loads only for a server that keeps artifacts in S3.
    const { S3ArtifactRepository } = await import('../../artifacts/s3-repository.js');
    objectStore = new S3ArtifactRepository(o.artifactsDestination!);
    try {
      await objectStore.list(); // a missing bucket or refused credentials stop the start, in one line
    } catch (err) {
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
      throw err;
    }
    // PostgreSQL: the registry's files go to the bucket too, under the proxy's read-only _mlx-registry/.
    if (store.fileRoot === null) keepRegistryFilesOn(store, new S3ArtifactRepository(`${o.artifactsDestination!.replace(/\/+$/, '')}/${REGISTRY_PREFIX}`));
  }
  const ctx: TrackingContext = {
    store,
    artifactRoot,
    objectStore,
    fileRoot: store.fileRoot,
    experimentArtifactRoot: o.defaultArtifactRoot ?? (artifactRoot === own && !s3 ? undefined : PROXY_SCHEME),
    serveArtifacts: o.serveArtifacts,
    maxBodyBytes: o.maxBodyBytes,
    mlxVersion: o.mlxVersion,
    auth: !!o.token,
  };
  if (o.serveArtifacts === false && o.defaultArtifactRoot) await defaultExperimentDirect(ctx, o.defaultArtifactRoot, o.log);
  else if (!o.artifactsOnly) await defaultExperimentThroughProxy(ctx, o.log);
  const app = trackingApp(ctx, {
    token: o.token,
    corsOrigin: o.corsOrigin,
    maxUploadBytes: o.maxUploadBytes,
    ui: o.ui,
    allowedHosts: o.allowedHosts,
    allowedHostPatterns: o.allowedHostPatterns,
    serveArtifacts: o.serveArtifacts !== false,
    artifactsOnly: !!o.artifactsOnly,
    log: o.log,
  });
  const bodyTimeouts = {
    idleMs: o.uploadIdleTimeoutMs ?? DEFAULT_UPLOAD_IDLE_TIMEOUT_MS,
    idleSetting: 'mlx server --upload-idle-timeout',
    unlimited: (req: IncomingMessage) => req.method === 'PUT' && UPLOAD.test(req.url ?? ''),
  };
  return {
    listening: await listen(app, { host: o.host, port: o.port, requestTimeoutMs: o.requestTimeoutMs, bodyTimeouts }),
    artifactRoot: s3 ? o.artifactsDestination!.replace(/\/+$/, '') : artifactRoot,
  };
}
