import type { Hono } from 'hono';
import { variantName } from '../../serving/router.js';
import type { VariantReport } from '../../serving/variant-set.js';
import type { ServingState } from './state.js';

/** GET /variants: each variant's model, version, weight and share, traffic, latency, and (shadows) agreement. */
export function variantsRoutes(app: Hono, state: ServingState): void {
  app.get('/variants', (c) => c.json({ route_key_header: 'X-Mlx-Route-Key', variants: report(state) }));
}

function report(state: ServingState): VariantReport[] {
  if (state.variants) return state.variants.report();
  // One model without a rollout: what is served, without per-variant statistics.
  const model = state.predictor?.model;
  return [
    {
      name: variantName(state.modelName),
      role: 'primary',
      uri: model?.uri ?? state.modelName,
      model: model?.name ?? null,
      version: model?.version ?? null,
      weight: 100,
      share: 1,
      requests: 0,
      errors: 0,
      observed_share: null,
      latency_ms: { p50: null, p90: null, p99: null },
    },
  ];
}
