import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlxError } from './errors.js';

// What the kernel says when a write is not allowed: no permission, or a read-only mount.
const DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

function who(): string {
  try {
    return `user ${os.userInfo().username}`;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

function reason(code: string | undefined, p: string): string | null {
  if (code === 'EROFS') return `${p} is on a read-only file system`;
  if (code === 'EACCES' || code === 'EPERM') return `${who()} has no write permission on ${p}`;
  return null;
}

/**
 * Why one of these paths cannot be written (the first that cannot, in order), or null when all
 * can or do not exist. access(2) answers for the real user, as the kernel will on the write;
 * root passes it except on a read-only file system.
 */
export function whyNotWritable(paths: string[]): string | null {
  for (const p of paths) {
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch (err) {
      const why = reason((err as NodeJS.ErrnoException).code, p);
      if (why) return why;
    }
  }
  return null;
}

/** The one refusal of a write into a store (or a part of one, `place`) that mlx may only read: names it, why, and what to do. */
export function readOnlyStore(place: string, why: string, cause?: unknown): MlxError {
  return new MlxError(
    'PERMISSION_DENIED',
    `${place} is read-only: ${why}; reading works, but to write ask its owner for write access, or use a store you can write (--tracking-uri, MLX_TRACKING_URI, mlx server --backend-store-uri)`,
    { cause },
  );
}

/** A file system error from writing into `place` (EACCES, EPERM, EROFS) as readOnlyStore's refusal; null for any other error. */
export function writeDenied(err: unknown, place: string): MlxError | null {
  const e = err as NodeJS.ErrnoException | null;
  if (!e || typeof e !== 'object' || err instanceof MlxError || !DENIED.has(e.code ?? '')) return null;
  // mkdir -p reports the whole path; the folder that refused is the deepest one that exists.
  let p = e.path ?? place;
  while (!fs.existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  return readOnlyStore(place, reason(e.code, p)!, err);
}
