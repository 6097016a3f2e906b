// Where a multipart upload in progress is remembered between processes: one small JSON file per
// destination under the user's cache ($XDG_CACHE_HOME/mlx/s3-uploads, else ~/.cache/mlx/s3-uploads),
// written atomically (temporary file + rename) with mode 0600. It holds where the upload goes, its
// UploadId, the part size, what the local file was (size, mtime, sha256) and the parts S3 has
// acknowledged: never a credential (the endpoint is kept without any user:password part).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redactUri } from '../core/uri.js';

/** An upload older than this (no part sent for that long) is aborted when met: nobody is coming back for it. */
export const STALE_UPLOAD_MS = 7 * 24 * 3600 * 1000;

export interface UploadPartRecord {
  number: number;
  etag: string;
  size: number;
}

export interface UploadState {
  version: 1;
  /** The S3 endpoint (credentials removed), or "aws:REGION". */
  endpoint: string;
  bucket: string;
  key: string;
  uploadId: string;
  partSize: number;
  file: { path: string; size: number; mtimeMs: number; sha256: string };
  /** Parts S3 acknowledged, as this machine saw them (used when the server cannot list parts). */
  parts: UploadPartRecord[];
  /** The process writing it: a live one is uploading now, and its upload is not taken over. */
  pid: number;
  host: string;
}

/** The folder of upload states: $XDG_CACHE_HOME/mlx/s3-uploads (an absolute XDG_CACHE_HOME, as the spec says), else ~/.cache/mlx/s3-uploads. */
export function uploadStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cache, 'mlx', 's3-uploads');
}

/** The endpoint as it is recorded: never with a user or password in it. */
export function endpointId(endpoint: string | undefined, region: string | undefined): string {
  return endpoint ? redactUri(endpoint).replace(/\/\/[^/@]*@/, '//') : `aws:${region ?? ''}`;
}

/** The state file of one destination (the name is a hash: keys may hold any character). */
export function statePath(dir: string, endpoint: string, bucket: string, key: string): string {
  const id = createHash('sha256').update(`${endpoint}\n${bucket}\n${key}`).digest('hex').slice(0, 32);
  return path.join(dir, `${id}.json`);
}

/** The recorded upload, or null when there is none or the file is not one mlx wrote (it is then ignored). */
export function readState(file: string): UploadState | null {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as UploadState;
    if (s?.version !== 1 || typeof s.uploadId !== 'string' || !Array.isArray(s.parts) || typeof s.file?.sha256 !== 'string') return null;
    return s;
  } catch {
    return null;
  }
}

/** Writes the state whole (a reader never sees half a file), readable by the user alone. */
export function writeState(file: string, state: UploadState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export function removeState(file: string): void {
  fs.rmSync(file, { force: true });
}

/** True while the process that wrote the state is alive on this machine (it is uploading now). */
export function ownerAlive(s: UploadState): boolean {
  if (s.host !== os.hostname() || s.pid === process.pid) return false;
  try {
    process.kill(s.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Recorded uploads untouched for longer than STALE_UPLOAD_MS, with their files. */
export function staleStates(dir: string, now = Date.now()): { file: string; state: UploadState | null }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: { file: string; state: UploadState | null }[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    try {
      if (now - fs.statSync(file).mtimeMs > STALE_UPLOAD_MS) out.push({ file, state: readState(file) });
    } catch {
      // Removed meanwhile by another process.
    }
  }
  return out;
}
