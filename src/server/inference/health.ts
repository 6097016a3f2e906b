import type { Hono } from 'hono';
import type { ServingState } from './state.js';

/** /health (liveness and what is served), /ready (503 until loaded and warmed up), MLflow's /ping and /version. */
export function healthRoutes(app: Hono, state: ServingState): void {
  app.get('/health', (c) => {
    const p = state.predictor;
    return c.json(
      {
        status: state.loadError ? 'unhealthy' : p ? 'healthy' : 'loading',
        model_loaded: !!p,
        model: p?.model.name ?? state.modelName,
        version: p ? (p.model.version ?? null) : null,
        device: p ? p.model.device : null,
        ...(p && p.model.device === 'cpu' && p.model.deviceReason !== 'requested' ? { device_reason: p.model.deviceReason } : {}),
        ...(state.loadError ? { error: state.loadError } : {}),
      },
      state.loadError ? 503 : 200,
    );
  });
  app.get('/ready', (c) => (state.predictor ? c.json({ ready: true }) : c.json({ ready: false, ...(state.loadError ? { error: state.loadError } : {}) }, 503)));
  app.get('/ping', (c) => (state.predictor ? c.text('\n') : c.text('\n', 503)));
  app.get('/version', (c) => c.text(state.mlxVersion));
}
