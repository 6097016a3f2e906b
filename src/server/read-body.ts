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
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && typeof incoming.on === 'function' && !incoming.readableEnded && incoming.readableFlowing === null) {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge();
      chunks.push(chunk);
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
