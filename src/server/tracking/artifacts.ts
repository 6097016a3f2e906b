import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context, Hono } from 'hono';
import { writeDenied } from '../../core/write-access.js';
import { invalid, MlxError, notFound } from '../../core/errors.js';
import { parseVersion } from '../../core/validation.js';
import { parseArtifactPath, reservedName } from '../../artifacts/artifact-path.js';
import { modelFiles } from '../../models/open-model-files.js';
import type { S3ArtifactRepository } from '../../artifacts/s3-repository.js';
import { artifactTree, REGISTRY_PREFIX, RESERVED_NAMES, UPLOAD_TMP, type TrackingContext } from './context.js';
import { sizeText } from './request.js';
import { TooLarge } from '../http-errors.js';
import { answerGet, fileEtag, rangeHeaders, validatorHeaders, type FileValidators } from '../conditional-get.js';

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

/** Temporary uploads older than this are left over from a server that stopped mid-upload. */
const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

/** The path after the route, URL-decoded exactly once (Hono leaves %2F and %25 encoded in c.req.path). */
function relPathOf(c: Context, prefix: string): string {
  try {
    return decodeURIComponent(c.req.path.slice(prefix.length));
  } catch (err) {
    throw invalid(`artifact path ${JSON.stringify(c.req.path.slice(prefix.length))} is not valid URL encoding`, err);
  }
}

/** Refuses paths under the reserved top-level folders, on what they name in any case or spelling. */
function refuseReserved(names: string[], writing: boolean): void {
  const r = reservedName(names[0], RESERVED_NAMES);
  if (r === REGISTRY_PREFIX)
    throw invalid(
      writing
        ? `${REGISTRY_PREFIX}/ is read-only: register models with model-versions/create`
        : `artifact ${JSON.stringify(names.join('/'))}: under ${REGISTRY_PREFIX}/ only NAME/VERSION/model.onnx can be downloaded (model-versions/get-download-uri gives it)`,
    );
  if (r === UPLOAD_TMP) throw invalid(`${UPLOAD_TMP}/ is reserved for the server's uploads in progress; use another folder name`);
}

/** The upload folder, made if missing; a link there (planted by someone with access to the folder) is refused. */
function uploadFolder(root: string): string {
  const dir = path.join(root, UPLOAD_TMP);
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (!fs.lstatSync(dir).isDirectory())
    throw new MlxError('INVALID_STATE', `${UPLOAD_TMP} in the artifact root is not a folder (a link?); the server writes uploads in progress there: remove it`);
  return dir;
}

/** Makes the temporary upload folder and removes uploads a stopped server left there (replicas share it: only old ones). */
export function prepareUploadFolder(artifactRoot: string): void {
  let dir: string;
  try {
    dir = uploadFolder(artifactRoot);
  } catch (err) {
    // A store the server may only read: it serves reads, and refuses each upload (403) when it comes.
    if (writeDenied(err, 'the artifact store')) return;
    throw err;
  }
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      if (Date.now() - fs.lstatSync(file).mtimeMs > STALE_UPLOAD_MS) fs.rmSync(file, { force: true, recursive: true });
    } catch {
      // gone meanwhile (another replica swept it)
    }
  }
}

