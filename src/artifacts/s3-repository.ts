import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MlxError } from '../core/errors.js';
import { parseS3Uri } from '../core/uri.js';
import { checkArtifactPath } from './artifact-path.js';
import { logFiles, uploadingWriter } from './local-files.js';
import { downloadFile } from './resumable-download.js';
import type { ArtifactEntry, ArtifactRepository, ArtifactWriter } from './repository.js';
import { s3Client, s3EndpointFromEnv, s3Error, type S3Endpoint } from './s3-client.js';
import { multipartUpload, partSize } from './s3-multipart.js';

export { partSize };

/** The object metadata key holding the sha256 of the bytes mlx uploaded (x-amz-meta-mlx-sha256). */
export const SHA256_METADATA = 'mlx-sha256';
/** Files uploaded at once when logging a folder. */
const PARALLEL_FILES = 4;

const join = (...parts: (string | undefined)[]) => parts.filter((p) => p).join('/');

/** The sha256 of a local file, streamed. */
async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
}

/** What HEAD says about an object mlx can check a download against. */
export interface S3ObjectInfo {
  size: number;
  etag: string;
  /** The sha256 mlx recorded when it uploaded the object; null for objects other tools wrote. */
  sha256: string | null;
  modified?: Date;
}

/**
 * Artifacts under s3://BUCKET/PREFIX on AWS S3 or any S3-compatible server (MinIO, Ceph RGW, R2).
 * Files go up whole or not at all: small ones in one PUT, large ones as a multipart upload of
 * parallel parts that S3 makes visible only when it completes (and that is aborted on failure).
 * Every upload records the file's sha256 in the object's metadata and every download is checked
 * against it (or, for objects other tools wrote, against the size and a plain MD5 ETag).
 */
export class S3ArtifactRepository implements ArtifactRepository {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;

  constructor(
    readonly uri: string,
    readonly endpoint: S3Endpoint = s3EndpointFromEnv(),
    client?: S3Client,
  ) {
    const parsed = parseS3Uri(uri);
    if (!parsed) throw new MlxError('INVALID_PARAMETER_VALUE', `${JSON.stringify(uri)} is not an s3:// URI`);
    this.bucket = parsed.bucket;
    this.prefix = parsed.prefix;
    this.client = client ?? s3Client(endpoint);
  }

  private key(rel: string | undefined): string {
    return join(this.prefix, checkArtifactPath(rel));
  }

  private fail(err: unknown, rel?: string): MlxError {
    return s3Error(err, `s3://${join(this.bucket, this.prefix)}`, this.endpoint, rel === undefined ? undefined : `artifact ${JSON.stringify(rel)}`);
  }

