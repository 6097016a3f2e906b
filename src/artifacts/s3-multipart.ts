// A large file to S3 as a multipart upload that survives the process: parts go up N at once, each
// acknowledged part is recorded in a state file under the user's cache (s3-upload-state.ts), and
// a later upload of the same bytes to the same key lists the parts S3 holds, keeps those whose
// ETag is the MD5 of the local part, sends only the rest and completes. The object appears only at
// completion; an upload that fails (rather than being killed) is aborted, so S3 keeps no parts.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { MlxError } from '../core/errors.js';
import {
  endpointId,
  ownerAlive,
  readState,
  removeState,
  staleStates,
  statePath,
  uploadStateDir,
  writeState,
  type UploadPartRecord,
  type UploadState,
} from './s3-upload-state.js';

/** Parts of one file in flight at once: enough to fill a link, few enough to bound memory (N × part size). */
const PARALLEL_PARTS = 4;
const MIB = 1024 * 1024;
/** mlx's smallest part (S3's is 5 MiB), and S3's most parts in one upload. */
const MIN_PART = 8 * MIB;
const MAX_PARTS = 10_000;
/** S3's largest part. */
const MAX_PART_MB = 5 * 1024;

/**
 * Part size for a file: at least 8 MiB (MLX_S3_PART_MB overrides it, for tests and tuning), and
 * large enough that the file fits in 10,000 parts.
 */
export function partSize(bytes: number, env: NodeJS.ProcessEnv = process.env): number {
  let min = MIN_PART;
  const text = env.MLX_S3_PART_MB;
  if (text !== undefined && text !== '') {
    const mb = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
    if (!(mb >= 1 && mb <= MAX_PART_MB))
      throw new MlxError(
        'INVALID_PARAMETER_VALUE',
        `MLX_S3_PART_MB ${JSON.stringify(text)} must be a whole number of MiB from 1 to ${MAX_PART_MB} (S3 itself refuses parts under 5); unset it for the default of 8`,
      );
    min = mb * MIB;
  }
  return Math.max(min, Math.ceil(bytes / MAX_PARTS / MIB) * MIB);
}

export interface MultipartTarget {
  client: S3Client;
  /** The endpoint URL (undefined: AWS) and region, to tell uploads to different servers apart. */
  endpoint: string | undefined;
  region: string | undefined;
  bucket: string;
  key: string;
  metadata: Record<string, string>;
}

export interface LocalFile {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** What an upload did: parts sent now and parts S3 already held from an earlier, interrupted run. */
export interface MultipartResult {
  uploadId: string;
  partsSent: number;
  partsReused: number;
  bytesSent: number;
}

const errName = (err: unknown) => (err as { Code?: string; name?: string }).Code ?? (err as { name?: string }).name ?? '';
const status = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
/** The upload is gone from S3 (completed, aborted, or cleaned by a lifecycle rule). */
const isGone = (err: unknown) => errName(err) === 'NoSuchUpload' || (status(err) === 404 && errName(err) !== 'NoSuchBucket');
/** The server has no ListParts (s3rver answers 405 MethodNotAllowed; others NotImplemented). */
const cannotList = (err: unknown) => ['NotImplemented', 'MethodNotAllowed'].includes(errName(err)) || status(err) === 405 || status(err) === 501;

async function abort(t: MultipartTarget, uploadId: string): Promise<void> {
  await t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId })).catch(() => undefined);
}

/** Every part S3 holds for the upload (pages of 1,000); null when the server cannot list parts. */
async function listParts(t: MultipartTarget, uploadId: string): Promise<Map<number, UploadPartRecord> | null> {
  const parts = new Map<number, UploadPartRecord>();
  let marker: string | undefined;
  do {
    let page;
    try {
      page = await t.client.send(new ListPartsCommand({ Bucket: t.bucket, Key: t.key, UploadId: uploadId, PartNumberMarker: marker }));
    } catch (err) {
      if (cannotList(err)) return null;
      throw err;
    }
    for (const p of page.Parts ?? []) if (p.PartNumber && p.ETag) parts.set(p.PartNumber, { number: p.PartNumber, etag: p.ETag, size: Number(p.Size ?? 0) });
    marker = page.IsTruncated ? String(page.NextPartNumberMarker ?? '') || undefined : undefined;
  } while (marker);
  return parts;
}

/** Aborts uploads recorded more than a week ago on this endpoint (best effort), and forgets them. */
async function abortStale(t: MultipartTarget, dir: string, endpoint: string): Promise<void> {
  for (const { file, state } of staleStates(dir)) {
    if (state && state.endpoint !== endpoint) continue;
    if (state) await t.client.send(new AbortMultipartUploadCommand({ Bucket: state.bucket, Key: state.key, UploadId: state.uploadId })).catch(() => undefined);
    removeState(file);
  }
}

/** Reads part n (1-based) of the file. */
async function readPart(fh: fs.promises.FileHandle, n: number, size: number, total: number): Promise<Buffer> {
  const start = (n - 1) * size;
  const len = Math.min(size, total - start);
  const buf = Buffer.allocUnsafe(len);
  let off = 0;
  while (off < len) {
    const { bytesRead } = await fh.read(buf, off, len - off, start + off);
    if (bytesRead === 0) throw new MlxError('INTERNAL_ERROR', 'the file got shorter while it was uploaded; upload it again once it is written');
    off += bytesRead;
  }
  return buf;
}

