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
  return name.normalize('NFKC').toLowerCase().split(':')[0].replace(/[. ]+$/, '');
}

/** The reserved name (one of `reserved`, given canonical) that a top-level name stands for, or null. */
export function reservedName(top: string | undefined, reserved: readonly string[]): string | null {
  if (top === undefined) return null;
  const c = canonicalName(top);
  return reserved.find((r) => canonicalName(r) === c) ?? null;
}
