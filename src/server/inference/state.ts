import type { Predictor } from '../../serving/predictor.js';
import type { ServingMetrics } from '../../serving/serving-metrics.js';

/** What the inference routes share: the predictor (absent while loading), metrics, limits. */
export interface ServingState {
  predictor: Predictor | null;
  /** Set when loading failed: /ready then explains instead of waiting forever. */
  loadError: string | null;
  metrics: ServingMetrics;
  /** Shown in X-Mlx-Model before the model is loaded. */
  modelName: string;
  mlxVersion: string;
  maxBodyBytes: number;
  /** Requests being handled, for graceful shutdown. */
  inFlight: number;
}

/** The predictor, or a 503 explaining that the model is not ready yet. */
export function requirePredictor(state: ServingState): Predictor {
  if (state.predictor) return state.predictor;
  throw new NotReadyError(state.loadError ? `the model failed to load: ${state.loadError}` : 'the model is still loading; retry when GET /ready answers 200');
}

export class NotReadyError extends Error {}