/** Streams the request body into a new file of the upload folder, within maxBytes; nothing is left behind on failure. */
async function receive(c: Context, folder: string, maxBytes: number): Promise<{ tmp: string; sha256: string }> {
  const tooLarge = () => new TooLarge(`the upload is over the server's artifact limit of ${sizeText(maxBytes)}`);
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const tmp = path.join(folder, `${randomUUID()}.part`);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // Not destroyed when reading stops early (too large): the socket stays up for the 413 answer.
  const source: AsyncIterable<Uint8Array> =
    incoming && incoming.readableFlowing === null
      ? incoming.iterator({ destroyOnReturn: false })
      : c.req.raw.body
        ? Readable.fromWeb(c.req.raw.body as never)
        : Readable.from([]);
  let total = 0;
  // Hashed as it arrives: an upload bound for S3 needs its sha256, and reading a gigabyte again costs.
  const hash = createHash('sha256');
  async function* counted() {
    for await (const chunk of source) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge();
      hash.update(chunk);
      yield chunk;
    }
  }
  try {
    await pipeline(counted, fs.createWriteStream(tmp, { flags: 'wx' }));
    return { tmp, sha256: hash.digest('hex') };
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** A folder of the S3 destination as the proxy lists it (MLflow lists a file, or nothing, as {}). */
async function listObjects(repo: S3ArtifactRepository, names: string[]): Promise<object> {
  const rel = names.join('/');
  const entries = await repo.list(rel || undefined);
  if (entries.length === 0 || (entries.length === 1 && entries[0].path === rel && !entries[0].is_dir)) return {};
  const name = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  return { files: entries.map((e) => (e.is_dir ? { path: name(e.path), is_dir: true } : { path: name(e.path), is_dir: false, file_size: e.file_size })) };
}

/**
 * An upload to the S3 destination: received whole into the local upload folder (within the limit,
 * nothing kept on failure), then sent to the bucket as parallel parts that appear as one object
 * only when complete.
 */
async function uploadObject(c: Context, ctx: TrackingContext, repo: S3ArtifactRepository, names: string[], maxBytes: number): Promise<object> {
  let folder: string;
  try {
    folder = uploadFolder(ctx.artifactRoot);
  } catch (err) {
    throw writeDenied(err, 'the upload folder') ?? err;
  }
  const { tmp, sha256 } = await receive(c, folder, maxBytes);
  try {
    await repo.upload(tmp, names.join('/'), { sha256 });
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return {};
}

type ByteRange = { start: number; end: number };

/**
 * Answers a GET or HEAD of a download of `size` bytes: whole, one byte range, 304 for a current copy
 * or 416 for a range past its end (conditional-get.ts), with its validators. `open` gives the body
 * (all of it, or the range) and is called only when one is sent; `release` is called otherwise.
 */
async function sendDownload(
  c: Context,
  download: { size: number; type: string; validators: FileValidators; open: (range?: ByteRange) => Promise<Readable> | Readable; release?: () => void },
): Promise<Response> {
  const { size, validators } = download;
  const answer = answerGet(
    {
      ifNoneMatch: c.req.header('if-none-match'),
      ifModifiedSince: c.req.header('if-modified-since'),
      range: c.req.header('range'),
      ifRange: c.req.header('if-range'),
    },
    size,
    validators,
  );
  const headers: Record<string, string> = { ...validatorHeaders(validators), ...SAFE_HEADERS };
  if (answer.status === 304 || answer.status === 416 || c.req.method === 'HEAD') {
    download.release?.();
    if (answer.status === 304) return c.body(null, 304, headers);
    if (answer.status === 416) return c.body(null, 416, { ...headers, ...rangeHeaders(answer, size) });
  }
  const content = { 'Content-Type': download.type, 'Content-Length': String(size), ...headers, ...rangeHeaders(answer, size) };
  if (c.req.method === 'HEAD') return c.body(null, answer.status, content);
  const body = await download.open(answer.status === 206 ? { start: answer.start, end: answer.end } : undefined);
  return c.body(Readable.toWeb(body) as ReadableStream, answer.status, content);
}

/** A download of a file opened as fd: its validators from the open file, read by position. */
function fileDownload(fd: number, type: string, etag: (stat: fs.Stats) => string) {
  const stat = fs.fstatSync(fd);
  return {
    size: stat.size,
    type,
    validators: { etag: etag(stat), modified: stat.mtime },
    open: (range?: ByteRange) => fs.createReadStream('', { fd, ...range }),
    release: () => fs.closeSync(fd),
  };
}

/** The artifact proxy (`mlflow-artifacts`): uploads, downloads, listings and deletes under the artifact root. */
export function artifactProxyRoutes(app: Hono, ctx: TrackingContext, opts: { maxUploadBytes: number }): void {
  const tree = artifactTree(ctx);
  for (const base of ['/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts']) {
    app.get(base, async (c) => {
      const names = parseArtifactPath(c.req.query('path') ?? '', { trailingSlash: true });
      // Listed as nothing, as a file is: MLflow clients list a path before downloading it, and
      // get-download-uri hands out _mlx-registry/NAME/VERSION/model.onnx.
      if (reservedName(names[0], RESERVED_NAMES) === REGISTRY_PREFIX) return c.json({});
      refuseReserved(names, false);
      if (ctx.objectStore) return c.json(await listObjects(ctx.objectStore, names));
      const listed = tree.list(names);
      if (!listed || !('dir' in listed)) return c.json({});
      return c.json({ files: listed.dir.map((e) => (e.is_dir ? { path: e.name, is_dir: true } : { path: e.name, is_dir: false, file_size: e.file_size })) });
    });
    app.get(`${base}/*`, async (c) => {
      const names = parseArtifactPath(relPathOf(c, base));
      if (names.length === 0) throw invalid('a download needs a file path after /artifacts/');
      if (names[0] === REGISTRY_PREFIX && names.length === 4 && names[3] === 'model.onnx' && /^\d+$/.test(names[2])) {
        const v = await ctx.store.getModelVersion(names[1], parseVersion(names[2]));
        if (v.sha256 === '') throw notFound(`version ${v.version} of ${v.name} has no model file in the registry (its source is ${v.source})`);
        // Checked against the version's sha256 before the first byte is sent (an object in a bucket: downloaded into the model cache first).
        const file = await (await modelFiles(ctx.store)).verifiedFile(v);
        // The version's sha256 is the strongest tag there is: the same bytes under every path and server.
        return sendDownload(
          c,
          fileDownload(fs.openSync(file, 'r'), 'application/octet-stream', () => `"${v.sha256}"`),
        );
      }
      refuseReserved(names, false);
      const rel = names.join('/');
      const type = TYPES[path.extname(rel).toLowerCase()] ?? 'application/octet-stream';
      if (ctx.objectStore) {
        const store = ctx.objectStore;
        const info = await store.info(rel);
        // Tagged by the sha256 mlx recorded at upload, else by S3's own ETag; read only if it is still that object.
        const validators = { etag: info.sha256 ? `"${info.sha256}"` : info.etag, modified: info.modified };
        return sendDownload(c, { size: info.size, type, validators, open: async (range) => (await store.openRead(rel, { range, ifMatch: info.etag })).body });
      }
      const file = tree.openFile(names);
      if (!file) throw notFound(`artifact ${JSON.stringify(rel)} does not exist`);
      return sendDownload(c, fileDownload(file.fd, type, fileEtag));
    });
    app.put(`${base}/*`, async (c) => {
      const text = relPathOf(c, base);
      if (text.replace(/^\//, '') === '' || text.endsWith('/'))
        throw invalid(`an upload needs a file path after /artifacts/, not a folder (${JSON.stringify(text)})`);
      const names = parseArtifactPath(text);
      refuseReserved(names, true);
      const shown = `artifact path ${JSON.stringify(names.join('/'))}`;
      if (ctx.objectStore) return c.json(await uploadObject(c, ctx, ctx.objectStore, names, opts.maxUploadBytes));
      // Checked before the body is read, and again (with the folders made) before the rename.
      tree.checkWrite(names, shown);
      let folder: string;
      try {
        folder = uploadFolder(tree.realRoot ?? ctx.artifactRoot);
      } catch (err) {
        throw writeDenied(err, 'the artifact store') ?? err;
      }
      const { tmp } = await receive(c, folder, opts.maxUploadBytes);
      try {
        tree.commitWrite(names, tmp, shown);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
      return c.json({});
    });
    app.delete(`${base}/*`, async (c) => {
      const names = parseArtifactPath(relPathOf(c, base));
      if (names.length === 0) throw invalid('the artifact root itself cannot be deleted; name a file or folder under it');
      refuseReserved(names, true);
      if (ctx.objectStore) {
        if (!(await ctx.objectStore.removeTree(names.join('/')))) throw notFound(`artifact ${JSON.stringify(names.join('/'))} does not exist`);
        return c.json({});
      }
      try {
        tree.remove(names, `artifact ${JSON.stringify(names.join('/'))}`);
      } catch (err) {
        throw writeDenied(err, 'the artifact store') ?? err;
      }
      return c.json({});
    });
  }
}
