// Issue 17, item 5: who may talk to `mlx serve`. A web page can send "simple" cross-site requests
// (text/plain, form-encoded, multipart, or a bare byte body: no CORS preflight) to a server on the
// visitor's machine, and can read a loopback server whose DNS name it rebinds to 127.0.0.1. Against a
// real spawned `mlx serve`: /feedback takes only application/json; a tokenless loopback server answers
// only to loopback Host names and refuses cross-origin browser POSTs; --token / MLX_SERVE_TOKEN guards
// every route but the probes and /metrics; a public bind needs a token or --allow-unauthenticated;
// `mlx feedback --server` posts labels to a token-protected server.
import http from 'node:http';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxSpawn, tempProject } from '../helpers/cli.js';
import { query } from '../helpers/inference-log.js';
import { freePort } from '../helpers/net.js';
import { kill, servingProject, startServe, stopAll, type Server } from '../helpers/serve.js';
import { encodedImage, tabularRows } from '../helpers/serving-fixtures.js';

const T = 60_000;
const TOKEN = 'serve-token-4711-abcdef';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One request with exactly these headers (fetch would add its own, and never sends a chosen Host). */
function raw(base: string, method: string, p: string, o: { headers?: Record<string, string>; body?: string | Uint8Array } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...o.headers };
    if (o.body !== undefined) headers['content-length'] = Buffer.byteLength(o.body);
    const req = http.request(`${base}${p}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON (/metrics, /version, /ping).
        }
        resolve({ status: res.statusCode!, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A multipart form with one image in "file": a simple request a page may send without a preflight. */
function multipart(bytes: Uint8Array): { type: string; body: Uint8Array } {
  const boundary = 'mlx-boundary-17';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cat.png"\r\nContent-Type: image/png\r\n\r\n`;
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    body: Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

const counts = (dir: string) => ({
  log: query<{ n: number }>(dir, 'SELECT count(*) AS n FROM inference_log')[0]?.n ?? 0,
  feedback: query<{ n: number }>(dir, 'SELECT count(*) AS n FROM inference_feedback')[0]?.n ?? 0,
});

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts `mlx serve ARGS` and reports whether it exited (with its stderr) or started listening (then it is killed). */
async function exitsBeforeListening(cwd: string, args: string[], env: Record<string, string | undefined>) {
  const proc = mlxSpawn(cwd, args, env);
  let stderr = '';
  let stdout = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  return new Promise<{ code: number | null; stderr: string; stdout: string; listened: boolean }>((resolve) => {
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/listening on/.test(stderr)) {
        proc.kill('SIGKILL');
        resolve({ code: null, stderr, stdout, listened: true });
      }
    });
    proc.on('exit', (code) => resolve({ code, stderr, stdout, listened: false }));
  });
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => (sock.destroy(), resolve(false)));
    sock.once('error', () => resolve(true));
  });
}

let openDir: string;
let lockedDir: string;
/** Tokenless on 127.0.0.1, an image model, logging. */
let open: Server;
/** --token, a tabular model, logging. */
let locked: Server;
let cat: Uint8Array;

beforeAll(async () => {
  openDir = servingProject('mlx-serve-auth-open-');
  lockedDir = servingProject('mlx-serve-auth-locked-');
  cat = (await encodedImage('cat', 1)).bytes;
  [open, locked] = await Promise.all([
    startServe(openDir, 'models:/img/1', ['--log-inputs']),
    startServe(lockedDir, 'models:/tab/1', ['--log-inputs', '--token', TOKEN]),
  ]);
}, T);

