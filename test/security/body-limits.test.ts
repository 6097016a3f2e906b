// A body over the limit is answered 413 in the server's error shape, and the client hears it: the
// server reads the rest of the body and throws it away before answering, instead of answering and
// closing while the client is still sending (its next write would then fail with EPIPE or
// ECONNRESET, and clients report that instead of the 413). Both servers, a declared Content-Length
// over the limit, and a chunked body that grows past it.
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape, servingProject, startServe, stopAll, type Server } from '../helpers/serve.js';
import { startTrackingServer, stopTrackingServers, type TrackingServer } from '../helpers/tracking-server.js';

interface Answer {
  status: number;
  body: string;
}

/**
 * POSTs `parts` with fetch (undici, as most Node clients), one by one (with pauseMs between them):
 * chunked, or with a Content-Length. A server that answers and closes early makes fetch reject
 * ("other side closed", EPIPE) instead of giving the answer.
 */
async function slowPost(base: string, path: string, parts: Buffer[], o: { contentLength?: number; pauseMs?: number } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.contentLength !== undefined) headers['content-length'] = String(o.contentLength);
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i === parts.length) return controller.close();
      if (i > 0 && o.pauseMs) await new Promise((r) => setTimeout(r, o.pauseMs));
      controller.enqueue(parts[i++]);
    },
  });
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
  return { status: res.status, body: await res.text() };
}

const filler = (n: number) => Array.from({ length: n }, () => Buffer.alloc(256 * 1024, 0x20));

let dir: string;
let serve: Server;
let tracking: TrackingServer;

beforeAll(async () => {
  dir = servingProject('mlx-sec-body-');
  [serve, tracking] = await Promise.all([startServe(dir, 'models:/tab/1', ['--max-body-mb', '1']), startTrackingServer({ args: ['--max-body-mb', '1'] })]);
}, 60_000);

afterAll(async () => {
  await stopAll();
  await stopTrackingServers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a body over the limit is answered 413, and the client hears it', () => {
  const servers = () =>
    [
      ['mlx serve /invocations', serve.base, '/invocations', /--max-body-mb/],
      ['mlx server runs/search', tracking.url, '/api/2.0/mlflow/runs/search', /limit of 1 MB/],
    ] as const;

  it('a declared Content-Length over the limit, the body still being sent', async () => {
    for (const [what, base, route, says] of servers()) {
      // Sent as fast as it goes, 10 times: a server that stops reading and closes leaves bytes unread,
      // its kernel then answers with a reset, and the client loses the 413 it had not read yet.
      for (let n = 0; n < 10; n++) {
        const r = await slowPost(base, route, filler(16), { contentLength: 16 * 256 * 1024 }); // 4 MB: four times the limit
        expect(r.status, `${what}: ${r.body}`).toBe(413);
        expect(JSON.parse(r.body).message, what).toMatch(says);
      }
    }
  });

  it('a chunked body that grows past the limit', async () => {
    for (const [what, base, route, says] of servers()) {
      const r = await slowPost(base, route, filler(8), { pauseMs: 20 });
      expect(r.status, `${what}: ${r.body}`).toBe(413);
      expect(JSON.parse(r.body).message, what).toMatch(says);
    }
  });

  it('mlx serve: a client that leaves halfway through its body is counted as 499 (client closed request), not as a 500', async () => {
    const { port } = new URL(serve.base);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"instances": [[1,');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 200);
      });
      socket.on('error', reject);
    });
    let text = '';
    for (let i = 0; i < 50 && !/route="\/invocations".*status="499"/.test(text); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await scrape(serve);
    }
    expect(text).toMatch(/mlx_requests_total\{[^}]*route="\/invocations"[^}]*status="499"[^}]*\} 1/);
    expect(text).not.toMatch(/status="500"/);
    expect(serve.stderr()).not.toMatch(/inference failed/);
  });

  it('both servers serve the next request', async () => {
    expect((await fetch(`${serve.base}/health`)).status).toBe(200);
    expect((await fetch(`${tracking.url}/health`)).status).toBe(200);
  });
});
