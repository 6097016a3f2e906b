import type { Context, Hono } from 'hono';
import { crossOriginSource, hostGuard, hostRefusal, tokenGuard } from '../access.js';
import { HttpError } from '../http-errors.js';
import { errorResponse } from './errors.js';

/** Who may call `mlx serve`. Neither set (the in-process tests): anyone, but not other sites' pages. */
export interface InferenceAccess {
  /** Every route but the probes and /metrics needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Host names a tokenless server answers to (a loopback server: the loopback names, against DNS rebinding). */
  allowedHosts?: string[];
}

/**
 * Liveness/readiness probes (Kubernetes, Docker HEALTHCHECK, KServe's /v2/health) and Prometheus scrapes
 * come without credentials, as with Triton, TorchServe and BentoML: these answer without the token and
 * whatever the Host. They tell whether a model is up and which; nothing about requests or data.
 */
const PROBES = new Set(['/health', '/ready', '/ping', '/v2/health/live', '/v2/health/ready']);
const OPEN = new Set([...PROBES, '/metrics']);

const refuse = (c: Context, status: number, code: string, message: string) => errorResponse(c, new HttpError(status, code, message));

/**
 * The token check, or (without a token) the Host check and the refusal of cross-origin browser
 * POSTs. A page can send /predict a multipart image, or /v2 bytes without a type, with no preflight:
 * the Host check does not stop that (the page sends the real host); the token does (a page cannot
 * add the header without a preflight, and mlx serve answers none), and so does refusing its Origin.
 */
export function useAccessChecks(app: Hono, access: InferenceAccess): void {
  if (access.token) {
    const message = 'this server needs a token: send Authorization: Bearer <token>, the token mlx serve was started with (--token or MLX_SERVE_TOKEN)';
    app.use('*', tokenGuard(access.token, { open: (c) => OPEN.has(c.req.path), deny: (c) => refuse(c, 401, 'UNAUTHENTICATED', message) }));
    return;
  }
  if (access.allowedHosts)
    app.use(
      '*',
      hostGuard(access.allowedHosts, {
        exempt: (c) => PROBES.has(c.req.path),
        deny: (c, host, allowed) => refuse(c, 403, 'PERMISSION_DENIED', hostRefusal(host, allowed)),
      }),
    );
  app.use('*', async (c, next) => {
    const source = crossOriginSource(c);
    if (source === null) return next();
    return refuse(
      c,
      403,
      'PERMISSION_DENIED',
      `cross-origin request from ${source} refused: a server without --token takes requests only from programs and its own origin, not from other sites' pages; start mlx serve with --token to accept any caller that has the token`,
    );
  });
}
