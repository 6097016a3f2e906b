import { createRequire } from 'node:module';
import path from 'node:path';
import { MlxError } from '../../core/errors.js';
import { isHttpUri, isPostgresUri, redactUri } from '../../core/uri.js';
import { defaultModelLimit } from '../../models/model-file.js';
import { REGISTRY_PREFIX } from '../../server/tracking/context.js';
import { startTrackingServer } from '../../server/tracking/start.js';
import { openStore, resolveTrackingUri } from '../../store/open-store.js';
import { intFlag, numberFlag } from '../flags.js';
import { locationFlag } from '../location-flag.js';
import { mlflowServerSettings, type MlflowServerFlags } from '../mlflow-server-flags.js';
import { serverAccess } from '../server-access.js';

export interface ServerFlags extends MlflowServerFlags {
  host: string;
  port: string;
  backendStoreUri?: string;
  artifactsDestination?: string;
  defaultArtifactRoot?: string;
  token?: string;
  allowUnauthenticated?: boolean;
  corsOrigin?: string;
  maxBodyMb: string;
  maxUploadMb: string;
  uploadIdleTimeout: string;
}

/** Validates the flags, opens (or creates) the store and serves it until SIGINT/SIGTERM. */
export async function runTrackingServer(f: ServerFlags, trackingUri: string | undefined, mode: 'server' | 'ui'): Promise<void> {
  const port = intFlag('--port', f.port, { min: 0, max: 65535 });
  const maxBodyMb = numberFlag('--max-body-mb', f.maxBodyMb, { min: 0.001, max: 4096 });
  const maxUploadMb = numberFlag('--max-upload-mb', f.maxUploadMb, { min: 0.001, max: 1024 * 1024 });
  defaultModelLimit(); // a bad MLX_MAX_MODEL_MB stops the start, not each model-versions/create
  const { token, allowedHosts } = serverAccess(f, 'MLX_SERVER_TOKEN', 'read and change every run');
  const uploadIdleS = numberFlag('--upload-idle-timeout', f.uploadIdleTimeout, { min: 0.1, max: 86_400 });
  const destination = f.artifactsDestination === undefined ? undefined : artifactsDestination(f.artifactsDestination);
  const defaultRoot = f.defaultArtifactRoot === undefined ? undefined : defaultArtifactRoot(f.defaultArtifactRoot);
  const uri = resolveTrackingUri({ flag: f.backendStoreUri ?? trackingUri });
  if (isHttpUri(uri)) throw new MlxError('USAGE', `backend store ${uri} is itself a server; give the server a local store folder`);
  const mlflow = mlflowServerSettings(f, uri, token);

  const postgres = isPostgresUri(uri);
  if (postgres && !destination)
    throw new MlxError(
      'USAGE',
      `a PostgreSQL store (${redactUri(uri)}) keeps no files: pass --artifacts-destination DIR or s3://BUCKET/PREFIX for run artifacts and registered models (with several servers, a folder they all share, or one bucket)`,
    );
  // A taken port is refused before a missing store is created: a command that failed leaves nothing behind.
  for (const line of mlflow.warnings) process.stderr.write(`mlx: ${line}\n`);
  const { checkPortFree } = await import('../../server/listen.js');
  await checkPortFree(f.host, port);
  // PostgreSQL: registered model files and cards go beside the artifacts, under the proxy's read-only
  // _mlx-registry/: in the folder, or (an s3:// destination) in the bucket, set up by the server.
  const inFolder = postgres && !/^s3:/i.test(destination!);
  const store = await openStore(uri, { create: true, fileRoot: inFolder ? path.resolve(destination!, REGISTRY_PREFIX) : undefined });
  const shown = postgres ? redactUri(uri) : uri;
  const mlxVersion = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
  let stopping = false;
  let close: (() => Promise<void>) | null = null;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`mlx: ${signal}: finishing in-flight requests, then exiting\n`);
    await close?.();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    const { listening, artifactRoot } = await startTrackingServer(store, {
      host: f.host,
      port,
      artifactsDestination: destination,
      defaultArtifactRoot: defaultRoot,
      token,
      corsOrigin: mlflow.corsOrigins,
      serveArtifacts: mlflow.serveArtifacts,
      artifactsOnly: mlflow.artifactsOnly,
      allowedHostPatterns: mlflow.allowedHostPatterns,
      maxBodyBytes: Math.round(maxBodyMb * 1024 * 1024),
      maxUploadBytes: Math.round(maxUploadMb * 1024 * 1024),
      uploadIdleTimeoutMs: Math.round(uploadIdleS * 1000),
      mlxVersion,
      ui: mlflow.artifactsOnly ? undefined : await loadUi(),
      // Loopback without a token is the everyday local setup: answer only to loopback names there.
      allowedHosts,
      log: (line) => process.stderr.write(`mlx: ${line}\n`),
    });
    close = () => listening.close();
    process.stderr.write(
      mode === 'ui'
        ? `mlx: UI on ${listening.url}/ (store ${shown})\n`
        : `mlx: tracking server listening on ${listening.url} (store ${shown}, ${artifactsShown(mlflow, artifactRoot, defaultRoot)}${token ? ', token required' : ''})\n` +
            `mlx: log to it with MLX_TRACKING_URI=${listening.url}; the UI is at ${listening.url}/\n`,
    );
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** Where artifacts go, for the start line: behind the proxy, or (--no-serve-artifacts) where clients write them. */
function artifactsShown(m: { serveArtifacts: boolean; artifactsOnly: boolean }, root: string, defaultRoot: string | undefined): string {
  if (!m.serveArtifacts) return `artifacts not served: clients write new experiments' artifacts under ${defaultRoot}`;
  return m.artifactsOnly ? `artifacts only: ${root}; the tracking API is off` : `artifacts ${root}`;
}

/** --artifacts-destination: the folder or S3 bucket behind the artifact proxy (a path, file: or s3:// URI). */
function artifactsDestination(value: string): string {
  return locationFlag('--artifacts-destination', value, [null, 'file', 's3']).location;
}

/** --default-artifact-root: a folder or s3:// URI new experiments' artifacts go under (mlflow-artifacts:/ is the proxy, the default). */
function defaultArtifactRoot(value: string): string {
  const { scheme, location } = locationFlag('--default-artifact-root', value);
  return scheme === null || scheme === 'file' ? path.resolve(location) : location.replace(/\/+$/, '');
}

/** The web UI's routes (static files and the chart library). */
async function loadUi() {
  const { uiRoutes } = await import('../../server/ui/routes.js');
  return (app: Parameters<typeof uiRoutes>[0]) => uiRoutes(app);
}
