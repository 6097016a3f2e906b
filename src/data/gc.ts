import fs from 'node:fs';
import path from 'node:path';
import type { Digest } from './objects/digest.js';
import { pointersInHistory } from './history.js';
import { findPointers, type DataProject } from './project.js';
import { readPointer, type Pointer } from './pointer.js';

export interface GcOptions {
  /** Also keep what any pointer in any git commit references. */
  allCommits?: boolean;
  /** Digests recorded as run inputs: kept unless `force`. */
  runInputs?: Iterable<Digest>;
  force?: boolean;
  dryRun?: boolean;
}

export interface GcResult {
  removed: number;
  bytes: number;
  kept: number;
  /** Unreferenced by pointers but kept because a run recorded them as inputs (0 with force). */
  keptForRuns: number;
  dryRun: boolean;
}

/** The object digests pointers reference, folder manifests expanded to their files (when cached). */
async function expand(project: DataProject, roots: Iterable<{ digest: Digest; kind: 'file' | 'dir' | 'unknown' }>): Promise<Set<Digest>> {
  const out = new Set<Digest>();
  for (const r of roots) {
    if (out.has(r.digest)) continue;
    out.add(r.digest);
    if (r.kind === 'file' || !project.cache.has(r.digest)) continue;
    try {
      for (const e of await project.cache.readManifest(r.digest)) out.add(e.digest);
    } catch {
      // A file object: nothing more to keep.
    }
  }
  return out;
}

/**
 * `mlx data gc`: removes cache objects no pointer references (in the workspace, or with
 * allCommits in any git commit); objects a run recorded as inputs stay unless force. Every pointer
 * is read before anything is removed: one broken pointer stops gc (it would otherwise protect nothing).
 */
export async function gcData(project: DataProject, opts: GcOptions = {}): Promise<GcResult> {
  const pointers: Pointer[] = findPointers(project).map((rel) => readPointer(path.join(project.root, rel), rel));
  if (opts.allCommits) pointers.push(...pointersInHistory(project.root));
  const keep = await expand(project, pointers);
  const forRuns = opts.force
    ? new Set<Digest>()
    : await expand(
        project,
        [...(opts.runInputs ?? [])].map((digest) => ({ digest, kind: 'unknown' as const })),
      );
  let removed = 0;
  let bytes = 0;
  let kept = 0;
  let keptForRuns = 0;
  for (const digest of await project.cache.list()) {
    if (keep.has(digest)) {
      kept++;
      continue;
    }
    if (forRuns.has(digest)) {
      keptForRuns++;
      continue;
    }
    const file = project.cache.objectPath(digest);
    bytes += fs.statSync(file).size;
    removed++;
    if (!opts.dryRun) await project.cache.remove(digest);
  }
  if (!opts.dryRun) await project.cache.removeStaleTemps();
  return { removed, bytes, kept, keptForRuns, dryRun: !!opts.dryRun };
}
