import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { MlxError, notFound } from '../core/errors.js';
import type { RestClient } from '../store/http-client.js';
import { checkArtifactPath } from './artifact-path.js';
import { logFiles, uploadingWriter } from './local-files.js';
import { downloadFile } from './resumable-download.js';
import type { ArtifactEntry, ArtifactRepository, ArtifactWriter } from './repository.js';

const PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts';
/** Uploads in flight at once when logging a folder. */
const PARALLEL_UPLOADS = 4;

const join = (...parts: (string | undefined)[]) => parts.filter((p) => p).join('/');
const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/**
 * A run's artifacts behind a tracking server's artifact proxy (MLflow's mlflow-artifacts API):
 * PUT uploads, GET downloads, GET ?path= lists. root is the proxy path of the run's artifacts,
 * e.g. "1/<run id>/artifacts".
 */
export class HttpArtifactRepository implements ArtifactRepository {
  constructor(
    readonly uri: string,
    private readonly client: RestClient,
    private readonly root: string,
  ) {}

  private fileUrl(rel: string): string {
    return `${PROXY_PATH}/${encodePath(join(this.root, rel))}`;
  }

  /** Uploads one local file to rel. */
  async upload(file: string, rel: string): Promise<void> {
    const body = await fs.openAsBlob(file);
    const res = await this.client.fetch('PUT', this.fileUrl(rel), { headers: { 'content-type': 'application/octet-stream' }, body });
    if (!res.ok) await this.client.fail(res, 'PUT', this.fileUrl(rel));
    await res.arrayBuffer();
  }

  /** Deletes one artifact file (best effort: used to take back a partial upload). */
  async remove(rel: string): Promise<void> {
    const res = await this.client.fetch('DELETE', this.fileUrl(rel)).catch(() => null);
    await res?.arrayBuffer().catch(() => undefined);
  }

  async log(source: string, artifactPath?: string): Promise<string[]> {
    return logFiles(
      source,
      artifactPath,
      PARALLEL_UPLOADS,
      (local, rel) => this.upload(local, rel),
      (rel) => this.remove(rel),
    );
  }

  private async listDir(rel: string | undefined): Promise<ArtifactEntry[]> {
    const query = `?path=${encodeURIComponent(join(this.root, rel))}`;
    const res = await this.client.fetch('GET', `${PROXY_PATH}${query}`);
    if (res.status === 404) {
      await res.arrayBuffer();
      return [];
    }
    if (!res.ok) await this.client.fail(res, 'GET', `${PROXY_PATH}${query}`);
    const body = (await res.json()) as { files?: { path: string; is_dir?: boolean; file_size?: number | string }[] };
    return (body.files ?? [])
      .map((f) => {
        const p = join(rel, path.posix.basename(f.path));
        return f.is_dir ? { path: p, is_dir: true } : { path: p, is_dir: false, file_size: Number(f.file_size ?? 0) };
      })
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  async list(rel?: string, recursive = false): Promise<ArtifactEntry[]> {
    const base = checkArtifactPath(rel);
    const entries = await this.listDir(base);
    if (entries.length === 0 && base) {
      // The proxy lists a file as nothing: find it in its folder, as the local repository lists a file as itself.
      const parent = path.posix.dirname(base);
      const hit = (await this.listDir(parent === '.' ? undefined : parent)).find((e) => e.path === base && !e.is_dir);
      return hit ? [hit] : [];
    }
    const out: ArtifactEntry[] = [];
    for (const e of entries) {
      out.push(e);
      if (recursive && e.is_dir) out.push(...(await this.list(e.path, true)));
    }
    return out;
  }

  /** Writes to a temporary file; close() uploads it (and keeps the file, naming it, if the upload fails). */
  openWriter(rel: string): ArtifactWriter {
    return uploadingWriter(rel, (local, target) => this.upload(local, target));
  }

  /**
   * Streams one artifact to dest (resumable-download.ts): a connection cut midway resumes with a
   * ranged GET when the server named a version (ETag or Last-Modified, sent back as If-Range, so
   * a changed file comes whole again), and the byte count is checked against Content-Length.
   */
  async download(rel: string, dest: string): Promise<void> {
    const url = this.fileUrl(checkArtifactPath(rel) ?? '');
    let size: number | undefined;
    let version: string | null = null;
    await downloadFile(
      {
        open: async (offset) => {
          const headers: Record<string, string> = {};
          if (offset > 0 && version) Object.assign(headers, { range: `bytes=${offset}-`, 'if-range': version });
          const res = await this.client.fetch('GET', url, { headers });
          if (res.status === 404) {
            await res.arrayBuffer();
            throw notFound(`artifact ${JSON.stringify(rel)} does not exist at ${this.uri}`);
          }
          if (!res.ok || !res.body) await this.client.fail(res, 'GET', url);
          const start = res.status === 206 ? Number(/^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN) : 0;
          if (!Number.isSafeInteger(start)) {
            await res.body!.cancel();
            throw new MlxError('INTERNAL_ERROR', `${this.uri} answered a ranged download of ${JSON.stringify(rel)} without a usable Content-Range`);
          }
          if (start === 0) {
            const length = res.headers.get('content-length');
            size = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
            version = res.headers.get('etag') ?? res.headers.get('last-modified');
          }
          return { body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), start };
        },
        expected: () => ({ size }),
        // An answer of the server (MlxError) is final; a connection cut midway resumes.
        retryable: (err) => !(err instanceof MlxError),
        fail: (err) => new MlxError('INTERNAL_ERROR', `downloading ${JSON.stringify(rel)} from ${this.uri} failed: ${(err as Error).message}`, { cause: err }),
        what: `artifact ${JSON.stringify(rel)} from ${this.uri}`,
      },
      dest,
    );
  }

  localPath(): null {
    return null;
  }
}
