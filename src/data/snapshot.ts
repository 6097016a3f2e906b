import fs from 'node:fs';
import { fileError } from '../core/file-errors.js';
import type { ColumnType } from './dataset-profile.js';
import { profileTable } from './dataset-profile.js';
import { projectPath, type DataProject } from './project.js';
import { pointerPathOf, readPointer } from './pointer.js';
import { StatCache } from './stat-cache.js';

/** A file or folder as stored in the cache at one moment: what a run records as an input. */
export interface DataSnapshot {
  /** Path relative to the project root (POSIX separators). */
  path: string;
  abs: string;
  kind: 'file' | 'dir';
  digest: string;
  size: number;
  files: number;
  format?: 'csv' | 'tsv' | 'jsonl';
  rows?: number;
  columns?: { name: string; type: ColumnType }[];
}

/**
 * Stores the current content of each path in the cache (hashing only files whose stat changed)
 * without touching pointers: a run's inputs can then be restored exactly, whether or not the data
 * was `mlx data add`ed. Every path is checked before anything is stored.
 */
export async function snapshotData(project: DataProject, paths: string[], cwd = process.cwd()): Promise<DataSnapshot[]> {
  const targets = paths.map((given) => {
    const { abs, rel } = projectPath(project, given, cwd);
    try {
      fs.statSync(abs);
    } catch (err) {
      throw fileError(err, `input ${JSON.stringify(given)}`);
    }
    return { abs, rel };
  });
  const out: DataSnapshot[] = [];
  for (const { abs, rel } of targets) {
    const state = StatCache.load(project.root, rel);
    const added = await project.cache.add(abs, { known: (r, stamp) => state.lookup(r, stamp) });
    const digestOf = new Map((added.entries ?? []).map((e) => [e.path, e.digest]));
    state.replace(
      [...(added.stamps ?? [])].map(([r, stamp]) => [r, stamp, added.kind === 'file' ? added.digest : digestOf.get(r)!] as const),
      added.digest,
    );
    state.save();
    const snap: DataSnapshot = { path: rel, abs, kind: added.kind, digest: added.digest, size: added.size, files: added.files };
    if (added.kind === 'file') Object.assign(snap, await tableOf(abs, added.digest));
    out.push(snap);
  }
  return out;
}

/** Rows and columns: from the pointer when it describes these very bytes, else read. */
async function tableOf(abs: string, digest: string) {
  try {
    const p = readPointer(pointerPathOf(abs));
    if (p.digest === digest && p.format) return { format: p.format, rows: p.rows, columns: p.columns };
  } catch {
    // Not tracked (or a broken pointer): read the file.
  }
  const t = await profileTable(abs);
  return t ? { format: t.format, rows: t.num_rows, columns: t.columns } : {};
}
