// The HTTP client's error mapping, against a stub server that answers what a test tells it to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { normalizeServerUri, queryString, RestClient } from './http-client.js';

let server: http.Server;
let base: string;
let reply: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };
let seen: { method?: string; url?: string; auth?: string; body?: string } = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req
      .on('data', (d) => (body += d))
      .on('end', () => {
        seen = { method: req.method, url: req.url, auth: req.headers.authorization, body };
        res.writeHead(reply.status, { 'content-type': reply.type }).end(reply.body);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(status: number, body: string, type = 'application/json'): Promise<MlxError> {
  reply = { status, type, body };
  const err = await new RestClient(base, { env: {} }).call('GET', 'mlflow/runs/get', { run_id: 'x' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MlxError);
  return err as MlxError;
}

describe('RestClient', () => {
  it('GET fields go in the query (lists repeat), others in a JSON body; the token goes in Authorization', async () => {
    reply = { status: 200, type: 'application/json', body: '{"ok":1}' };
    const c = new RestClient(`${base}/`, { env: { MLX_TRACKING_TOKEN: 't1', MLFLOW_TRACKING_TOKEN: 't2' } });
    expect(await c.call('GET', 'mlflow/x', { a: 1, ids: ['1', '2'], none: undefined })).toEqual({ ok: 1 });
    expect(seen).toMatchObject({ method: 'GET', url: '/api/2.0/mlflow/x?a=1&ids=1&ids=2', auth: 'Bearer t1' });
    await new RestClient(base, { env: { MLFLOW_TRACKING_TOKEN: 't2' } }).call('POST', 'mlflow/y', { k: 'v' });
    expect(seen).toMatchObject({ method: 'POST', url: '/api/2.0/mlflow/y', auth: 'Bearer t2', body: '{"k":"v"}' });
    await new RestClient(base, { env: { MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' } }).call('GET', 'mlflow/z');
    expect(seen.auth).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    reply = { status: 200, type: 'application/json', body: '' };
    expect(await c.call('POST', 'mlflow/empty')).toEqual({});
  });

  it("keeps the server's error code and message, on one line", async () => {
    const e = await failure(400, JSON.stringify({ error_code: 'INVALID_STATE', message: 'run x is deleted;\n  restore it first' }));
    expect([e.code, e.message]).toEqual(['INVALID_STATE', 'run x is deleted; restore it first']);
    expect((await failure(404, '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"run \\"x\\" does not exist"}')).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('maps codes it does not know by HTTP status', async () => {
    expect((await failure(400, '{"error_code":"RESOURCE_LIMIT_EXCEEDED","message":"too many"}')).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await failure(409, '{"error_code":"CONFLICT","message":"exists"}')).code).toBe('RESOURCE_ALREADY_EXISTS');
    expect((await failure(503, '{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}')).code).toBe('INTERNAL_ERROR');
    const denied = await failure(403, '{"error_code":"PERMISSION_DENIED","message":"no"}');
    expect(denied.code).toBe('UNAUTHENTICATED');
    expect(denied.message).toMatch(/refused GET \/api\/2\.0\/mlflow\/runs\/get \(403\): no$/);
    expect((await failure(401, '')).message).toMatch(/needs a token \(401\); set MLX_TRACKING_TOKEN/);
  });

  it('names the endpoint when the server does not have it or does not speak MLflow JSON', async () => {
    const html = await failure(404, '<html>\n<body>Not Found</body></html>', 'text/html');
    expect(html.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(html.message).toMatch(
      /^the tracking server at http:\/\/127\.0\.0\.1:\d+ does not know GET \/api\/2\.0\/mlflow\/runs\/get \(.*Not Found.*\); is MLX_TRACKING_URI an mlx or MLflow server\?$/,
    );
    expect(html.message).not.toMatch(/\n/);
    expect((await failure(404, '{"error_code":"ENDPOINT_NOT_FOUND","message":"no endpoint"}')).message).toMatch(/does not know GET/);
    expect((await failure(502, 'Bad gateway', 'text/plain')).message).toMatch(/answered 502 Bad Gateway to GET .*\(Bad gateway\)/);
    reply = { status: 200, type: 'text/html', body: '<html></html>' };
    const notJson = await new RestClient(base, { env: {} }).call('GET', 'mlflow/x').catch((e: MlxError) => e);
    expect((notJson as MlxError).message).toMatch(/something other than JSON/);
  });

  it('refuses tracking URIs that are not http(s) URLs', () => {
    expect(normalizeServerUri('http://h:5000//')).toBe('http://h:5000');
    expect(normalizeServerUri('https://h/prefix/')).toBe('https://h/prefix');
    expect(() => normalizeServerUri('http://')).toThrow(/not a valid URL/);
    expect(() => normalizeServerUri('http://h?x=1')).toThrow(/query/);
    expect(queryString({})).toBe('');
  });
});