  /**
   * Uploads one local file to rel, whole or not at all, with its sha256 in the object's metadata:
   * a file smaller than one part in one PUT, a larger one as a multipart upload that a later run
   * resumes if this process is killed (s3-multipart.ts). known.sha256: the file's, computed by a
   * caller that wrote it (the artifact proxy hashes an upload as it arrives), saving a read.
   */
  async upload(file: string, rel: string, known?: { sha256: string }): Promise<void> {
    const stat = fs.statSync(file);
    const sha256 = known?.sha256 ?? (await fileSha256(file));
    const key = this.key(rel);
    const metadata = { [SHA256_METADATA]: sha256 };
    try {
      if (stat.size < partSize(stat.size)) {
        // Read whole (it is smaller than one part): a buffer the SDK can retry, where a stream it cannot.
        const body = await fs.promises.readFile(file);
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, Metadata: metadata }));
        return;
      }
      const target = { client: this.client, endpoint: this.endpoint.endpoint, region: this.endpoint.region, bucket: this.bucket, key, metadata };
      await multipartUpload(target, { path: path.resolve(file), size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
    } catch (err) {
      throw this.fail(err, rel);
    }
  }

  /** Deletes one object (best effort: used to take back a partial folder upload). */
  async remove(rel: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(rel) })).catch(() => undefined);
  }

  async log(source: string, artifactPath?: string): Promise<string[]> {
    return logFiles(
      source,
      artifactPath,
      PARALLEL_FILES,
      (local, rel) => this.upload(local, rel),
      (rel) => this.remove(rel),
    );
  }

  /** Every object key under a key prefix (one page of 1,000 at a time), with its size. */
  private async *objects(keyPrefix: string, delimiter?: string): AsyncGenerator<{ key: string; size: number } | { dir: string }> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: keyPrefix, Delimiter: delimiter, ContinuationToken: token }));
      } catch (err) {
        throw this.fail(err);
      }
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) yield { dir: p.Prefix };
      for (const o of page.Contents ?? []) if (o.Key) yield { key: o.Key, size: Number(o.Size ?? 0) };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async list(rel?: string, recursive = false): Promise<ArtifactEntry[]> {
    const base = checkArtifactPath(rel);
    const root = this.prefix ? `${this.prefix}/` : '';
    const keyPrefix = base ? `${root}${base}/` : root;
    // Folders are key prefixes: build the tree from the keys, then list it as the local repository walks a folder.
    type Node = { size?: number; children?: Map<string, Node> };
    const top: Node = { children: new Map() };
    const place = (relKey: string, size: number | undefined) => {
      const names = relKey.split('/').filter((n) => n !== '');
      let node = top;
      names.forEach((n, i) => {
        const last = i === names.length - 1;
        let child = node.children!.get(n);
        if (!child) node.children!.set(n, (child = last && size !== undefined ? { size } : { children: new Map() }));
        node = child;
      });
    };
    for await (const o of this.objects(keyPrefix, recursive ? undefined : '/')) {
      if ('dir' in o) place(o.dir.slice(keyPrefix.length), undefined);
      else if (!o.key.endsWith('/')) place(o.key.slice(keyPrefix.length), o.size);
    }
    const out: ArtifactEntry[] = [];
    const walk = (node: Node, at: string | undefined) => {
      for (const name of [...node.children!.keys()].sort((a, b) => a.localeCompare(b))) {
        const child = node.children!.get(name)!;
        const p = join(at, name);
        if (child.children) {
          out.push({ path: p, is_dir: true });
          if (recursive) walk(child, p);
        } else out.push({ path: p, is_dir: false, file_size: child.size });
      }
    };
    walk(top, base);
    if (out.length === 0 && base) {
      // Not a folder: a file lists as itself, as in the local repository.
      const info = await this.info(base).catch((err: MlxError) => (err.code === 'RESOURCE_DOES_NOT_EXIST' ? null : Promise.reject(err)));
      if (info) return [{ path: base, is_dir: false, file_size: info.size }];
    }
    return out;
  }

  /** The object's size, ETag and recorded sha256. */
  async info(rel: string): Promise<S3ObjectInfo> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(rel) }));
      return { size: Number(head.ContentLength ?? 0), etag: head.ETag ?? '', sha256: head.Metadata?.[SHA256_METADATA] ?? null, modified: head.LastModified };
    } catch (err) {
      throw this.fail(err, rel);
    }
  }

  /** The sha256 mlx recorded when it uploaded the object (null for objects other tools wrote). */
  async sha256(rel: string): Promise<string | null> {
    return (await this.info(rel)).sha256;
  }

  /** Bytes start..end (inclusive) of an artifact, as S3's ranged GET returns them. */
  async readRange(rel: string, start: number, end: number): Promise<Buffer> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel), Range: `bytes=${start}-${end}` }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      throw this.fail(err, rel);
    }
  }

  /**
   * Opens one object for streaming (the tracking server's proxy sends it on as it arrives). The
   * bytes of a whole object are checked against the recorded sha256 as they pass: a mismatch ends
   * the stream with an error, so a client never receives a damaged object as complete. A byte range
   * (start and end included) cannot be checked; `ifMatch` (an ETag from info()) makes S3 refuse an
   * object replaced since.
   */
  async openRead(rel: string, opts: { range?: { start: number; end: number }; ifMatch?: string } = {}): Promise<{ body: Readable; size: number }> {
    let res;
    try {
      const range = opts.range ? `bytes=${opts.range.start}-${opts.range.end}` : undefined;
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel), Range: range, IfMatch: opts.ifMatch }));
    } catch (err) {
      throw this.fail(err, rel);
    }
    if (opts.range) return { body: res.Body as Readable, size: Number(res.ContentLength ?? 0) };
    const expected = res.Metadata?.[SHA256_METADATA] ?? null;
    const size = Number(res.ContentLength ?? 0);
    const sha = createHash('sha256');
    const uri = this.uri;
    const check = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sha.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        const digest = sha.digest('hex');
        cb(
          expected !== null && digest !== expected
            ? new MlxError('INTERNAL_ERROR', `artifact ${JSON.stringify(rel)} in ${uri} is damaged (sha256 ${digest}, recorded ${expected})`)
            : null,
        );
      },
    });
    const body = res.Body as Readable;
    body.once('error', (err) => check.destroy(err));
    return { body: body.pipe(check), size };
  }

  /** Deletes a file, or every object under a folder; false when there was neither. */
  async removeTree(rel: string): Promise<boolean> {
    const listed = await this.list(rel, true);
    const files = listed.filter((e) => !e.is_dir).map((e) => e.path);
    for (let i = 0; i < files.length; i += 16) {
      const batch = files.slice(i, i + 16);
      try {
        await Promise.all(batch.map((f) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(f) }))));
      } catch (err) {
        throw this.fail(err, rel);
      }
    }
    return files.length > 0;
  }

  /** Writes to a temporary file; close() uploads it (and keeps the file, naming it, if the upload fails). */
  openWriter(rel: string): ArtifactWriter {
    return uploadingWriter(rel, (local, target) => this.upload(local, target));
  }

  /**
   * Streams one object to dest (resumable-download.ts): a connection cut midway resumes with a
   * ranged GET of the same version (If-Match), and the bytes are checked against the recorded
   * sha256, else the size and a single-part ETag's MD5.
   */
  async download(rel: string, dest: string): Promise<void> {
    const info = await this.info(checkArtifactPath(rel) ?? '');
    const etag = info.etag.replace(/"/g, '');
    await downloadFile(
      {
        open: async (offset) => {
          const range = offset > 0 ? `bytes=${offset}-` : undefined;
          const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel), IfMatch: info.etag || undefined, Range: range }));
          return { body: res.Body as Readable, start: offset };
        },
        // A multipart ETag ("…-N") is not the MD5 of the bytes; a plain one is.
        expected: () => ({ size: info.size, sha256: info.sha256, md5: /^[0-9a-f]{32}$/.test(etag) ? etag : null }),
        // An HTTP answer (412: the object changed) is final; a connection cut midway resumes.
        retryable: (err) => !(err as { $metadata?: unknown }).$metadata,
        fail: (err) => this.fail(err, rel),
        what: `artifact ${JSON.stringify(rel)} from ${this.uri}`,
      },
      dest,
    );
  }

  localPath(): null {
    return null;
  }
}
