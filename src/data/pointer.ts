import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import type { ColumnType } from './dataset-profile.js';
import { isSafeRelative } from './objects/manifest.js';
import { parseDigest, type Digest } from './objects/digest.js';

/**
 * The pointer file `PATH.mlx.json` that `mlx data add PATH` writes beside PATH, meant to be
 * committed to git (PATH itself is git-ignored). Its shape, version 1:
 *
 * ```json
 * { "version": 1,
 *   "path": "data.csv",             // PATH's name, relative to the pointer's folder
 *   "kind": "file",                 // or "dir": then digest names the folder's manifest object
 *   "digest": "sha256:<64 hex>",    // readers also accept the bare 64 hex characters
 *   "size": 1234,                   // bytes (all files of a folder)
 *   "files": 1,                     // 1 for a file
 *   "format": "csv",                // csv | tsv | jsonl, only for such a file
 *   "rows": 10, "columns": [{ "name": "x", "type": "double" }] }   // only for such a file
 * ```
 */
export interface Pointer {
  version: 1;
  path: string;
  kind: 'file' | 'dir';
  digest: Digest;
  size: number;
  files: number;
  format?: 'csv' | 'tsv' | 'jsonl';
  rows?: number;
  columns?: { name: string; type: ColumnType }[];
}

export const POINTER_SUFFIX = '.mlx.json';

/** The pointer file of a data path. */
export const pointerPathOf = (dataPath: string) => dataPath.replace(/[\\/]+$/, '') + POINTER_SUFFIX;

/** True for a name that is a pointer file. */
export const isPointerFile = (p: string) => p.endsWith(POINTER_SUFFIX);

/** The data path a pointer file describes (its folder joined with its "path"). */
export const dataPathOf = (pointerFile: string, pointer: Pointer) => path.join(path.dirname(pointerFile), pointer.path);

/** The pointer's JSON text, keys in a fixed order so that re-adding unchanged data rewrites nothing. */
export function encodePointer(p: Pointer): string {
  const out: Record<string, unknown> = { version: 1, path: p.path, kind: p.kind, digest: `sha256:${p.digest}`, size: p.size, files: p.files };
  if (p.format) out.format = p.format;
  if (p.rows !== undefined) out.rows = p.rows;
  if (p.columns) out.columns = p.columns;
  return JSON.stringify(out, null, 2) + '\n';
}

/** Reads and checks a pointer file; a hand-edited, broken one is refused in one line naming the file and the fault. */
export function readPointer(file: string, label = file): Pointer {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fileError(err, `pointer file ${JSON.stringify(label)}`);
  }
  return parsePointer(text, label);
}

/** Parses a pointer's text (from the workspace, or from a git commit); label names where it came from. */
export function parsePointer(text: string, label: string): Pointer {
  const bad = (why: string) =>
    invalid(`pointer file ${JSON.stringify(label)} is not valid: ${why}; restore it with \`git checkout -- ${label}\` or re-run \`mlx data add\``);
  let v: any;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('not a JSON object');
  if (v.version !== undefined && v.version !== 1) throw bad(`version ${JSON.stringify(v.version)} is not 1 (written by a newer mlx?)`);
  if (typeof v.path !== 'string' || !isSafeRelative(v.path) || v.path.includes('/'))
    throw bad(`"path" must be the name of a file or folder beside the pointer`);
  if (v.kind !== 'file' && v.kind !== 'dir') throw bad(`"kind" must be "file" or "dir"`);
  let digest: Digest;
  try {
    digest = parseDigest(v.digest, '"digest"');
  } catch (err) {
    throw bad((err as Error).message);
  }
  for (const k of ['size', 'files'] as const) if (!Number.isSafeInteger(v[k]) || v[k] < 0) throw bad(`"${k}" must be a whole number`);
  const p: Pointer = { version: 1, path: v.path, kind: v.kind, digest, size: v.size, files: v.files };
  if (v.format === 'csv' || v.format === 'tsv' || v.format === 'jsonl') p.format = v.format;
  if (Number.isSafeInteger(v.rows)) p.rows = v.rows;
  if (Array.isArray(v.columns)) p.columns = v.columns.filter((c: any) => c && typeof c.name === 'string' && typeof c.type === 'string');
  return p;
}

/** Writes a pointer atomically (temp + rename): a pointer is whole or absent. Returns false when the file already had this content. */
export function writePointer(file: string, p: Pointer): boolean {
  const text = encodePointer(p);
  try {
    if (fs.readFileSync(file, 'utf8') === text) return false;
  } catch {
    // Not there yet.
  }
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return true;
}
