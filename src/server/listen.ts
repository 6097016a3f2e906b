import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { MlxError } from '../core/errors.js';

export interface Listening {
  server: Server;
  url: string;
  port: number;
  /** Stops accepting, waits for in-flight requests (up to graceMs), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/** The one place that opens a port: serves a Hono app on host:port (port 0 picks a free one). */
export async function listen(app: Hono, opts: { host: string; port: number }): Promise<Listening> {
  const { serve } = await import('@hono/node-server');
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }) as Server;
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new MlxError(
          'INVALID_STATE',
          err.code === 'EADDRINUSE'
            ? `port ${opts.port} on ${opts.host} is in use; pick another with --port`
            : `cannot listen on ${opts.host}:${opts.port}: ${err.message}`,
        ),
      ),
    );
  });
  server.keepAliveTimeout = 65_000;
  // Requests count as in flight until their response is fully written, not when the handler
  // returns: a large body is still streaming out then, and shutdown must not cut it off.
  let active = 0;
  server.on('request', (_req, res) => {
    active++;
    res.once('close', () => active--);
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    server,
    url: `http://${host}:${port}`,
    port,
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
    },
  };
}