/**
 * Parts an earlier run left that can stay: S3's list (or, when the server cannot list, what this
 * machine recorded), each kept only when its size is right and its ETag is the local part's MD5.
 */
async function reusable(t: MultipartTarget, s: UploadState, fh: fs.promises.FileHandle, count: number): Promise<Map<number, UploadPartRecord>> {
  const held = (await listParts(t, s.uploadId)) ?? new Map(s.parts.map((p) => [p.number, p]));
  const kept = new Map<number, UploadPartRecord>();
  for (const p of held.values()) {
    if (p.number < 1 || p.number > count) continue;
    const expected = Math.min(s.partSize, s.file.size - (p.number - 1) * s.partSize);
    if (p.size !== expected) continue;
    const md5 = createHash('md5')
      .update(await readPart(fh, p.number, s.partSize, s.file.size))
      .digest('hex');
    if (p.etag.replace(/"/g, '') === md5) kept.set(p.number, p);
  }
  return kept;
}

/**
 * Uploads file to t.key as a multipart upload, resuming one an earlier process left for the same
 * bytes and key. Throws the SDK's error as it came (the caller words it); on failure the upload
 * is aborted.
 */
export async function multipartUpload(t: MultipartTarget, file: LocalFile, env: NodeJS.ProcessEnv = process.env): Promise<MultipartResult> {
  const size = partSize(file.size, env);
  const count = Math.ceil(file.size / size);
  const dir = uploadStateDir(env);
  const endpoint = endpointId(t.endpoint, t.region);
  const stateFile = statePath(dir, endpoint, t.bucket, t.key);
  await abortStale(t, dir, endpoint);
  const fh = await fs.promises.open(file.path, 'r');
  try {
    for (let attempt = 0; ; attempt++) {
      let state = readState(stateFile);
      // Another live process is uploading to the same key: leave its upload alone, and do not record this one.
      const record = !(state && ownerAlive(state));
      let parts = new Map<number, UploadPartRecord>();
      if (state && record) {
        const same = state.bucket === t.bucket && state.key === t.key && state.file.size === file.size && state.file.sha256 === file.sha256;
        if (same && state.partSize === size) {
          try {
            parts = await reusable(t, state, fh, count);
          } catch (err) {
            if (!isGone(err)) throw err;
            state = null; // Aborted server-side (or by a lifecycle rule): start over.
          }
        } else {
          // The file changed (or the part size did): its old parts are of no use.
          await abort(t, state.uploadId);
          state = null;
        }
      } else state = null;
      if (!state) {
        if (record) removeState(stateFile);
        const created = await t.client.send(new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, Metadata: t.metadata }));
        state = {
          version: 1,
          endpoint,
          bucket: t.bucket,
          key: t.key,
          uploadId: created.UploadId!,
          partSize: size,
          file: { path: file.path, size: file.size, mtimeMs: file.mtimeMs, sha256: file.sha256 },
          parts: [],
          pid: process.pid,
          host: os.hostname(),
        };
      } else state = { ...state, parts: [...parts.values()], pid: process.pid, host: os.hostname() };
      if (record) writeState(stateFile, state);
      try {
        const result = await sendParts(t, state, fh, parts, count, record ? stateFile : null);
        if (record) removeState(stateFile);
        return result;
      } catch (err) {
        // Gone midway from a resumed upload: once more from the start.
        if (isGone(err) && attempt === 0 && parts.size > 0) {
          if (record) removeState(stateFile);
          continue;
        }
        await abort(t, state.uploadId);
        if (record) removeState(stateFile);
        throw err;
      }
    }
  } finally {
    await fh.close();
  }
}

/** Sends the parts not yet held, N at once, recording each as S3 acknowledges it; then completes. */
async function sendParts(
  t: MultipartTarget,
  state: UploadState,
  fh: fs.promises.FileHandle,
  held: Map<number, UploadPartRecord>,
  count: number,
  stateFile: string | null,
): Promise<MultipartResult> {
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !held.has(n));
  const done = new Map(held);
  let next = 0;
  let bytesSent = 0;
  let failed = false;
  const worker = async () => {
    try {
      while (next < missing.length && !failed) {
        const n = missing[next++];
        const body = await readPart(fh, n, state.partSize, state.file.size);
        const res = await t.client.send(
          new UploadPartCommand({ Bucket: t.bucket, Key: t.key, UploadId: state.uploadId, PartNumber: n, Body: body, ContentLength: body.length }),
        );
        bytesSent += body.length;
        done.set(n, { number: n, etag: res.ETag ?? '', size: body.length });
        if (stateFile && !failed) writeState(stateFile, { ...state, parts: [...done.values()] });
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  // Every worker settles before the caller aborts: none records a part after the state is removed.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(PARALLEL_PARTS, missing.length) }, worker));
  const rejected = settled.find((r) => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  const parts = [...done.values()].sort((a, b) => a.number - b.number).map((p) => ({ PartNumber: p.number, ETag: p.etag }));
  await t.client.send(new CompleteMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: state.uploadId, MultipartUpload: { Parts: parts } }));
  return { uploadId: state.uploadId, partsSent: missing.length, partsReused: held.size, bytesSent };
}
