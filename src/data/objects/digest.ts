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

export function stampOf(stat: fs.Stats): FileStamp {
  // Number stats, not BigInt ones: 100,000 BigInt stats cost more in garbage collection than the
  // calls themselves. mtimeMs keeps the kernel's time to a fraction of a microsecond.
  return { ino: stat.ino, size: stat.size, mtimeNs: String(Math.round(stat.mtimeMs * 1e6)), mode: stat.mode & 0o111 ? 0o755 : 0o644 };
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
  /** Where the bytes were copied (undefined when the copy was skipped: the digest's object exists). */
  copiedTo?: string;
}

/**
 * Where to copy the bytes being hashed. Small files are hashed in memory first, so they pass
 * their digest (the copy can go beside its object, or be skipped by returning undefined); large
 * files are copied while hashed, before the digest is known.
 */
export type CopyTarget = (digest?: Digest) => string | undefined;

/**
 * Hashes a file and, when `copyTo` is given, writes the same bytes there in the same pass, so
 * what is stored is exactly what was hashed. A file that changes while it is read (its size,
 * mtime or inode differ after the read) is read again, up to three times, then refused.
 */
export async function hashFile(file: string, label: string, copyTo?: CopyTarget): Promise<HashedFile> {
  for (let attempt = 1; ; attempt++) {
    let target: string | undefined;
    const pick = copyTo && ((digest?: Digest) => (target = copyTo(digest)));
    let result: HashedFile | null;
    try {
      result = await hashOnce(file, pick);
    } catch (err) {
      if (target) await fs.promises.rm(target, { force: true });
      throw fileError(err, label);
    }
    if (result) return { ...result, ...(target ? { copiedTo: target } : {}) };
    if (target) await fs.promises.rm(target, { force: true });
    if (attempt >= RETRIES) throw invalid(`${label} changed while it was being hashed (${RETRIES} attempts); stop what is writing it and try again`);
  }
}

/**
 * One read of the file through one descriptor: fstat before and after (a change in between
 * returns null: read again), the bytes hashed and, with a target, written there in the same pass.
 */
async function hashOnce(file: string, target?: (digest?: Digest) => string | undefined): Promise<HashedFile | null> {
  const input = await fs.promises.open(file, 'r');
  try {
    const before = stampOf(await input.stat());
    const digest = before.size <= SMALL ? await hashSmall(input, before.size, target) : await hashLarge(input, target?.());
    const after = stampOf(await input.stat());
    return sameStamp(before, after) ? { digest, size: after.size, stamp: after } : null;
  } finally {
    await input.close();
  }
}

async function hashSmall(input: fs.promises.FileHandle, size: number, target?: (digest: Digest) => string | undefined): Promise<Digest> {
  // One read of the expected size (+1 to see growth); readFile would fstat again.
  const buf = Buffer.allocUnsafe(size + 1);
  let n = 0;
  for (;;) {
    const { bytesRead } = await input.read(buf, n, buf.length - n, n);
    if (bytesRead === 0) break;
    n += bytesRead;
    if (n === buf.length) break;
  }
  const bytes = buf.subarray(0, n);
  const digest = createHash('sha256').update(bytes).digest('hex');
  const to = target?.(digest);
  if (to) await fs.promises.writeFile(to, bytes, { mode: 0o444, flag: 'wx' });
  return digest;
}

async function hashLarge(input: fs.promises.FileHandle, target?: string): Promise<Digest> {
  const hash = createHash('sha256');
  const output = target ? await fs.promises.open(target, 'wx', 0o444) : undefined;
  // Three buffers in turn: while one chunk is hashed, the next is being read and the previous
  // written (both on the thread pool); a buffer is read into again only once its write is done.
  const buffers = [0, 1, 2].map(() => Buffer.allocUnsafe(CHUNK));
  const writes: (Promise<unknown> | undefined)[] = [undefined, undefined, undefined];
  try {
    let i = 0;
    // Writes may overlap, so each says where it goes.
    let offset = 0;
    let pending = input.read(buffers[0], 0, CHUNK, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const chunk = buffers[i].subarray(0, bytesRead);
      const next = (i + 1) % 3;
      await writes[next];
      pending = input.read(buffers[next], 0, CHUNK, null);
      hash.update(chunk);
      if (output) writes[i] = output.write(chunk, 0, chunk.length, offset);
      offset += chunk.length;
      i = next;
    }
    await Promise.all(writes);
  } finally {
    await Promise.allSettled(writes);
    await output?.close();
  }
  return hash.digest('hex');
}

/**
 * The small-file path of hashFile, in synchronous calls: for a folder of many small files the
 * cost is not the bytes but the round trips to the thread pool (about ten per file: open, fstat,
 * read, fstat, close, create, write, close, rename), each a futex wake-up and an event-loop turn.
 * Made here directly, the same calls cost a third as much. Returns undefined for a file larger
 * than SMALL (left to hashFile, which streams it); otherwise the same checks as hashFile: the
 * file is read through one descriptor, stamped before and after, read again if it changed.
 * `copyTo` gets the digest and names where to write the bytes (undefined: their object exists).
 */
export function hashSmallFileSync(
  file: string,
  label: string,
  copyTo?: (digest: Digest) => string | undefined,
  known?: (stamp: FileStamp) => Digest | undefined,
): HashedFile | undefined {
  for (let attempt = 1; ; attempt++) {
    let target: string | undefined;
    let result: HashedFile | null | undefined;
    try {
      result = hashSmallOnceSync(file, (digest) => (target = copyTo?.(digest)), known);
    } catch (err) {
      if (target) fs.rmSync(target, { force: true });
      throw fileError(err, label);
    }
    if (result === undefined) return undefined;
    if (result) return { ...result, ...(target ? { copiedTo: target } : {}) };
    if (target) fs.rmSync(target, { force: true });
    if (attempt >= RETRIES) throw invalid(`${label} changed while it was being hashed (${RETRIES} attempts); stop what is writing it and try again`);
  }
}

function hashSmallOnceSync(
  file: string,
  target: (digest: Digest) => string | undefined,
  known?: (stamp: FileStamp) => Digest | undefined,
): HashedFile | null | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const before = stampOf(fs.fstatSync(fd));
    // Unchanged since it was last hashed (the stat cache): not read (the fstat serves as the stat).
    const unchanged = known?.(before);
    if (unchanged) return { digest: unchanged, size: before.size, stamp: before };
    if (before.size > SMALL) return undefined;
    const buf = Buffer.allocUnsafe(before.size + 1);
    let n = 0;
    for (;;) {
      const bytesRead = fs.readSync(fd, buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) break;
    }
    const bytes = buf.subarray(0, n);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const to = target(digest);
    if (to) fs.writeFileSync(to, bytes, { mode: 0o444, flag: 'wx' });
    const after = stampOf(fs.fstatSync(fd));
    return sameStamp(before, after) ? { digest, size: after.size, stamp: after } : null;
  } finally {
    fs.closeSync(fd);
  }
}

/** sha256 of bytes in memory (a manifest). */
export function hashBytes(bytes: Buffer | string): Digest {
  return createHash('sha256').update(bytes).digest('hex');
}
