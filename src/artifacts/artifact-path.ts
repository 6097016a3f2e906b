import path from 'node:path';
import { invalid } from '../core/errors.js';

/** Longest file or folder name most filesystems take (ext4, APFS, NTFS: 255). */
export const MAX_NAME_BYTES = 255;
/** Longest artifact path (Linux's PATH_MAX). */
export const MAX_PATH_BYTES = 4096;

/**
 * Splits an artifact path that was URL-decoded once into its names, refusing every spelling
 * that could name a place other than the one it spells: "." and ".." (where it lands depends
 * on normalisation), empty names ("a//b": some layers merge the slashes, others do not), "\"
 * (a separator on Windows and to some clients), NUL and control characters. Checking the
 * names before anything else means the reserved-name checks that follow see exactly the path
 * the filesystem will. One leading "/" is the separator after the route; with trailingSlash,
 * one trailing "/" is allowed too (listing paths that clients join that way).
 */
export function parseArtifactPath(text: string, o: { trailingSlash?: boolean; what?: string } = {}): string[] {
  const what = o.what ?? `artifact path ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`;
  let rel = text.startsWith('/') ? text.slice(1) : text;
  if (o.trailingSlash && rel.endsWith('/')) rel = rel.slice(0, -1);
  if (rel === '') return [];
  if (Buffer.byteLength(rel) > MAX_PATH_BYTES) throw invalid(`${what} is ${Buffer.byteLength(rel)} bytes long; the limit is ${MAX_PATH_BYTES}`);
  if (rel.includes('\\')) throw invalid(`${what} contains a backslash; separate folders with "/"`);
  if (/[\u0000-\u001f\u007f]/.test(rel)) throw invalid(`${what} contains a control character (NUL, newline, …); rename the file`);
  const names = rel.split('/');
  for (const name of names) {
    if (name === '') throw invalid(`${what} has an empty folder name ("//", or a "/" at the start or end); write each name once between single slashes`);
    if (name === '..') throw invalid(`${what} would escape the run's artifact folder; use a path without ".."`);
    if (name === '.') throw invalid(`${what} contains "."; write the path without "./" or "/."`);
    // Windows drops trailing dots and spaces: "..." or ". " would name the folder itself there.
    if (/^[. ]+$/.test(name)) throw invalid(`${what} has a name made only of dots and spaces; rename it`);
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw invalid(`${what} has a name of ${Buffer.byteLength(name)} bytes; the limit is ${MAX_NAME_BYTES}`);
  }
  return names;
}

/**
 * A name as a filesystem might compare it: case-insensitive (APFS, NTFS, ext4 casefold, SMB
 * shares), Unicode-compatible forms folded (fullwidth letters), Windows' ignored trailing dots
 * and spaces dropped, an NTFS stream suffix (":x") cut. Two names with the same canonical form
 * may be the same folder on some filesystem, so reserved names are matched on it.
 */
export function canonicalName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .split(':')[0]
    .replace(/[. ]+$/, '');
}

/** The reserved name (one of `reserved`, given canonical) that a top-level name stands for, or null. */
export function reservedName(top: string | undefined, reserved: readonly string[]): string | null {
  if (top === undefined) return null;
  const c = canonicalName(top);
  return reserved.find((r) => canonicalName(r) === c) ?? null;
}

/** Resolves a user-given relative path inside root, refusing anything that would escape it. */
export function safeJoin(root: string, rel: string | undefined, what = 'artifact path'): string {
  if (!rel) return root;
  if (path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel)) throw invalid(`${what} ${JSON.stringify(rel)} must be relative to the run's artifact folder`);
  const full = path.resolve(root, rel);
  const back = path.relative(root, full);
  if (back.startsWith('..') || path.isAbsolute(back))
    throw invalid(`${what} ${JSON.stringify(rel)} would escape the run's artifact folder; use a path without ".."`);
  return full;
}

/** Checks a user-given artifact path (relative, no "..") and returns it with forward slashes; undefined stays undefined. */
export function checkArtifactPath(rel: string | undefined, what = 'artifact path'): string | undefined {
  if (!rel) return undefined;
  const root = path.resolve('/mlx-artifact-root');
  const rest = path.relative(root, safeJoin(root, rel, what));
  return rest === '' ? undefined : rest.split(path.sep).join('/');
}
