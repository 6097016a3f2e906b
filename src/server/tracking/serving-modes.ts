// MLflow's two serving switches on `mlx server`: `--no-serve-artifacts` (the artifact proxy is off:
// clients write to their experiments' locations themselves) and `--artifacts-only` (only the proxy:
// the tracking and registry API are off). Both answer as MLflow's handlers do
// (_disable_unless_serve_artifacts, _disable_if_artifacts_only): a 503 with a plain-text sentence.
import type { Context, Hono } from 'hono';
import { PROXY_SCHEME } from '../../core/uri.js';
import { REGISTRY_PREFIX, remoteArtifactUri, type TrackingContext } from './context.js';

const PROXY = /^\/(api|ajax-api)\/2\.0\/mlflow-artifacts\/artifacts(\/|$)/;
const API = /^\/(?:api|ajax-api)\/2\.0\/(?:mlflow|preview\/mlflow|mlx)(?:\/|$)/;

/**
 * Proxy paths that stay served without --serve-artifacts: the registry's own files (read-only model
 * downloads) and mlx's upload area for `mlx register` through the server. They are the registry's,
 * not run artifacts, and the server keeps them whatever clients do with their artifacts.
 */
const REGISTRY_FILES = new RegExp(`^/(?:api|ajax-api)/2\\.0/mlflow-artifacts/artifacts/(?:${REGISTRY_PREFIX}|_mlx)/`);

/** MLflow names the Flask rule, not the request path: the same here, so nothing a client sent is echoed. */
function proxyRule(path: string): string {
  const m = PROXY.exec(path)!;
  return m[2] === '/' ? `/${m[1]}/2.0/mlflow-artifacts/artifacts/<path:artifact_path>` : `/${m[1]}/2.0/mlflow-artifacts/artifacts`;
}

/** The path as MLflow's message names its route: control characters and quotes left out, at most 200 characters. */
function apiRule(path: string): string {
  return path.replace(/[^\x21-\x7e]|["'<>]/g, '').slice(0, 200);
}

function unavailable(c: Context, text: string): Response {
  return c.text(text, 503);
}

/** Mounts the 503 answers of the switches; call before the routes. */
export function servingModeGate(app: Hono, o: { serveArtifacts: boolean; artifactsOnly: boolean }): void {
  if (!o.serveArtifacts)
    app.use('*', async (c, next) => {
      if (!PROXY.test(c.req.path) || REGISTRY_FILES.test(c.req.path)) return next();
      return unavailable(
        c,
        `Endpoint: ${proxyRule(c.req.path)} disabled due to the mlflow server running with \`--no-serve-artifacts\`. To enable artifacts server functionality, run \`mlflow server\` with \`--serve-artifacts\``,
      );
    });
  if (o.artifactsOnly)
    app.use('*', async (c, next) => {
      if (!API.test(c.req.path)) return next();
      return unavailable(
        c,
        `Endpoint: ${apiRule(c.req.path)} disabled due to the mlflow server running in \`--artifacts-only\` mode. To enable tracking server functionality, run \`mlflow server\` without \`--artifacts-only\``,
      );
    });
}

/**
 * Without the proxy, the Default experiment's runs would get the server's own folder (or an
 * mlflow-artifacts:/ URI nobody serves): as MLflow creates it under --default-artifact-root, its new
 * runs move there (DEFAULT_ROOT/0). An experiment already elsewhere (a bucket, another server) keeps
 * its location.
 */
export async function defaultExperimentDirect(ctx: TrackingContext, defaultRoot: string, log: (line: string) => void): Promise<void> {
  if (!ctx.store.setExperimentArtifactLocation) return;
  const d = await ctx.store.getExperiment('0').catch(() => null);
  if (!d) return;
  const shown = remoteArtifactUri({ ...ctx, serveArtifacts: true }, d.artifact_location);
  if (!shown.startsWith(`${PROXY_SCHEME}/`) && shown !== PROXY_SCHEME) return;
  const location = `${defaultRoot.replace(/\/+$/, '')}/0`;
  await ctx.store.setExperimentArtifactLocation('0', location);
  log(`the Default experiment's new runs keep their artifacts under ${location} (--no-serve-artifacts; was ${d.artifact_location})`);
}
