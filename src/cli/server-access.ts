// The token and bind flags shared by `mlx server` (MLX_SERVER_TOKEN) and `mlx serve` (MLX_SERVE_TOKEN):
// checked before anything is opened, so a refused start leaves no port open and no store touched.
import { MlxError } from '../core/errors.js';
import { allowedHostsFor, isLoopback } from '../server/access.js';

export interface AccessFlags {
  host: string;
  token?: string;
  allowUnauthenticated?: boolean;
}

/**
 * The token a server requires (--token, else the environment variable; none when both are unset or
 * empty) and the Host names it answers to. Refuses a short token, and a non-loopback host without a
 * token unless --allow-unauthenticated; `exposed` says what anyone reaching it could then do.
 */
export function serverAccess(f: AccessFlags, envName: string, exposed: string): { token?: string; allowedHosts?: string[] } {
  const token = f.token ?? (process.env[envName] || undefined);
  if (token !== undefined && token.length < 8)
    throw new MlxError(
      'USAGE',
      `${f.token !== undefined ? '--token' : envName} must be at least 8 characters; use a long random value, e.g. from: openssl rand -hex 24`,
    );
  if (!isLoopback(f.host) && !token && !f.allowUnauthenticated)
    throw new MlxError(
      'USAGE',
      `refusing to serve ${f.host} without a token: anyone who can reach it could ${exposed}; pass --token (or ${envName}), or --allow-unauthenticated`,
    );
  return { token, allowedHosts: allowedHostsFor(f.host, token) };
}
