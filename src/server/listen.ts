import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import { MlxError } from '../core/errors.js';
import { watchBodies, type BodyTimeouts } from './body-timeouts.js';

export interface Listening {
  server: Server;
  url: string;
  port: number;
  /** Stops accepting, waits for in-flight requests (up to graceMs), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

/** Node's own limit on the time to receive a whole request (http.Server requestTimeout). */
const NODE_REQUEST_TIMEOUT_MS = 300_000;

export interface ListenOptions {
  host: string;
  port: number;
  /** The time a request may take to arrive, headers and body (default Node's 300 s); tests scale it down. */
  requestTimeoutMs?: number;
  /** Bodies are cut when they stop arriving; those of `unlimited` requests have no total limit. */
  bodyTimeouts?: BodyTimeouts;
}

/** The one place that opens a port: serves a Hono app on host:port (port 0 picks a free one). */
/**
 * Refuses a port that is taken, by binding and releasing it, before a command does anything that
 * stays (`mlx ui` creating a store): the same message listen() gives. Port 0 is always free.
 */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

const listenError = (err: NodeJS.ErrnoException, host: string, port: number) =>
  new MlxError(
    'INVALID_STATE',
    err.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use; pick another with --port` : `cannot listen on ${host}:${port}: ${err.message}`,
  );

export async function listen(app: Hono, opts: ListenOptions): Promise<Listening> {
  const { serve } = await import('@hono/node-server');
  const requestTimeout = opts.requestTimeoutMs ?? NODE_REQUEST_TIMEOUT_MS;
  // Node checks these limits every connectionsCheckingInterval (30 s): a shorter limit is checked more often.
  // With body timeouts, Node's own total limit is off (they keep it for the requests it suits);
  // headers must still arrive within headersTimeout (slowloris).
  const serverOptions = {
    requestTimeout: opts.bodyTimeouts ? 0 : requestTimeout,
    headersTimeout: Math.min(60_000, requestTimeout),
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeout / 4)),
  };
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port, serverOptions }) as Server;
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, opts.host, opts.port)));
  });
  server.keepAliveTimeout = 65_000;
  const stopWatching = opts.bodyTimeouts ? watchBodies(server, opts.bodyTimeouts, requestTimeout) : () => undefined;
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
      stopWatching();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
    },
  };
}