afterAll(async () => {
  await stopAll();
  for (const d of [openDir, lockedDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

/** An answered, logged image prediction of the open server: its request id. */
async function loggedPrediction(): Promise<string> {
  const before = counts(openDir).log;
  const form = multipart(cat);
  const r = await raw(open.base, 'POST', '/predict', { headers: { 'content-type': form.type }, body: form.body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  await until('the prediction to be logged', () => counts(openDir).log > before);
  return String(r.headers['x-mlx-request-id']);
}

describe('/feedback takes only application/json (no-cors pages cannot send it)', () => {
  it(
    'text/plain, form-encoded, multipart and no content type → 415 naming application/json; nothing is written',
    async () => {
      const id = await loggedPrediction();
      const body = JSON.stringify({ request_id: id, label: 'dog' });
      const before = counts(openDir);
      for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
        const r = await raw(open.base, 'POST', '/feedback', { headers: type ? { 'content-type': type } : {}, body });
        expect(r.status, `${type}: ${JSON.stringify(r.body)}`).toBe(415);
        expect(r.body.error_code).toBe('UNSUPPORTED_MEDIA_TYPE');
        expect(r.body.message).toContain('application/json');
        expect(r.body.message).toContain(JSON.stringify(type ? type.split(';')[0] : 'none'));
      }
      expect(counts(openDir)).toEqual(before);
      // The same body as JSON is joined: the refusals above were about the content type alone.
      const ok = await raw(open.base, 'POST', '/feedback', { headers: { 'content-type': 'application/json; charset=utf-8' }, body });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toEqual({ matched: 1, unknown: [] });
      expect(query(openDir, 'SELECT label FROM inference_feedback WHERE request_id = ?', id)).toEqual([{ label: 'dog' }]);
    },
    T,
  );

  it(
    '/v2 inference refuses the simple content types too (a page could otherwise fill the inference log)',
    async () => {
      const before = counts(lockedDir).log;
      const body = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 5], datatype: 'FP32', data: tabularRows(1)[0] }] });
      const auth = { authorization: `Bearer ${TOKEN}` };
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const r = await raw(locked.base, 'POST', '/v2/models/tab/infer', { headers: { ...auth, 'content-type': type }, body });
        expect(r.status, type).toBe(415);
        expect(r.body.error).toContain('application/json');
      }
      // Triton's own HTTP client sends JSON without a content type: that keeps working.
      const bare = await raw(locked.base, 'POST', '/v2/models/tab/infer', { headers: auth, body });
      expect(bare.status, JSON.stringify(bare.body)).toBe(200);
      await until('the one answered request to be logged', () => counts(lockedDir).log === before + 1);
    },
    T,
  );
});

