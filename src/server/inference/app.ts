import { Hono } from 'hono';
import { CONTENT_TYPE } from '../../serving/prometheus.js';
import { errorResponse, HttpError } from './errors.js';
import { healthRoutes } from './health.js';
import { invocationsRoutes } from './invocations.js';
import { predictRoutes } from './predict.js';
import type { ServingState } from './state.js';
import { v2Routes } from './v2.js';

/** A bounded set of route labels for metrics, so paths typed by clients cannot blow up cardinality. */
export function routeLabel(path: string): string {
  if (/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/.test(path)) return '/v2/models/:name/infer';
  if (/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/ready$/.test(path)) return '/v2/models/:name/ready';
  if (/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?$/.test(path)) return '/v2/models/:name';
  if (['/predict', '/invocations', '/health', '/ready', '/ping', '/version', '/metrics', '/v2', '/v2/health/live', '/v2/health/ready'].includes(path))
    return path;
  return 'other';
}

/** The inference server of `mlx serve`: /predict, /invocations, /v2, /health, /ready, /metrics. */
export function inferenceApp(state: ServingState): Hono {
  const app = new Hono();
  const m = state.metrics;

  app.use('*', async (c, next) => {
    const started = process.hrtime.bigint();
    const route = routeLabel(c.req.path);
    state.inFlight++;
    m.inFlight.inc();
    try {
      await next();
    } finally {
      state.inFlight--;
      m.inFlight.dec();
      const model = state.predictor?.model;
      const version = model ? String(model.version ?? 'file') : '';
      // Every response names the model that answered it (useful behind a load balancer or a canary).
      c.res.headers.set('X-Mlx-Model', model?.name ?? state.modelName);
      c.res.headers.set('X-Mlx-Model-Version', version);
      m.requests.inc({ route, method: c.req.method, status: String(c.res.status), model_version: version });
      m.latency.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  });
  healthRoutes(app, state);
  predictRoutes(app, state);
  invocationsRoutes(app, state);
  v2Routes(app, state);
  app.get('/metrics', (c) => c.body(m.registry.render(), 200, { 'Content-Type': CONTENT_TYPE }));

  app.notFound((c) => errorResponse(c, new HttpError(404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}; see /health, /predict, /invocations, /v2, /metrics`)));
  app.onError((err, c) => errorResponse(c, err));
  return app;
}
