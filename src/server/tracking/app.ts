import type { Context } from 'hono';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { MlxError } from '../../core/errors.js';
import { hostGuard, hostRefusal, tokenGuard } from '../access.js';
import { clientLeft, HttpError, httpFailure } from '../http-errors.js';
import { artifactProxyRoutes } from './artifacts.js';
import { storeRelative, type TrackingContext } from './context.js';
import { experimentRoutes } from './experiments.js';
import { mlxRoutes, registryRoutes } from './registry.js';
import { endpoints } from './route.js';
import { runCountRoutes } from './run-counts.js';
import { runRoutes } from './runs.js';
import { allowedHostsRefusal } from '../host-patterns.js';
import { servingModeGate } from './serving-modes.js';

export interface TrackingAppOptions {
  /** Every /api and /ajax-api request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** The origins allowed to call the API from a browser ('*': any); none by default. */
  corsOrigin?: string | string[];
  maxUploadBytes: number;
  /** Mounts the web UI (static, public: it asks for the token itself). */
  ui?: (app: Hono) => void;
  /**
   * Host names a tokenless server answers to. Without a token, a web page whose DNS name is
   * rebound to 127.0.0.1 would otherwise be same-origin with the server and could read it.
   */
  allowedHosts?: string[];
  /** --allowed-hosts: Host patterns checked with or without a token, instead of allowedHosts; '*' checks none. */
  allowedHostPatterns?: string[] | '*';
  /** False: the artifact proxy answers MLflow's 503 (--no-serve-artifacts). Default true. */
  serveArtifacts?: boolean;
  /** Only the artifact proxy: the API answers MLflow's 503 (--artifacts-only). */
  artifactsOnly?: boolean;
  /** Told about unexpected (500) errors. */
  log?: (line: string) => void;
}

const API_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow', '/api/2.0/preview/mlflow'];
const MLX_PREFIXES = ['/api/2.0/mlx', '/ajax-api/2.0/mlx'];

/**
 * MLflow's error shape: {"error_code", "message"}, with the statuses and codes of the one table
 * (server/http-errors.ts); never a stack trace, never the server's own folders (store-relative
 * paths instead; the log keeps the full ones).
 */
function errorResponse(ctx: TrackingContext, c: Context, err: unknown, log?: (line: string) => void): Response {
  let f = httpFailure(err, 'tracking');
  // A read that failed because the client is gone is not the server's error, and nobody hears this answer.
  if (f.unexpected && clientLeft(c))
    f = httpFailure(new MlxError('BAD_REQUEST', 'the connection closed before the request arrived', { cause: err }), 'tracking');
  if (f.unexpected) {
    log?.(`internal error on ${c.req.method} ${c.req.path}: ${(err as Error)?.stack ?? String(err)}`);
    return c.json({ error_code: f.code, message: `internal error: ${storeRelative(ctx, f.message)}` }, 500);
  }
  // A 413 answers before the upload was read: the connection cannot be reused for the next request.
  return c.json({ error_code: f.code, message: storeRelative(ctx, f.message) }, f.status as 400, f.status === 413 ? { Connection: 'close' } : undefined);
}

/** The tracking server of `mlx server`: MLflow REST API 2.0, the artifact proxy, mlx's extensions and the UI. */
export function trackingApp(ctx: TrackingContext, o: TrackingAppOptions): Hono {
  const app = new Hono();
  const onError = (err: unknown, c: Context) => errorResponse(ctx, c, err, o.log);
  app.onError(onError);

  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
  });
  if (o.corsOrigin) {
    const origin = Array.isArray(o.corsOrigin) && o.corsOrigin.length === 1 ? o.corsOrigin[0] : o.corsOrigin;
    for (const p of ['/api/*', '/ajax-api/*'])
      app.use(
        p,
        cors({ origin, allowHeaders: ['Authorization', 'Content-Type', 'X-MLX-Model-Facts'], allowMethods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] }),
      );
  }
  if (o.token) {
    // Preflights pass: browsers never send credentials on OPTIONS.
    const guard = tokenGuard(o.token, {
      open: (c) => c.req.method === 'OPTIONS',
      deny: (c) =>
        onError(
          new MlxError(
            'UNAUTHENTICATED',
            'this server needs a token: send Authorization: Bearer <token> (MLX_TRACKING_TOKEN or MLFLOW_TRACKING_TOKEN for clients)',
          ),
          c,
        ),
    });
    for (const p of ['/api/*', '/ajax-api/*']) app.use(p, guard);
  }

  const flagHosts = o.allowedHostPatterns !== undefined;
  const hosts = flagHosts ? (o.allowedHostPatterns === '*' ? undefined : o.allowedHostPatterns) : o.token ? undefined : o.allowedHosts;
  if (hosts)
    app.use(
      '*',
      hostGuard(hosts, {
        // MLflow leaves /health and /version out of its Host check too.
        exempt: (c) => c.req.path === '/health' || c.req.path === '/ready' || (flagHosts && c.req.path === '/version'),
        deny: (c, host, allowed) => onError(new MlxError('PERMISSION_DENIED', flagHosts ? allowedHostsRefusal(host, allowed) : hostRefusal(host, allowed)), c),
      }),
    );
  servingModeGate(app, { serveArtifacts: o.serveArtifacts !== false, artifactsOnly: !!o.artifactsOnly });
  app.get('/health', (c) => c.json({ status: 'OK' }));
  // Ready when the store answers a query: a replica whose database is gone is taken out of rotation.
  app.get('/ready', async (c) => {
    try {
      await ctx.store.getExperimentByName('Default');
      return c.json({ status: 'READY' });
    } catch {
      // The reason (which database, why) stays out of an unauthenticated answer.
      return c.json({ status: 'NOT_READY' }, 503);
    }
  });
  app.get('/version', (c) => c.text(ctx.mlxVersion));

  const api = new Hono();
  api.onError(onError);
  const e = endpoints(api, ctx, { mlflowShape: true });
  experimentRoutes(e, ctx);
  runRoutes(e, ctx);
  registryRoutes(e, ctx);
  for (const p of API_PREFIXES) app.route(p, api);
  const mlx = new Hono();
  mlx.onError(onError);
  mlxRoutes(endpoints(mlx, ctx), ctx);
  runCountRoutes(endpoints(mlx, ctx), ctx);
  for (const p of MLX_PREFIXES) app.route(p, mlx);
  artifactProxyRoutes(app, ctx, { maxUploadBytes: o.maxUploadBytes });

  o.ui?.(app);
  app.notFound((c) =>
    onError(new HttpError(404, 'ENDPOINT_NOT_FOUND', `no endpoint ${c.req.method} ${c.req.path}; the API is under /api/2.0/mlflow/ (MLflow REST API 2.0)`), c),
  );
  return app;
}
