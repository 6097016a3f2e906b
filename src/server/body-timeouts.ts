import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BODY_TIMEOUT } from './http-errors.js';

export interface BodyTimeouts {
  /** A request body that sends no bytes for this long is cut with 408 (nginx's client_body_timeout). */
  idleMs: number;
  /** The setting that changes idleMs, named in the 408 answer (e.g. "mlx server --upload-idle-timeout"). */
  idleSetting: string;
  /** Requests whose bodies may take as long as they keep flowing (large uploads); the others must also arrive within the total limit. */
  unlimited(req: IncomingMessage): boolean;
}

interface Watch {
  req: IncomingMessage;
  res: ServerResponse;
  lastBytes: number;
  lastProgress: number;
  start: number;
  totalMs: number | null;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/**
 * Cuts request bodies that stop arriving, instead of Node's requestTimeout, which cuts every
 * request that has not fully arrived after 300 s: a 2 GB upload would need 6.8 MB/s. A body is
 * watched through its socket's byte count (which grows while the HTTP parser consumes the socket,
 * without taking the body from the route that reads it); bytes buffered and not yet read mean
 * the server is the slow side, which is not idleness. Requests that are not `unlimited` keep a
 * total limit too. A cut body gets a 408 in MLflow's error shape, written on the socket as Node
 * writes its own 408, and the connection is closed: the route's read fails and cleans up.
 * Returns a function that stops watching.
 */
export function watchBodies(server: Server, t: BodyTimeouts, totalMs: number): () => void {
  const watched = new Set<Watch>();
  const tick = Math.min(1000, Math.max(25, Math.min(t.idleMs, totalMs) / 4));

  const cut = (w: Watch, message: string) => {
    watched.delete(w);
    const socket = w.req.socket;
    if (!w.res.headersSent && socket.writable) {
      const body = JSON.stringify({ error_code: BODY_TIMEOUT.code, message });
      socket.end(
        `HTTP/1.1 ${BODY_TIMEOUT.status} ${STATUS_CODES[BODY_TIMEOUT.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        () => socket.destroy(),
      );
      // A client that reads nothing either: do not wait for it.
      setTimeout(() => socket.destroy(), 5000).unref();
    } else socket.destroy();
  };

  const check = () => {
    const now = Date.now();
    for (const w of watched) {
      if (w.req.complete || w.req.socket.destroyed) {
        watched.delete(w);
        continue;
      }
      const bytes = w.req.socket.bytesRead;
      if (bytes !== w.lastBytes || w.req.readableLength > 0) {
        w.lastBytes = bytes;
        w.lastProgress = now;
      }
      if (now - w.lastProgress >= t.idleMs)
        cut(w, `the request body sent no bytes for ${seconds(t.idleMs)} (${t.idleSetting}); check the connection and send it again`);
      else if (w.totalMs !== null && now - w.start >= w.totalMs)
        cut(w, `the request body did not arrive within ${seconds(w.totalMs)}; send it again over a faster connection (artifact uploads have no total limit)`);
    }
  };
  const timer = setInterval(check, tick);
  timer.unref();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
    if (!hasBody || req.complete) return;
    const now = Date.now();
    const w: Watch = { req, res, lastBytes: req.socket.bytesRead, lastProgress: now, start: now, totalMs: t.unlimited(req) ? null : totalMs };
    watched.add(w);
    // Answered: what is left of the body is drained or dropped by the adapter, not waited for here.
    res.once('finish', () => watched.delete(w));
    res.once('close', () => watched.delete(w));
  });
  return () => clearInterval(timer);
}
