import fs from 'node:fs';
import path from 'node:path';
import { hashFile, stampOf, type Digest, type FileStamp } from './objects/digest.js';
import { encodeManifest, type ManifestEntry } from './objects/manifest.js';
import { mapLimit } from './objects/pool.js';
import { walkFiles } from './objects/walk.js';
import { StatCache } from './stat-cache.js';

/** What is in the workspace at a tracked path now. */
export type Scanned =
  { kind: 'missing' } | { kind: 'file'; digest: Digest; size: number } | { kind: 'dir'; digest: Digest; size: number; entries: ManifestEntry[] };

/**
 * The current digest of a tracked path, hashing only files whose stat changed since the stat cache
 * recorded them (git's index trick); the cache is refreshed with what was hashed.
 */
export async function scanPath(projectRoot: string, rel: string, opts: { parallel?: number } = {}): Promise<Scanned> {
  const abs = path.join(projectRoot, rel);
  const st = fs.statSync(abs, { throwIfNoEntry: false });
  if (!st) return { kind: 'missing' };
  const state = StatCache.load(projectRoot, rel);
  const label = JSON.stringify(rel);
  if (!st.isDirectory()) {
    const stamp = stampOf(st);
    const known = state.lookup('', stamp);
    if (known) return { kind: 'file', digest: known, size: stamp.size };
    const h = await hashFile(abs, label);
    state.replace([['', h.stamp, h.digest]], h.digest);
    state.save();
    return { kind: 'file', digest: h.digest, size: h.size };
  }
  const files = walkFiles(abs, label);
  const stamps: FileStamp[] = new Array(files.length);
  const digests: (Digest | undefined)[] = new Array(files.length);
  let unknown = 0;
  for (let i = 0; i < files.length; i++) {
    const s = fs.statSync(files[i].abs, { throwIfNoEntry: false });
    if (!s) continue;
    stamps[i] = stampOf(s);
    digests[i] = state.lookup(files[i].rel, stamps[i]);
    if (!digests[i]) unknown++;
  }
  if (unknown > 0)
    await mapLimit(files, opts.parallel ?? 8, async (f, i) => {
      if (digests[i] || !stamps[i]) return;
      const h = await hashFile(f.abs, JSON.stringify(`${rel}/${f.rel}`));
      stamps[i] = h.stamp;
      digests[i] = h.digest;
    });
  const entries: ManifestEntry[] = [];
  const known: [string, FileStamp, Digest][] = [];
  for (let i = 0; i < files.length; i++) {
    const d = digests[i];
    if (!d) continue; // removed between listing and stat
    entries.push({ path: files[i].rel, digest: d, size: stamps[i].size, mode: stamps[i].mode });
    known.push([files[i].rel, stamps[i], d]);
  }
  const size = entries.reduce((n, e) => n + e.size, 0);
  // Nothing hashed and the same set of files as recorded: the folder's digest is the recorded one.
  if (unknown === 0 && entries.length === state.size && state.digest) return { kind: 'dir', digest: state.digest, size, entries };
  const digest = encodeManifest(entries).digest;
  state.replace(known, digest);
  state.save();
  return { kind: 'dir', digest, size, entries };
}
