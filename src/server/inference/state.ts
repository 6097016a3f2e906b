import { MlxError } from '../../core/errors.js';
import type { InferenceSink } from '../../inference-log/record.js';
import type { RowGuard } from '../../data/validation/row-guard.js';
import type { Predictor } from '../../serving/predictor.js';
import type { ServingMetrics } from '../../serving/serving-metrics.js';
import type { VariantSet } from '../../serving/variant-set.js';
import type { LimitNames } from '../../serving/defaults.js';

/** A data schema requests are checked against, and how refusals name it ("registered with models:/m/2", a file). */
export interface ServingSchema {
  guard: RowGuard;
  name: string;
}

/** What the inference routes share: the predictor (absent while loading), metrics, limits. */
export interface ServingState {
  /** The primary variant's current predictor (with variants, kept in step with variants.primary). */
  predictor: Predictor | null;
  /** Set when loading failed: /ready then explains instead of waiting forever. */
  loadError: string | null;
  metrics: ServingMetrics;
  /** Shown in X-Mlx-Model before the model is loaded. */
  modelName: string;
  mlxVersion: string;
  maxBodyBytes: number;
  /** How refusals name the limits to raise (`mlx serve`'s flags); unset: plain words. */
  limitNames?: LimitNames;
  /** Most images (file parts) one /predict upload may hold; unset: no limit. */
  maxImages?: number;
  /** The most rows a request may hold; unset: DEFAULT_MAX_ROWS. */
  maxRows?: number;
  /** Requests being handled, for graceful shutdown. */
  inFlight: number;
  /** The rollout (canary, A/B variants, shadows); absent: one model, `predictor`, answers everything. */
  variants?: VariantSet | null;
  /** Where answered predictions and feedback go (--log-inputs); absent: nothing is logged. */
  sink?: InferenceSink | null;
  /** The data schema requests are checked against (--schema); absent: none. */
  schema?: ServingSchema | null;
  /** One line for stderr (problems that concern no single request). */
  log?: (line: string) => void;
}

/**
 * The state of a server over a rollout: the primary variant's predictor stands for `predictor`,
 * and each variant's planned share is published in /metrics. (startServer and the tests' apps.)
 */
export function rolloutState(
  variants: VariantSet,
  metrics: ServingMetrics,
  o: Pick<ServingState, 'modelName' | 'mlxVersion' | 'maxBodyBytes' | 'maxImages' | 'maxRows' | 'limitNames' | 'sink' | 'log' | 'schema'>,
): ServingState {
  for (const v of variants.all) metrics.share.set({ variant: v.name, role: v.plan.role }, v.plan.share);
  return {
    get predictor() {
      return variants.primary.predictor;
    },
    set predictor(p) {
      variants.primary.predictor = p;
    },
    loadError: null,
    metrics,
    inFlight: 0,
    variants,
    ...o,
  };
}

/** The predictor, or a 503 explaining that the model is not ready yet. */
export function requirePredictor(state: ServingState): Predictor {
  if (state.predictor) return state.predictor;
  throw notReady(state);
}

/** The 503 for a request that arrives before the models are loaded (or after they failed to). */
export function notReady(state: ServingState): NotReadyError {
  return new NotReadyError(state.loadError ? `the model failed to load: ${state.loadError}` : 'the model is still loading; retry when GET /ready answers 200');
}

/** A request before the models are ready (or after they failed to load): 503 with Retry-After. */
export class NotReadyError extends MlxError {
  constructor(message: string) {
    super('TEMPORARILY_UNAVAILABLE', message);
  }
}
