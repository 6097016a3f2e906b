import fs from 'node:fs';
import path from 'node:path';
import type { Hono } from 'hono';
import { MlxError } from '../../core/errors.js';
import { redactUri } from '../../store/postgres/connection.js';
import type { Store } from '../../store/store.js';
import { listen, type Listening } from '../listen.js';
import { trackingApp } from './app.js';
import type { TrackingContext } from './context.js';

export interface TrackingServerOptions {
  host: string;
  port: number;
  /** --artifacts-destination; default: the store's own artifacts folder (required for a store without a folder: PostgreSQL). */
  artifactsDestination?: string;
  token?: string;
  corsOrigin?: string;
  maxBodyBytes: number;
  maxUploadBytes: number;
  mlxVersion: string;
  ui?: (app: Hono) => void;
  allowedHosts?: string[];
  log: (line: string) => void;
  /** Node's limit on the time to receive a request (default 300 s); tests scale it down. */
  requestTimeoutMs?: number;
}

/** Starts `mlx server` on a store: the MLflow REST API, the artifact proxy and the UI on one port. */
export async function startTrackingServer(store: Store, o: TrackingServerOptions): Promise<{ listening: Listening; artifactRoot: string }> {
  const own = store.fileRoot === null ? null : path.join(store.fileRoot, 'artifacts');
  const destination = o.artifactsDestination ?? own;
  if (destination === null || store.fileRoot === null)
    throw new MlxError('USAGE', `the store ${redactUri(store.uri)} has no folder for artifacts and model files; pass --artifacts-destination DIR (a folder every replica of the server shares)`);
  const artifactRoot = path.resolve(destination);
  fs.mkdirSync(artifactRoot, { recursive: true });
  const ctx: TrackingContext = {
    store,
    artifactRoot,
    fileRoot: store.fileRoot,
    experimentArtifactRoot: artifactRoot === own ? undefined : 'mlflow-artifacts:',
    maxBodyBytes: o.maxBodyBytes,
    mlxVersion: o.mlxVersion,
    auth: !!o.token,
  };
  const app = trackingApp(ctx, { token: o.token, corsOrigin: o.corsOrigin, maxUploadBytes: o.maxUploadBytes, ui: o.ui, allowedHosts: o.allowedHosts, log: o.log });
  return { listening: await listen(app, { host: o.host, port: o.port, requestTimeoutMs: o.requestTimeoutMs }), artifactRoot };
}
