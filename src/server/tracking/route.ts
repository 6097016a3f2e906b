import type { Context, Hono } from 'hono';
import { invalid } from '../../core/errors.js';
import type { TrackingContext } from './context.js';
import { Fields } from './request.js';
import { mlflowShape } from './convert.js';

type Handler = (f: Fields, c: Context) => unknown;

/**
 * Declares MLflow endpoints: each handler gets the request's fields and returns the JSON answer
 * (with o.mlflowShape, written as MLflow's server writes it: empty lists left out).
 */
export function endpoints(app: Hono, ctx: TrackingContext, o: { mlflowShape?: boolean } = {}) {
  const on = (methods: string[], path: string, h: Handler) =>
    app.on(methods, path, async (c) => {
      const out = (await h(await Fields.of(c, ctx.maxBodyBytes), c)) ?? {};
      return c.json(o.mlflowShape ? mlflowShape(out) : out);
    });
  return {
    get: (path: string, h: Handler) => on(['GET'], path, h),
    post: (path: string, h: Handler) => on(['POST'], path, h),
    patch: (path: string, h: Handler) => on(['PATCH'], path, h),
    delete: (path: string, h: Handler) => on(['DELETE'], path, h),
    /** Read endpoints answer GET and POST, as MLflow's own server does for its searches. */
    read: (path: string, h: Handler) => on(['GET', 'POST'], path, h),
  };
}

export type Endpoints = ReturnType<typeof endpoints>;

/** MLflow's view_type / run_view_type enum → the store's view type. */
export function viewType(text: string | undefined): 'active' | 'deleted' | 'all' {
  switch (text ?? 'ACTIVE_ONLY') {
    case 'ACTIVE_ONLY':
    case '1':
      return 'active';
    case 'DELETED_ONLY':
    case '2':
      return 'deleted';
    case 'ALL':
    case '3':
      return 'all';
    default:
      throw invalid(`Invalid view type ${JSON.stringify(text)}: use ACTIVE_ONLY, DELETED_ONLY or ALL`);
  }
}
