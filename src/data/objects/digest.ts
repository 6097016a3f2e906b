import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { invalid } from '../../core/errors.js';
import { fileError } from '../../core/file-errors.js';

/** A sha256 digest as 64 lowercase hex characters: the name of an object in the cache. */
export type Digest = string;

const HEX64 = /^[0-9a-f]{64}$/;

/** True for 64 lowercase hex characters. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && HEX64.test(value);
}

/** "sha256:HEX" or "HEX" → HEX; anything else is refused naming where it came from. */
export function parseDigest(value: unknown, label: string): Digest {
  const text = typeof value === 'string' && value.startsWith('sha256:') ? value.slice(7) : value;
  if (!isDigest(text)) throw invalid(`${label} ${JSON.stringify(value)} is not a sha256 digest (64 hex characters, optionally prefixed "sha256:")`);
  return text;
}

/** The stat fields that change when a file's content is rewritten (git's index uses the same). */
export interface FileStamp {
  ino: number;
  size: number;
  mtimeNs: string;
  /** 0o644 or 0o755: only the executable bit is kept, as git does. */
  mode: number;
}

export function stampOf(stat: fs.BigIntStats): FileStamp {
  return { ino: Number(stat.ino), size: Number(stat.size), mtimeNs: String(stat.mtimeNs), mode: Number(stat.mode) & 0o111 ? 0o755 : 0o644 };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.mode === b.mode;
}

// Big files are read in large chunks: sha256 runs at ~1-2 GB/s with SHA-NI, and fewer reads keep up with it.
const CHUNK = 4 * 1024 * 1024;
// Files this small are read whole in one call: most of a folder of small files costs open/read/close.
const SMALL = 1024 * 1024;
const RETRIES = 3;

export interface HashedFile {
  digest: Digest;
  size: number;
  stamp: FileStamp;
}

/**
 * Hashes a file and, when `copyTo` is given, writes the same bytes there in the same pass, so
 * what is stored is exactly what was hashed. A file that changes while it is read (its size,
 * mtime or inode differ after the read) is read again, up to three times, then refused.
 */
export async function hashFile(file: string, label: string, copyTo?: () => string): Promise<HashedFile> {
  for (let attempt = 1; ; attempt++) {
    const before = await statStamp(file, label);
    const target = copyTo?.();
    let digest: Digest;
    try {
      digest = before.size <= SMALL ? await hashSmall(file, target) : await hashLarge(file, target);
    } catch (err) {
      if (target) await fs.promises.rm(target, { force: true });
      throw fileError(err, label);
    }
    const after = await statStamp(file, label);
    if (sameStamp(before, after)) return { digest, size: after.size, stamp: after };
    if (target) await fs.promises.rm(target, { force: true });
    if (attempt >= RETRIES) throw invalid(`${label} changed while it was being hashed (${RETRIES} attempts); stop what is writing it and try again`);
  }
}

async function statStamp(file: string, label: string): Promise<FileStamp> {
  try {
    return stampOf(await fs.promises.stat(file, { bigint: true }));
  } catch (err) {
    throw fileError(err, label);
  }
}

async function hashSmall(file: string, target?: string): Promise<Digest> {
  const bytes = await fs.promises.readFile(file);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (target) await fs.promises.writeFile(target, bytes, { mode: 0o444, flag: 'wx' });
  return digest;
}

async function hashLarge(file: string, target?: string): Promise<Digest> {
  const hash = createHash('sha256');
  const input = await fs.promises.open(file, 'r');
  const output = target ? await fs.promises.open(target, 'wx', 0o444) : undefined;
  try {
    // Two buffers: the next read runs on the thread pool while this chunk is hashed and written.
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let which = 0;
    let pending = input.read(buffers[which], 0, CHUNK, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const chunk = buffers[which].subarray(0, bytesRead);
      which ^= 1;
      pending = input.read(buffers[which], 0, CHUNK, null);
      hash.update(chunk);
      if (output) await output.write(chunk, 0, chunk.length);
    }
  } finally {
    await input.close();
    await output?.close();
  }
  return hash.digest('hex');
}

/** sha256 of bytes in memory (a manifest). */
export function hashBytes(bytes: Buffer | string): Digest {
  return createHash('sha256').update(bytes).digest('hex');
}
