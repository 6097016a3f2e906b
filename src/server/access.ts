// Who may talk to a server: the bearer token, the Host check against DNS rebinding, and the
// cross-origin check against blind requests from web pages. Shared by `mlx server` and `mlx serve`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { hostMatches } from './host-patterns.js';

/** The names of the loopback interface: a server bound to one of them is reachable from this machine only. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]', '::1'];

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host.toLowerCase());
}

/**
 * The Host names a server answers to: a tokenless loopback server only the loopback names (a page whose
 * DNS name is rebound to 127.0.0.1 would otherwise be same-origin with it and could read it); any
 * (undefined) with a token, which is then the protection, or on another interface.
 */
export function allowedHostsFor(bindHost: string, token: string | undefined): string[] | undefined {
  return isLoopback(bindHost) && !token ? [...LOOPBACK_HOSTS] : undefined;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether an Authorization header carries the bearer token (compared in constant time, length included: as digests). */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(digest(m[1].trim()), digest(token));
}

/** The host name a request was sent to: its Host header, lower case, without the port. */
export function requestHost(c: Context): string {
  return (c.req.header('host') ?? '').toLowerCase().replace(/:\d+$/, '');
}

/** Lets through requests with the token and those `open` says need none; the others get `deny`'s answer (a 401). */
export function tokenGuard(token: string, o: { open: (c: Context) => boolean; deny: (c: Context) => Response }): MiddlewareHandler {
  return async (c, next) => {
    if (o.open(c) || tokenMatches(c.req.header('authorization'), token)) return next();
    const res = o.deny(c);
    // RFC 6750: a 401 names the scheme it wants.
    res.headers.set('WWW-Authenticate', 'Bearer');
    return res;
  };
}

/** Lets through requests sent to a host the allowed patterns match (host-patterns.ts), and those `exempt` names; the others get `deny`'s answer (a 403). */
export function hostGuard(
  allowed: string[],
  o: { exempt: (c: Context) => boolean; deny: (c: Context, host: string, allowed: string[]) => Response },
): MiddlewareHandler {
  const names = [...new Set(allowed.map((h) => h.toLowerCase()))];
  return async (c, next) => {
    if (hostMatches(names, c.req.header('host') ?? '') || o.exempt(c)) return next();
    return o.deny(c, requestHost(c), names);
  };
}

/** The 403 message of hostGuard. */
export function hostRefusal(host: string, allowed: string[]): string {
  return `${host ? `host ${JSON.stringify(host)}` : 'a request without a Host header'} is not served: a server without --token answers only to ${allowed.join(', ')}`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Where a state-changing request from a web page of another origin comes from (its Origin, or what
 * Sec-Fetch-Site says), else null. Such a page can send some requests without a CORS preflight
 * (multipart forms, text/plain, bare bytes) and needs no answer to do harm. Programs send neither
 * header. Sec-Fetch-Site is trusted when present, else Origin is compared with Host, as Go's
 * http.CrossOriginProtection does.
 */
export function crossOriginSource(c: Context): string | null {
  if (SAFE_METHODS.has(c.req.method)) return null;
  const origin = c.req.header('origin');
  const site = c.req.header('sec-fetch-site')?.toLowerCase();
  if (site !== undefined) return site === 'same-origin' || site === 'none' ? null : (origin ?? `a ${site} page`);
  if (origin === undefined) return null;
  try {
    if (new URL(origin).host.toLowerCase() === (c.req.header('host') ?? '').toLowerCase()) return null;
  } catch {
    // "null" (sandboxed frames, privacy-sensitive contexts) or garbage: not this server's origin.
  }
  return origin;
}
