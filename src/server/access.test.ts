// The access checks shared by `mlx server` and `mlx serve`, in-process.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { allowedHostsFor, crossOriginSource, hostGuard, isLoopback, tokenGuard, tokenMatches } from './access.js';

describe('tokenMatches', () => {
  it('only "Bearer <the token>", any case of Bearer, surrounding spaces ignored', () => {
    expect(tokenMatches('Bearer secret-123', 'secret-123')).toBe(true);
    expect(tokenMatches('bearer   secret-123 ', 'secret-123')).toBe(true);
    for (const h of [undefined, '', 'secret-123', 'Bearer secret-1234', 'Bearer secret-12', 'Basic secret-123', 'Bearer '])
      expect(tokenMatches(h, 'secret-123'), String(h)).toBe(false);
  });
});

describe('allowedHostsFor', () => {
  it('loopback names for a tokenless loopback bind; any Host with a token or on another interface', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]']) {
      expect(isLoopback(h)).toBe(true);
      expect(allowedHostsFor(h, undefined)).toEqual(['localhost', '127.0.0.1', '[::1]', '::1']);
      expect(allowedHostsFor(h, 'a-token-123')).toBeUndefined();
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'ml.example.com']) expect(allowedHostsFor(h, undefined), h).toBeUndefined();
  });
});

function app(): Hono {
  const a = new Hono();
  a.use('/t/*', tokenGuard('a-token-123', { open: (c) => c.req.path === '/t/open', deny: (c) => c.json({ denied: true }, 401) }));
  a.use('/h/*', hostGuard(['localhost', '127.0.0.1', '[::1]'], { exempt: (c) => c.req.path === '/h/probe', deny: (c, host) => c.json({ host }, 403) }));
  a.all('*', (c) => c.json({ cross: crossOriginSource(c) }));
  return a;
}

describe('tokenGuard and hostGuard', () => {
  it('the token, or an open path, passes; else the deny answer with WWW-Authenticate: Bearer', async () => {
    const a = app();
    const denied = await a.request('/t/x');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect((await a.request('/t/x', { headers: { authorization: 'Bearer a-token-123' } })).status).toBe(200);
    expect((await a.request('/t/open')).status).toBe(200);
  });

  it('Host names with or without a port, any case, IPv6 in brackets; others denied with the name; exempt paths pass', async () => {
    const a = app();
    for (const host of ['localhost', 'LOCALHOST:8000', '127.0.0.1:1', '[::1]:8000'])
      expect((await a.request('/h/x', { headers: { host } })).status, host).toBe(200);
    const r = await a.request('/h/x', { headers: { host: 'Rebound.Example:8000' } });
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({ host: 'rebound.example' });
    expect((await a.request('/h/probe', { headers: { host: 'rebound.example' } })).status).toBe(200);
  });
});

describe('crossOriginSource', () => {
  const source = async (method: string, headers: Record<string, string>) =>
    ((await (await app().request('/x', { method, headers })).json()) as { cross: string | null }).cross;

  it('a POST from another origin: its Origin, "null", or what Sec-Fetch-Site says', async () => {
    expect(await source('POST', { host: '127.0.0.1:8000', origin: 'https://evil.example' })).toBe('https://evil.example');
    expect(await source('POST', { host: '127.0.0.1:8000', origin: 'http://127.0.0.1:8001' })).toBe('http://127.0.0.1:8001');
    expect(await source('PUT', { host: '127.0.0.1:8000', origin: 'null' })).toBe('null');
    expect(await source('POST', { host: '127.0.0.1:8000', 'sec-fetch-site': 'cross-site' })).toBe('a cross-site page');
    expect(await source('DELETE', { host: 'localhost:8000', 'sec-fetch-site': 'same-site', origin: 'http://localhost:3000' })).toBe('http://localhost:3000');
  });

  it('none for programs, the same origin (default ports too), Sec-Fetch-Site same-origin or none, and safe methods', async () => {
    expect(await source('POST', { host: '127.0.0.1:8000' })).toBeNull();
    expect(await source('POST', { host: '127.0.0.1:8000', origin: 'http://127.0.0.1:8000' })).toBeNull();
    expect(await source('POST', { host: 'ml.example.com', origin: 'https://ml.example.com' })).toBeNull();
    expect(await source('POST', { host: 'x', 'sec-fetch-site': 'same-origin', origin: 'https://elsewhere.example' })).toBeNull();
    expect(await source('POST', { host: 'x', 'sec-fetch-site': 'none' })).toBeNull();
    expect(await source('GET', { host: 'x', origin: 'https://evil.example' })).toBeNull();
  });
});
