import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context, Hono } from 'hono';
import { invalid, MlxError, notFound } from '../../core/errors.js';
import { parseVersion } from '../../core/validation.js';
import { safeJoin } from '../../artifacts/local-repository.js';
import { readVerified } from '../../models/model-storage.js';
import { REGISTRY_PREFIX, type TrackingContext } from './context.js';
import { sizeText, TooLarge } from './request.js';

const TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
};

/** Artifacts are user content: never run as a page of this origin (an SVG or HTML artifact could carry script). */
const SAFE_HEADERS = { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox", 'X-Content-Type-Options': 'nosniff' };

function relPathOf(c: Context, prefix: string): string {
  let rel: string;
  try {
    rel = decodeURIComponent(c.req.path.slice(prefix.length));
  } catch {
    throw invalid(`artifact path ${JSON.stringify(c.req.path)} is not valid URL encoding`);
  }
  return rel.replace(/^\/+/, '');
}

async function writeUpload(c: Context, file: string, maxBytes: number): Promise<void> {
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw new TooLarge(`the upload is over the server's artifact limit of ${sizeText(maxBytes)}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.upload`;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const source: AsyncIterable<Uint8Array> = incoming && incoming.readableFlowing === null ? incoming : c.req.raw.body ? Readable.fromWeb(c.req.raw.body as never) : Readable.from([]);
  let total = 0;
  async function* counted() {
    for await (const chunk of source) {
      total += chunk.length;
      if (total > maxBytes) throw new TooLarge(`the upload is over the server's artifact limit of ${sizeText(maxBytes)}`);
      yield chunk;
    }
  }
  try {
    await pipeline(counted, fs.createWriteStream(tmp));
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** The artifact proxy (`mlflow-artifacts`): uploads, downloads, listings and deletes under the artifact root. */
export function artifactProxyRoutes(app: Hono, ctx: TrackingContext, opts: { maxUploadBytes: number }): void {
  for (const base of ['/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts']) {
    app.get(base, (c) => {
      const rel = (c.req.query('path') ?? '').replace(/^\/+|\/+$/g, '');
      const dir = safeJoin(ctx.artifactRoot, rel || undefined);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return c.json({});
      const files = fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => !d.name.endsWith('.upload'))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((d) => (d.isDirectory() ? { path: d.name, is_dir: true } : { path: d.name, is_dir: false, file_size: fs.statSync(path.join(dir, d.name)).size }));
      return c.json({ files });
    });
    app.get(`${base}/*`, async (c) => {
      const rel = relPathOf(c, base);
      const reg = new RegExp(`^${REGISTRY_PREFIX}/([^/]+)/(\\d+)/model\\.onnx$`).exec(rel);
      if (reg) {
        const v = await ctx.store.getModelVersion(reg[1], parseVersion(reg[2]));
        return c.body(new Uint8Array(readVerified(v.storage_location, v.sha256)), 200, { 'Content-Type': 'application/octet-stream', ...SAFE_HEADERS });
      }
      const file = safeJoin(ctx.artifactRoot, rel);
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw notFound(`artifact ${JSON.stringify(rel)} does not exist`);
      const stream = Readable.toWeb(fs.createReadStream(file)) as ReadableStream;
      return c.body(stream, 200, {
        'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': String(fs.statSync(file).size),
        ...SAFE_HEADERS,
      });
    });
    app.put(`${base}/*`, async (c) => {
      const rel = relPathOf(c, base);
      if (!rel || rel.endsWith('/')) throw invalid('an upload needs a file path after /artifacts/');
      if (rel.split('/')[0] === REGISTRY_PREFIX) throw new MlxError('INVALID_PARAMETER_VALUE', `${REGISTRY_PREFIX}/ is read-only: register models with model-versions/create`);
      await writeUpload(c, safeJoin(ctx.artifactRoot, rel), opts.maxUploadBytes);
      return c.json({});
    });
    app.delete(`${base}/*`, (c) => {
      const rel = relPathOf(c, base);
      if (!rel || rel.split('/')[0] === REGISTRY_PREFIX) throw invalid(`artifact ${JSON.stringify(rel)} cannot be deleted`);
      const target = safeJoin(ctx.artifactRoot, rel);
      if (!fs.existsSync(target)) throw notFound(`artifact ${JSON.stringify(rel)} does not exist`);
      fs.rmSync(target, { recursive: true, force: true });
      return c.json({});
    });
  }
}
