// The token and CORS options of trackingApp, and the routes outside the MLflow API
// (/health, /version, mlx's server-info), in-process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AJAX, API, expectError, MLX_API, ok, PROXY, trackingFixture, type TrackingFixture } from '../../../test/helpers/tracking.js';

const TOKEN = 'a-long-secret-token-4711';
const ORIGIN = 'https://ml.example.com';
let open: TrackingFixture;
let locked: TrackingFixture;
let cors: TrackingFixture;

beforeAll(() => {
  open = trackingFixture();
  locked = trackingFixture({ token: TOKEN });
  cors = trackingFixture({ corsOrigin: ORIGIN });
});
afterAll(async () => {
  await Promise.all([open.close(), locked.close(), cors.close()]);
});

describe('--token', () => {
  const guarded = [`${API}/experiments/search`, `${AJAX}/experiments/search`, `${MLX_API}/server-info`, `${PROXY}?path=`, `${PROXY}/x.txt`];

  it('every /api and /ajax-api request without the bearer token → 401 UNAUTHENTICATED with WWW-Authenticate', async () => {
    for (const url of guarded) {
      const r = await locked.raw('GET', url);
      expectError(r, 401, 'UNAUTHENTICATED');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expectError(await locked.post(`${API}/experiments/create`, { name: 'sneaky' }), 401, 'UNAUTHENTICATED');
    expect(await locked.store.getExperimentByName('sneaky')).toBeNull();
  });

  it('a wrong token, another scheme, or a token prefix → 401', async () => {
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, TOKEN, 'Bearer '])
      expectError(await locked.raw('GET', `${API}/experiments/search`, undefined, { authorization }), 401, 'UNAUTHENTICATED');
  });

  it('the right token → 200 on every prefix; /health and /version stay open', async () => {
    for (const url of [`${API}/experiments/search`, `${AJAX}/experiments/search`])
      ok(await locked.raw('GET', url, undefined, { authorization: `Bearer ${TOKEN}` }));
    expect(ok(await locked.raw('GET', `${MLX_API}/server-info`, undefined, { authorization: `bearer ${TOKEN}` })).auth).toBe(true);
    expect(ok(await locked.raw('GET', '/health'))).toEqual({ status: 'OK' });
    expect((await locked.raw('GET', '/version')).status).toBe(200);
  });
});

describe('routes outside the MLflow API', () => {
  it('/health answers {"status":"OK"}; /version the mlx version; server-info says sqlite, no auth, keeps schemas', async () => {
    expect(ok(await open.raw('GET', '/health'))).toEqual({ status: 'OK' });
    const v = await open.raw('GET', '/version');
    expect(v.status).toBe(200);
    expect(String(v.body)).toBe('0.0.0-test');
    expect(ok(await open.get(`${MLX_API}/server-info`))).toEqual({ mlx_version: '0.0.0-test', store: 'sqlite', auth: false, schemas: true });
    expect(ok(await open.get('/ajax-api/2.0/mlx/server-info')).store).toBe('sqlite');
  });

  it('/ready answers 200 while the store answers, 503 (without the reason) once it does not; no token needed', async () => {
    expect(ok(await locked.raw('GET', '/ready'))).toEqual({ status: 'READY' });
    const broken = trackingFixture();
    await broken.store.close();
    const r = await broken.raw('GET', '/ready');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ status: 'NOT_READY' });
  });

  it('answers carry X-Content-Type-Options: nosniff', async () => {
    expect((await open.get(`${API}/experiments/search`)).headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('--cors-origin', () => {
  it('without it, no Access-Control-* headers at all', async () => {
    const r = await open.raw('GET', `${API}/experiments/search`, undefined, { origin: ORIGIN });
    expect(r.status).toBe(200);
    expect([...r.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    const pre = await open.raw('OPTIONS', `${API}/runs/log-metric`, undefined, { origin: ORIGIN, 'access-control-request-method': 'POST' });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('with it, that origin gets CORS headers and preflights are answered; other origins get none', async () => {
    const r = await cors.raw('GET', `${API}/experiments/search`, undefined, { origin: ORIGIN });
    expect(r.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const pre = await cors.raw('OPTIONS', `${API}/runs/log-metric`, undefined, {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization/);
    const other = await cors.raw('GET', `${API}/experiments/search`, undefined, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).not.toBe('*');
  });

  it('with a token too, preflights pass without it (browsers never send credentials on OPTIONS)', async () => {
    const both = trackingFixture({ token: TOKEN, corsOrigin: ORIGIN });
    try {
      const pre = await both.raw('OPTIONS', `${API}/runs/log-metric`, undefined, { origin: ORIGIN, 'access-control-request-method': 'POST' });
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expectError(await both.raw('GET', `${API}/experiments/search`, undefined, { origin: ORIGIN }), 401, 'UNAUTHENTICATED');
    } finally {
      await both.close();
    }
  });
});

// Without a token, a page whose DNS name is rebound to 127.0.0.1 would be same-origin with the
// server; a tokenless loopback server therefore answers only to loopback Host names.
describe('allowedHosts (DNS rebinding)', () => {
  const hosts = ['localhost', '127.0.0.1', '[::1]'];

  it('a Host outside the list → 403 on the API, the proxy and the UI; /health stays open', async () => {
    const guarded = trackingFixture({ allowedHosts: hosts });
    try {
      for (const url of [`${API}/experiments/search`, `${PROXY}?path=`, '/', '/version']) {
        const r = await guarded.raw('GET', url, undefined, { host: 'rebound.example:5000' });
        expect(r.status, url).toBe(403);
        expect(r.body.error_code).toBe('PERMISSION_DENIED');
        expect(r.body.message).toContain('rebound.example');
      }
      expect((await guarded.raw('POST', `${API}/experiments/create`, { name: 'rebound' }, { host: 'rebound.example' })).status).toBe(403);
      expect(await guarded.store.getExperimentByName('rebound')).toBeNull();
      expect((await guarded.raw('GET', '/health', undefined, { host: 'rebound.example' })).status).toBe(200);
      for (const host of ['localhost:5000', '127.0.0.1:41234', '[::1]:5000', 'LOCALHOST'])
        expect((await guarded.raw('GET', `${API}/experiments/search`, undefined, { host })).status, host).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('with a token the Host is not checked (the token is the protection)', async () => {
    const tokened = trackingFixture({ allowedHosts: hosts, token: TOKEN });
    try {
      const r = await tokened.raw('GET', `${API}/experiments/search`, undefined, { host: 'ml.example.com', authorization: `Bearer ${TOKEN}` });
      expect(r.status).toBe(200);
    } finally {
      await tokened.close();
    }
  });
});