describe('a tokenless loopback server answers only to loopback Host names (DNS rebinding)', () => {
  it(
    'Host: evil.example → 403 naming it, on reads and writes; the probes stay open; loopback names pass',
    async () => {
      const evil = { host: `evil.example:${open.port}` };
      for (const p of ['/variants', '/v2', '/v2/models/img', '/metrics', '/version']) {
        const r = await raw(open.base, 'GET', p, { headers: evil });
        expect(r.status, p).toBe(403);
        expect(p.startsWith('/v2') ? r.body.error : r.body.message).toContain('"evil.example"');
        if (!p.startsWith('/v2')) expect(r.body.error_code).toBe('PERMISSION_DENIED');
      }
      const before = counts(openDir);
      const form = multipart(cat);
      expect((await raw(open.base, 'POST', '/predict', { headers: { ...evil, 'content-type': form.type }, body: form.body })).status).toBe(403);
      const fb = JSON.stringify({ request_id: 'x', label: 1 });
      expect((await raw(open.base, 'POST', '/feedback', { headers: { ...evil, 'content-type': 'application/json' }, body: fb })).status).toBe(403);
      expect(counts(openDir)).toEqual(before);
      for (const p of ['/health', '/ready', '/ping', '/v2/health/live', '/v2/health/ready'])
        expect((await raw(open.base, 'GET', p, { headers: evil })).status, p).toBe(200);
      for (const host of [`localhost:${open.port}`, `127.0.0.1:${open.port}`, `[::1]:${open.port}`, 'LOCALHOST'])
        expect((await raw(open.base, 'GET', '/variants', { headers: { host } })).status, host).toBe(200);
    },
    T,
  );

  it('with a token the Host is not checked: the token is the protection', async () => {
    const r = await raw(locked.base, 'GET', '/variants', { headers: { host: 'ml.example.com', authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
  });
});

describe('a tokenless server refuses cross-origin browser POSTs (multipart /predict needs no preflight)', () => {
  it(
    'Origin of another site, Sec-Fetch-Site cross-site or same-site, Origin null → 403; nothing is logged',
    async () => {
      const before = counts(openDir).log;
      const form = multipart(cat);
      const cases: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site', origin: `http://localhost:${open.port + 1}` },
      ];
      for (const h of cases) {
        const r = await raw(open.base, 'POST', '/predict', { headers: { ...h, 'content-type': form.type }, body: form.body });
        expect(r.status, JSON.stringify(h)).toBe(403);
        expect(r.body.error_code).toBe('PERMISSION_DENIED');
        expect(r.body.message).toMatch(/--token/);
      }
      expect(counts(openDir).log).toBe(before);
    },
    T,
  );

  it(
    'programs (no Origin), the same origin, and a typed-in request (Sec-Fetch-Site: none) pass',
    async () => {
      const form = multipart(cat);
      const cases: Record<string, string>[] = [
        {},
        { origin: `http://127.0.0.1:${open.port}` },
        { 'sec-fetch-site': 'same-origin', origin: `http://127.0.0.1:${open.port}` },
        { 'sec-fetch-site': 'none' },
      ];
      for (const h of cases) {
        const r = await raw(open.base, 'POST', '/predict', { headers: { ...h, 'content-type': form.type }, body: form.body });
        expect(r.status, JSON.stringify(h)).toBe(200);
      }
    },
    T,
  );
});

describe('--token: every route but the probes and /metrics', () => {
  const instances = JSON.stringify({ instances: tabularRows(1) });
  const v2 = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 5], datatype: 'FP32', data: tabularRows(1)[0] }] });
  const json = { 'content-type': 'application/json' };
  const guarded: [string, string, Record<string, string>, string | undefined, number][] = [
    ['GET', '/variants', {}, undefined, 200],
    ['GET', '/version', {}, undefined, 200],
    ['GET', '/v2', {}, undefined, 200],
    ['GET', '/v2/models/tab', {}, undefined, 200],
    ['GET', '/v2/models/tab/ready', {}, undefined, 200],
    ['POST', '/predict', json, instances, 200],
    ['POST', '/invocations', json, instances, 200],
    ['POST', '/v2/models/tab/infer', json, v2, 200],
    ['POST', '/feedback', json, JSON.stringify({ request_id: 'nobody', label: 1 }), 200],
    ['GET', '/no-such-route', {}, undefined, 404],
  ];

  it(
    'without the token, with a wrong one, or another scheme → 401 with WWW-Authenticate; nothing is logged',
    async () => {
      const before = counts(lockedDir);
      const wrong = [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, TOKEN, 'Bearer '];
      for (const [method, p, headers, body] of guarded)
        for (const authorization of wrong) {
          const r = await raw(locked.base, method, p, { headers: { ...headers, ...(authorization === undefined ? {} : { authorization }) }, body });
          expect(r.status, `${method} ${p} ${authorization}`).toBe(401);
          expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
          const message = p.startsWith('/v2') ? r.body.error : r.body.message;
          expect(message).toMatch(/Authorization: Bearer/);
          if (!p.startsWith('/v2')) expect(r.body.error_code).toBe('UNAUTHENTICATED');
        }
      expect(counts(lockedDir)).toEqual(before);
    },
    T,
  );

  it(
    'the right token (any case of "Bearer") → the route answers',
    async () => {
      for (const [method, p, headers, body, status] of guarded) {
        const r = await raw(locked.base, method, p, { headers: { ...headers, authorization: `bearer ${TOKEN}` }, body });
        expect(r.status, `${method} ${p}: ${JSON.stringify(r.body)}`).toBe(status);
      }
    },
    T,
  );

  it('/health, /ready, /ping, /v2/health/*, /metrics need no token (probes and Prometheus send none)', async () => {
    for (const p of ['/health', '/ready', '/ping', '/v2/health/live', '/v2/health/ready', '/metrics'])
      expect((await raw(locked.base, 'GET', p)).status, p).toBe(200);
    expect(locked.stderr()).toMatch(/token required/);
  });
});

