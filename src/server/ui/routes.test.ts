import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { UI_ROOT, uiFilePath, uiRoutes } from './routes.js';

function app(root?: string): Hono {
  const a = new Hono();
  uiRoutes(a, root ? { root } : {});
  return a;
}

describe('web UI routes', () => {
  const ui = app();

  it('serves the page at / with a content security policy', async () => {
    const res = await ui.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/ui/js/main.js">');
    expect((await ui.request('/index.html')).status).toBe(200);
  });

  it('serves every module and stylesheet the page uses, with its type', async () => {
    const js = await ui.request('/ui/js/main.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    const css = await ui.request('/ui/app.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await ui.request('/ui/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
    // Every relative import of every module resolves to a file that is served.
    const files = (fs.readdirSync(path.join(UI_ROOT, 'js'), { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const url = `/ui/js/${f.split(path.sep).join('/')}`;
      const res = await ui.request(url);
      expect(res.status, url).toBe(200);
      const src = await res.text();
      for (const [, spec] of src.matchAll(/^import .* from '([^']+)';$/gm)) {
        const target = spec.startsWith('/') ? spec : new URL(spec, `http://x${url}`).pathname;
        expect((await ui.request(target)).status, `${url} imports ${spec}`).toBe(200);
      }
    }
  });

  it('answers 304 to a request that has the current ETag', async () => {
    const first = await ui.request('/ui/app.css');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await ui.request('/ui/app.css', { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves the chart library from node_modules, not a CDN', async () => {
    const js = await ui.request('/ui/vendor/uplot.esm.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toMatch(/export \{ uPlot as default \}/);
    const css = await ui.request('/ui/vendor/uplot.min.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await ui.request('/ui/vendor/package.json')).status).toBe(404);
    expect((await ui.request('/ui/vendor/..%2Fpackage.json')).status).toBe(404);
  });

  it('refuses paths that leave the ui folder, dot-files and unknown types', async () => {
    for (const p of [
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/..%2fpackage.json',
      '/ui/..%2F..%2Fetc%2Fpasswd',
      '/ui/js/..%5c..%5cpackage.json',
      '/ui/%2fetc%2fpasswd',
      '/ui/.hidden',
      '/ui/js//main.js',
      '/ui/%zz',
      '/ui/js',
      '/ui/missing.js',
    ]) {
      const res = await ui.request(p);
      expect(res.status, p).toBe(404);
      expect(await res.text(), p).not.toMatch(/"name": "mlx"|root:/);
    }
  });

  it('serves only files of known types', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-ui-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<p>hi</p>');
    fs.writeFileSync(path.join(dir, 'secret.db'), 'x');
    fs.writeFileSync(path.join(dir, 'a.js'), 'export {}');
    const a = app(dir);
    expect(await (await a.request('/')).text()).toBe('<p>hi</p>');
    expect((await a.request('/ui/secret.db')).status).toBe(404);
    expect((await a.request('/ui/a.js')).status).toBe(200);
    // A changed file is served fresh, not from the cache.
    fs.writeFileSync(path.join(dir, 'a.js'), 'export const changed = 1;');
    expect(await (await a.request('/ui/a.js')).text()).toContain('changed');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('maps URL paths to files only below the root', () => {
    expect(uiFilePath('/r', 'js/main.js')).toBe(path.resolve('/r/js/main.js'));
    expect(uiFilePath('/r', 'a%20b.js')).toBe(path.resolve('/r/a b.js'));
    expect(uiFilePath('/r', '..%2f..%2fx')).toBeNull();
    expect(uiFilePath('/r', '%00.js')).toBeNull();
  });

  it('ships the ui folder in the npm package', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(UI_ROOT, '..', 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> };
    expect(pkg.files).toContain('ui');
    expect(pkg.dependencies.uplot).toBeDefined();
  });
});
