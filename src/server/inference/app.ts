import { Hono } from 'hono';
import { CONTENT_TYPE } from '../../serving/prometheus.js';
import { variantName } from '../../serving/router.js';
import { useAccessChecks, type InferenceAccess } from './access.js';
import { HttpError } from '../http-errors.js';
import { clientLeft } from '../http-errors.js';
import { errorResponse } from './errors.js';
import { feedbackRoutes } from './feedback.js';
import { healthRoutes } from './health.js';
import { invocationsRoutes } from './invocations.js';
import { openApiRoutes } from './openapi.js';
import { predictRoutes } from './predict.js';
import { beginRequest } from './request-context.js';
import { routeLabel } from './route-label.js';
import type { ServingState } from './state.js';
import { v2Routes } from './v2.js';
import { variantsRoutes } from './variants.js';

export { routeLabel };

/** The inference server of `mlx serve`: /predict, /invocations, /v2, /health, /ready, /metrics, /variants, /feedback. */
export function inferenceApp(state: ServingState, access: InferenceAccess = {}): Hono {
  const app = new Hono();
  const m = state.metrics;
  let fallbackName: string | undefined;

  app.use('*', async (c, next) => {
    const info = beginRequest(c);
    const route = routeLabel(c.req.path);
    state.inFlight++;
    m.inFlight.inc();
    try {
      await next();
    } finally {
      state.inFlight--;
      m.inFlight.dec();
      // The predictor the route held answered this response: its version is the one named, even if an
      // alias swap installed another meanwhile. Requests that were not routed name the primary.
      const held = info.predictor;
      if (held) held.release();
      const model = (held ?? state.predictor)?.model;
      const version = model ? String(model.version ?? 'file') : '';
      const variant = info.variant?.name ?? state.variants?.primary.name ?? (fallbackName ??= variantName(state.modelName));
      const headers = c.res.headers;
      headers.set('X-Mlx-Model', model?.name ?? state.modelName);
      headers.set('X-Mlx-Model-Version', version);
      headers.set('X-Mlx-Variant', variant);
      headers.set('X-Mlx-Request-Id', info.id);
      const seconds = Number(process.hrtime.bigint() - info.started) / 1e9;
      // A client that left before its request arrived is counted as nginx counts it (499, client closed
      // request), not as the server's failure.
      const status = clientLeft(c) ? '499' : String(c.res.status);
      m.requests.inc({ route, method: c.req.method, status, model_version: version, variant });
      m.latency.observe({ route, variant }, seconds);
      if (held && info.variant) info.variant.observe(seconds * 1000, c.res.status);
    }
  });
  // After the middleware above: refused requests are counted in /metrics and carry a request id too.
  useAccessChecks(app, access);
  healthRoutes(app, state);
  predictRoutes(app, state);
  invocationsRoutes(app, state);
  v2Routes(app, state);
  variantsRoutes(app, state);
  feedbackRoutes(app, state);
  openApiRoutes(app, state);
  app.get('/metrics', (c) => {
    for (const v of state.variants?.all ?? []) if (v.predictor) m.queued.set({ variant: v.name }, v.predictor.batcher.pending);
    return c.body(m.registry.render(), 200, { 'Content-Type': CONTENT_TYPE });
  });

  app.notFound((c) =>
    errorResponse(
      c,
      new HttpError(
        404,
        'NOT_FOUND',
        `no route ${c.req.method} ${c.req.path}; see /docs, /health, /predict, /invocations, /v2, /variants, /feedback, /metrics`,
      ),
    ),
  );
  app.onError((err, c) => errorResponse(c, err));
  return app;
}
