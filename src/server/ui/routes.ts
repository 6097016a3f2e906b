import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { safeJoin } from '../../artifacts/artifact-path.js';

/**
 * The web UI: `/` serves the single page, `/ui/*` its static files from the package's `ui/`
 * folder, and `/ui/vendor/*` the charting library from node_modules (nothing from a CDN).
 * Everything here is public and holds no data; the data endpoints sit behind the token.
 */

// This file is src/server/ui/routes.ts in the repo and dist/server/ui/routes.js when built or
// installed: the package root is three levels up either way.
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The folder holding index.html and the UI's modules. */
export const UI_ROOT = path.join(PACKAGE_ROOT, 'ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

// Scripts only from this origin; blob: images are artifact previews fetched with the token;
// uPlot styles its elements from script (CSSOM), which style-src does not restrict.
const CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Files served from the charting package, by the name the UI asks for. */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('uplot'));
  return { 'uplot.esm.js': path.join(dist, 'uPlot.esm.js'), 'uplot.min.css': path.join(dist, 'uPlot.min.css') };
}

interface Cached {
  body: Uint8Array;
  etag: string;
  mtimeMs: number;
}
const cache = new Map<string, Cached>();

async function load(file: string): Promise<Cached | null> {
  let st;
  try {
    st = await fs.stat(file);
  } catch {
    return null;
  }
  if (!st.isFile()) return null;
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.body.byteLength === st.size) return hit;
  const body = new Uint8Array(await fs.readFile(file));
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
  const entry = { body, etag, mtimeMs: st.mtimeMs };
  cache.set(file, entry);
  return entry;
}

async function sendFile(c: Context, file: string, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const type = TYPES[path.extname(file).toLowerCase()];
  const entry = type ? await load(file) : null;
  if (!entry || !type) return c.text('not found', 404, { 'Cache-Control': 'no-store' });
  // No content hashes in the file names, so browsers revalidate each time; the ETag makes that a 304.
  const headers: Record<string, string> = {
    'Cache-Control': 'no-cache',
    ETag: entry.etag,
    'X-Content-Type-Options': 'nosniff',
    ...extraHeaders,
  };
  if (c.req.header('if-none-match') === entry.etag) return c.body(null, 304, headers);
  return c.body(entry.body as Uint8Array<ArrayBuffer>, 200, { ...headers, 'Content-Type': type });
}

/** Maps the part of a URL after `/ui/` to a file under root, or null when it is not a plain relative path. */
export function uiFilePath(root: string, urlPath: string): string | null {
  let segments: string[];
  try {
    segments = urlPath.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
  // Dot-files, empty segments, backslashes and NULs never name a UI asset.
  if (segments.some((s) => s === '' || s.startsWith('.') || /[\\\0]/.test(s))) return null;
  try {
    return safeJoin(root, segments.join('/'), 'UI path');
  } catch {
    return null;
  }
}

/** Mounts the web UI on app: `/`, `/index.html`, `/ui/*` and the chart library under `/ui/vendor/`. */
export function uiRoutes(app: Hono, opts: { root?: string } = {}): void {
  const root = opts.root ?? UI_ROOT;
  const vendor = vendorFiles();
  const index = (c: Context) => sendFile(c, path.join(root, 'index.html'), { 'Content-Security-Policy': CSP, 'Referrer-Policy': 'no-referrer' });
  app.get('/', index);
  app.get('/index.html', index);
  app.get('/ui/vendor/:file', (c) => {
    const file = vendor[c.req.param('file')];
    return file ? sendFile(c, file) : c.text('not found', 404);
  });
  app.get('/ui/*', (c) => {
    const rest = c.req.path.slice('/ui/'.length);
    const file = uiFilePath(root, rest);
    return file ? sendFile(c, file) : c.text('not found', 404);
  });
}
