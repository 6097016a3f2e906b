import type { Context } from 'hono';
import { newRequestId } from '../../core/ids.js';
import type { ServedModel } from '../../serving/model-runtime.js';
import type { Predictor } from '../../serving/predictor.js';
import { ROUTE_KEY_HEADER } from '../../serving/router.js';
import type { Variant } from '../../serving/variant-set.js';
import { HttpError } from '../http-errors.js';
import { notReady, requirePredictor, type ServingState } from './state.js';

/** What one request carries from the middleware to its route and back. */
export interface RequestInfo {
  /** X-Mlx-Request-Id: the client's X-Request-Id when sane, else a fresh time-ordered UUID (v7). */
  id: string;
  /** Epoch milliseconds at arrival. */
  arrived: number;
  started: bigint;
  /** The variant that answers (null without a rollout, or before routing). */
  variant: Variant | null;
  /** The predictor this request holds, released when the response is done. */
  predictor: Predictor | null;
}

declare module 'hono' {
  interface ContextVariableMap {
    mlxRequest: RequestInfo;
  }
}

const SANE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$/;

/** Starts a request's context: its id and arrival time. */
export function beginRequest(c: Context): RequestInfo {
  const given = c.req.header('x-request-id');
  const info: RequestInfo = {
    id: given !== undefined && SANE_ID.test(given) ? given : newRequestId(),
    arrived: Date.now(),
    started: process.hrtime.bigint(),
    variant: null,
    predictor: null,
  };
  // On the context itself (cheap), not in a WeakMap (whose entries cost the garbage collector on every request).
  c.set('mlxRequest', info);
  return info;
}

/** The request's context (begun by the app's middleware; begun here for a route used without it). */
export function requestInfo(c: Context): RequestInfo {
  return c.get('mlxRequest') ?? beginRequest(c);
}

/** Milliseconds since the request arrived. */
export function elapsedMs(info: RequestInfo): number {
  return Number(process.hrtime.bigint() - info.started) / 1e6;
}

/** The version the Open Inference Protocol names: the registry version, else "1". */
export function v2Version(m: ServedModel): string {
  return m.version === null ? '1' : String(m.version);
}

interface Served {
  variant: Variant | null;
  predictor: Predictor;
}

/** Every routed model (primary first) with its current predictor; a 503 while loading. */
function servedModels(state: ServingState): Served[] {
  const set = state.variants;
  if (!set) return [{ variant: null, predictor: requirePredictor(state) }];
  if (!set.loaded) throw notReady(state);
  return set.routed.map((v) => ({ variant: v, predictor: v.predictor! }));
}

const quoted = (xs: string[]) => [...new Set(xs)].map((x) => `"${x}"`).join(', ');

/** The routed models a /v2/models/NAME[/versions/V] path names, else a 404 naming what is served. */
export function findServed(state: ServingState, name: string, version?: string): Served[] {
  const all = servedModels(state);
  const named = all.filter((s) => s.predictor.model.name === name);
  if (named.length === 0)
    throw new HttpError(404, 'NOT_FOUND', `model "${name}" is not served here; this server serves ${quoted(all.map((s) => s.predictor.model.name))}`);
  if (version === undefined) return named;
  const exact = named.filter((s) => v2Version(s.predictor.model) === version);
  if (exact.length === 0) {
    const versions = [...new Set(named.map((s) => v2Version(s.predictor.model)))];
    throw new HttpError(
      404,
      'NOT_FOUND',
      `model "${name}" has no version "${version}" here; version ${versions.join(', ')} ${versions.length > 1 ? 'are' : 'is'} served`,
    );
  }
  return exact;
}

/**
 * Routes the request and holds the predictor that answers it, for the whole request: the response is
 * computed by that one model version even if an alias swap happens meanwhile. A /v2 path may pin the
 * model (its name must be served) and version (then routing is skipped). Released by the middleware.
 */
export function lease(c: Context, state: ServingState, pin?: { model: string; version?: string }): Predictor {
  const info = requestInfo(c);
  if (info.predictor) return info.predictor;
  const set = state.variants;
  let variant: Variant | null = null;
  let predictor: Predictor;
  const pinned = pin ? findServed(state, pin.model, pin.version) : null;
  if (pinned && pin!.version !== undefined) ({ variant, predictor } = pinned[0]);
  else if (!set) predictor = requirePredictor(state);
  else {
    variant = set.single ? set.primary : set.pick(c.req.header(ROUTE_KEY_HEADER));
    if (!variant.predictor) throw notReady(state);
    predictor = variant.predictor;
  }
  info.variant = variant;
  info.predictor = predictor.acquire();
  return predictor;
}
