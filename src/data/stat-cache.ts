import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sameStamp, type Digest, type FileStamp } from './objects/digest.js';

/** One file's stamp and the digest it had then. */
interface Known {
  stamp: FileStamp;
  digest: Digest;
}

/**
 * What git's index is to git: for each tracked path, the stat of each of its files (inode, size,
 * mtime in ns, mode) and the digest it had, so `status` and a re-`add` hash only the files whose
 * stat changed. Kept in `.mlx/data-index/`, one file per tracked path, written atomically; losing
 * it only costs a re-hash. `digest`: the whole path's digest (a folder's manifest) when it was made.
 */
export class StatCache {
  private constructor(
    private readonly file: string,
    readonly rel: string,
    private readonly known: Map<string, Known>,
    public digest: Digest | undefined,
  ) {}

  static load(projectRoot: string, rel: string): StatCache {
    const file = path.join(projectRoot, '.mlx', 'data-index', createHash('sha1').update(rel).digest('hex') + '.json');
    const known = new Map<string, Known>();
    let digest: Digest | undefined;
    try {
      const v = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (v.path === rel && Array.isArray(v.files)) {
        digest = typeof v.digest === 'string' ? v.digest : undefined;
        for (const [p, ino, size, mtimeNs, mode, d] of v.files) known.set(p, { stamp: { ino, size, mtimeNs, mode }, digest: d });
      }
    } catch {
      // None yet, or unreadable: everything is hashed once more.
    }
    return new StatCache(file, rel, known, digest);
  }

  get size(): number {
    return this.known.size;
  }

  /** The digest of file `p` if its stamp has not changed since it was recorded. */
  lookup(p: string, stamp: FileStamp): Digest | undefined {
    const k = this.known.get(p);
    return k && sameStamp(k.stamp, stamp) ? k.digest : undefined;
  }

  /** Replaces the recorded files (and the path's digest). */
  replace(files: Iterable<[string, FileStamp, Digest]>, digest: Digest | undefined): void {
    this.known.clear();
    for (const [p, stamp, d] of files) this.known.set(p, { stamp, digest: d });
    this.digest = digest;
  }

  save(): void {
    const files = [...this.known].map(([p, { stamp: s, digest }]) => [p, s.ino, s.size, s.mtimeNs, s.mode, digest]);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify({ path: this.rel, digest: this.digest, files }));
    fs.renameSync(tmp, this.file);
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }
}