describe('a public bind needs a token', () => {
  it(
    '--host 0.0.0.0 without one: one line, exit 2, before any port opens or store is read',
    async () => {
      const empty = tempProject('mlx-serve-auth-none-');
      const port = await freePort();
      const r = await exitsBeforeListening(empty, ['serve', 'models:/tab/1', '--host', '0.0.0.0', '--port', String(port)], {});
      expect(r.listened, r.stderr).toBe(false);
      const line = expectError(
        { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr },
        2,
        'refusing to serve 0.0.0.0 without a token',
        '--token',
        'MLX_SERVE_TOKEN',
        '--allow-unauthenticated',
      );
      expect(line).not.toMatch(/store/);
      expect(await refusesConnections(port)).toBe(true);
      expect(fs.existsSync(path.join(empty, '.mlx'))).toBe(false);
      // Where the model exists, too (before the fix, this one served 0.0.0.0 to anyone).
      const served = await exitsBeforeListening(lockedDir, ['serve', 'models:/tab/1', '--host', '0.0.0.0', '--port', String(port)], {});
      expect(served.listened, served.stderr).toBe(false);
      expectError({ code: served.code ?? -1, stdout: served.stdout, stderr: served.stderr }, 2, 'refusing to serve 0.0.0.0 without a token');
      expect(await refusesConnections(port)).toBe(true);
    },
    T,
  );

  it(
    'a token shorter than 8 characters: one line, exit 2',
    () => {
      expectError(mlx(lockedDir, ['serve', 'models:/tab/1', '--port', '0', '--token', 'short']), 2, '--token', 'at least 8 characters');
      expectError(
        mlx(lockedDir, ['serve', 'models:/tab/1', '--port', '0'], { env: { MLX_SERVE_TOKEN: 'short' } }),
        2,
        'MLX_SERVE_TOKEN',
        'at least 8 characters',
      );
    },
    T,
  );

  it(
    '--allow-unauthenticated binds 0.0.0.0 (stopped at once)',
    async () => {
      const s = await startServe(lockedDir, 'models:/tab/1', ['--host', '0.0.0.0', '--allow-unauthenticated'], { ready: false });
      try {
        expect(s.stderr()).toMatch(/listening on http:\/\/0\.0\.0\.0:\d+/);
        expect((await raw(s.base, 'GET', '/health')).status).toBe(200);
      } finally {
        await kill(s);
      }
    },
    T,
  );

  it(
    'MLX_SERVE_TOKEN binds 0.0.0.0 with the token required',
    async () => {
      const s = await startServe(lockedDir, 'models:/tab/1', ['--host', '0.0.0.0'], { env: { MLX_SERVE_TOKEN: TOKEN } });
      try {
        expect((await raw(s.base, 'GET', '/variants')).status).toBe(401);
        expect((await raw(s.base, 'GET', '/variants', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      } finally {
        await kill(s);
      }
    },
    T,
  );
});

describe('mlx feedback --server posts labels to a model server, with its token', () => {
  let id: string;
  let cwd: string;
  beforeAll(async () => {
    const before = counts(lockedDir).log;
    const r = await raw(locked.base, 'POST', '/invocations', {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ instances: tabularRows(1) }),
    });
    expect(r.status).toBe(200);
    id = String(r.headers['x-mlx-request-id']);
    await until('the prediction to be logged', () => counts(lockedDir).log > before);
    // Somewhere without a store: the labels go to the server, not to a local .mlx.
    cwd = tempProject('mlx-serve-auth-client-');
    fs.writeFileSync(path.join(cwd, 'labels.csv'), `request_id,label\n${id},high\nghost-1,low\n`);
  }, T);
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it(
    '--token (or MLX_SERVE_TOKEN) → joined on the server; nothing is written locally',
    () => {
      const r = mlx(cwd, ['feedback', 'labels.csv', '--server', locked.base, '--token', TOKEN, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ items: 2, matched: 1, unknown_count: 1, unknown: ['ghost-1'] });
      expect(query(lockedDir, 'SELECT label FROM inference_feedback WHERE request_id = ?', id)).toEqual([{ label: 'high' }]);
      const again = mlx(cwd, ['feedback', 'labels.csv', '--server', `${locked.base}/`], { env: { MLX_SERVE_TOKEN: TOKEN } });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout.split('\n')[0]).toBe('1 of 2 feedback items joined to logged predictions');
      expect(fs.existsSync(path.join(cwd, '.mlx'))).toBe(false);
    },
    T,
  );

  it(
    'no token, a wrong token, an unreachable server: one line, exit 1, nothing joined',
    async () => {
      const before = counts(lockedDir);
      expectError(mlx(cwd, ['feedback', 'labels.csv', '--server', locked.base]), 1, locked.base, 'needs a token', '--token', 'MLX_SERVE_TOKEN');
      expectError(mlx(cwd, ['feedback', 'labels.csv', '--server', locked.base, '--token', `${TOKEN}-wrong`]), 1, 'refused the token');
      const port = await freePort();
      expectError(mlx(cwd, ['feedback', 'labels.csv', '--server', `http://127.0.0.1:${port}`]), 1, `http://127.0.0.1:${port}`, 'cannot reach');
      expect(counts(lockedDir)).toEqual(before);
    },
    T,
  );

  it('--token without --server, or a --server that is not an http(s) URL: one line, exit 2', () => {
    expectError(mlx(cwd, ['feedback', 'labels.csv', '--token', TOKEN]), 2, '--token', '--server');
    expectError(mlx(cwd, ['feedback', 'labels.csv', '--server', 'ftp://x.org']), 2, '--server', '"ftp://x.org"');
  });
});

