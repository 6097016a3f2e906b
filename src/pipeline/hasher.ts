import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';

export interface Digest {
  /** sha256 of a file's bytes; for a folder, of its manifest (each file's relative path and digest, sorted). */
  digest: string;
  size: number;
  files: number;
  kind: 'file' | 'dir';
}

type StatEntry = [ino: string, size: string, mtimeNs: string, ctimeNs: string, digest: string];
const STAT_CACHE_VERSION = 1;
/** A file changed this recently may change again within the same timestamp: it is hashed, not trusted by its stat (git's "racily clean"). */
const RACY_NS = 2_000_000_000n;
const SMALL_FILE = 8 * 1024 * 1024;
const PARALLEL = 8;

/**
 * Digests of project files, remembering each file's (inode, size, mtime, ctime) → digest as git's
 * index does, so an unchanged file is never read twice: a no-op `mlx repro` only stats its deps.
 */
export class Hasher {
  private entries: Record<string, StatEntry> = {};
  private dirty = false;
  private readonly memo = new Map<string, Promise<Digest | null>>();

  constructor(
    private readonly root: string,
    private readonly cacheFile: string | null,
  ) {
    if (!cacheFile) return;
    try {
      const doc = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as { version?: number; entries?: Record<string, StatEntry> };
      if (doc.version === STAT_CACHE_VERSION && doc.entries && typeof doc.entries === 'object') this.entries = doc.entries;
    } catch {
      // A missing or damaged stat cache only costs hashing again.
    }
  }

  /** Forgets what was computed in this process (after a stage rewrote its outputs). */
  forget(rel: string): void {
    for (const k of [...this.memo.keys()]) if (k === rel || k.startsWith(`${rel}/`) || rel.startsWith(`${k}/`)) this.memo.delete(k);
  }

  /** The digest of a project-relative file or folder, or null when it does not exist. */
  digest(rel: string): Promise<Digest | null> {
    let p = this.memo.get(rel);
    if (!p) {
      p = this.compute(rel);
      this.memo.set(rel, p);
    }
    return p;
  }

  private async compute(rel: string): Promise<Digest | null> {
    const full = path.join(this.root, rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(full);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw invalid(`${rel} is a symbolic link loop; remove it`);
      throw fileError(err, rel);
    }
    if (st.isDirectory()) return this.dirDigest(rel, full);
    if (!st.isFile()) throw invalid(`${rel} is neither a file nor a folder (a device, FIFO or socket cannot be a dep or an output)`);
    return { digest: await this.fileDigest(rel, full), size: st.size, files: 1, kind: 'file' };
  }

  private async dirDigest(rel: string, full: string): Promise<Digest> {
    const files: { rel: string; full: string; size: number }[] = [];
    const seen = new Set<string>();
    // Synchronous: each call is a few microseconds, and a no-op repro makes thousands of them (a
    // round trip through libuv's thread pool for each costs more than the call).
    const walk = (dir: string, prefix: string) => {
      const real = fs.realpathSync(dir);
      if (seen.has(real)) throw invalid(`${rel}: symbolic link loop: ${rel}/${prefix.replace(/\/$/, '')} is a folder already walked; remove the link`);
      seen.add(real);
      const names = fs.readdirSync(dir).sort();
      for (const name of names) {
        const f = path.join(dir, name);
        let st: fs.Stats;
        try {
          st = fs.statSync(f);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') throw invalid(`${rel}: ${prefix}${name} is a symbolic link loop; remove it`);
          if (code === 'ENOENT') continue; // a dangling link: nothing to hash
          throw fileError(err, `${rel}/${prefix}${name}`);
        }
        if (st.isDirectory()) walk(f, `${prefix}${name}/`);
        else if (st.isFile()) files.push({ rel: `${prefix}${name}`, full: f, size: st.size });
      }
    };
    walk(full, '');
    const digests = new Array<string>(files.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL, files.length) }, async () => {
        while (next < files.length) {
          const i = next++;
          digests[i] = await this.fileDigest(`${rel}/${files[i].rel}`, files[i].full);
        }
      }),
    );
    const manifest = createHash('sha256');
    files.forEach((f, i) => manifest.update(`${f.rel}\t${digests[i]}\n`));
    return { digest: manifest.digest('hex'), size: files.reduce((a, f) => a + f.size, 0), files: files.length, kind: 'dir' };
  }

  private async fileDigest(rel: string, full: string): Promise<string> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = fs.statSync(full, { bigint: true });
      const key = [String(before.ino), String(before.size), String(before.mtimeNs), String(before.ctimeNs)];
      const cached = this.entries[rel];
      if (cached && cached[0] === key[0] && cached[1] === key[1] && cached[2] === key[2] && cached[3] === key[3]) return cached[4];
      const digest = await hashFile(full, Number(before.size));
      const after = await fs.promises.stat(full, { bigint: true });
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) continue; // written to while read: read it again
      if (BigInt(Date.now()) * 1_000_000n - after.mtimeNs > RACY_NS) {
        this.entries[rel] = [...key, digest] as StatEntry;
        this.dirty = true;
      }
      return digest;
    }
    throw invalid(`${rel} kept changing while it was read; wait until whatever writes it is done`);
  }

  /** Writes the stat cache (atomically: a crash leaves the old one) when it learned something. */
  save(): void {
    if (!this.cacheFile || !this.dirty) return;
    // Entries of files that are gone would otherwise pile up forever.
    for (const rel of Object.keys(this.entries)) if (!fs.existsSync(path.join(this.root, rel))) delete this.entries[rel];
    fs.mkdirSync(path.dirname(this.cacheFile), { recursive: true });
    const tmp = `${this.cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ version: STAT_CACHE_VERSION, entries: this.entries }));
    fs.renameSync(tmp, this.cacheFile);
    this.dirty = false;
  }
}

/** sha256 of a file's bytes, hex. */
export async function hashFile(full: string, size: number): Promise<string> {
  const h = createHash('sha256');
  if (size <= SMALL_FILE) return h.update(await fs.promises.readFile(full)).digest('hex');
  for await (const chunk of fs.createReadStream(full, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
