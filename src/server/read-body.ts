import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * The request body as bytes, refused with `tooLarge()` past `maxBytes` (Content-Length is checked
 * before anything is read). Under @hono/node-server the bytes come straight from Node's
 * IncomingMessage: building a web `Request` and reading it through web streams cost about a
 * sixth of the main thread's time per small JSON request. In-process `app.request()` calls
 * (tests) have no IncomingMessage and go through the web Request instead.
 */
export async function readBody(c: Context, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const declared = Number(c.req.header('content-length'));
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const fromNode = incoming && typeof incoming.on === 'function' && !incoming.readableEnded && incoming.readableFlowing === null;
  if (Number.isFinite(declared) && declared > maxBytes) {
    if (fromNode) await discardRest(incoming, maxBytes, 0);
    throw tooLarge();
  }
  if (fromNode) {
    const chunks: Buffer[] = [];
    let total = 0;
    // Not destroyed when reading stops early: once the loop has let go of the stream (its
    // 'readable' listener would hold back 'data'), the rest is discarded, then the 413 answered.
    for await (const chunk of incoming.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) break;
      chunks.push(chunk);
    }
    if (total > maxBytes) {
      await discardRest(incoming, maxBytes, total);
      throw tooLarge();
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  }
  const raw = c.req.raw.body;
  if (!raw) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = raw.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** The body parsed as JSON; `bad(message)` makes the error for a body that is not JSON. */
export function parseJsonBody(body: Buffer, bad: () => Error): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw bad();
  }
}

/** The most a refused body is read (and thrown away) so its client hears the 413: past it, the connection is cut. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * Reads the rest of a refused body and throws it away, so the answer reaches the client: a
 * server that answers and closes while the client is still sending makes the client's next
 * write fail (EPIPE/ECONNRESET), and most clients then report that instead of the 413 (nginx's
 * lingering close does the same). Bodies larger than the limit plus DISCARD_LIMIT are cut at once.
 */
function discardRest(incoming: IncomingMessage, maxBytes: number, alreadyRead: number): Promise<void> {
  const cap = maxBytes + DISCARD_LIMIT;
  const declared = Number(incoming.headers['content-length']);
  if ((Number.isFinite(declared) && declared > cap) || incoming.readableEnded) {
    if (!incoming.readableEnded) incoming.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let total = alreadyRead;
    const done = () => {
      incoming.off('data', onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > cap) {
        incoming.destroy();
        done();
      }
    };
    incoming.on('data', onData);
    incoming.once('end', done);
    incoming.once('close', done);
    incoming.once('error', done);
    incoming.resume();
  });
}