describe('the image mlx containerize generates', () => {
  it(
    'serves every interface without a token by default; MLX_SERVE_TOKEN turns the token on; the healthcheck path stays open',
    async () => {
      const port = await freePort();
      const made = mlx(lockedDir, ['containerize', 'models:/tab/1', '--out', 'ctx', '--port', String(port)]);
      expect(made.code, made.stderr).toBe(0);
      const ctx = path.join(lockedDir, 'ctx');
      // The image's WORKDIR holds model/ as the context does: its CMD runs here as it would there.
      const cmd: string[] = JSON.parse(/^CMD (\[.*\])$/m.exec(fs.readFileSync(path.join(ctx, 'Dockerfile'), 'utf8'))![1]);
      expect(cmd.slice(0, 6)).toEqual(['serve', 'model/tab.onnx', '--host', '0.0.0.0', '--port', String(port)]);
      const instances = JSON.stringify({ instances: tabularRows(1) });
      const predict = (s: Server, headers: Record<string, string> = {}) =>
        raw(s.base, 'POST', '/predict', { headers: { 'content-type': 'application/json', ...headers }, body: instances });

      const plain = await startServe(ctx, cmd[1], cmd.slice(2));
      try {
        expect(plain.base).toBe(`http://127.0.0.1:${port}`);
        expect((await predict(plain)).status).toBe(200);
      } finally {
        await kill(plain);
      }
      const tokened = await startServe(ctx, cmd[1], cmd.slice(2), { env: { MLX_SERVE_TOKEN: TOKEN } });
      try {
        expect((await predict(tokened)).status).toBe(401);
        expect((await predict(tokened, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
        for (const p of ['/ready', '/health', '/metrics']) expect((await raw(tokened.base, 'GET', p)).status, p).toBe(200);
      } finally {
        await kill(tokened);
      }
    },
    T,
  );
});
