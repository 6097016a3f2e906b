import { invalid } from '../../core/errors.js';
import { hashBytes, isDigest, type Digest } from './digest.js';

/** One file of a tracked folder: its path inside the folder (POSIX separators), content digest, size, and mode (0o644 or 0o755, as git keeps it). */
export interface ManifestEntry {
  path: string;
  digest: Digest;
  size: number;
  mode: number;
}

/**
 * A folder is stored as a manifest object: a JSON array of its files sorted by path, with keys in
 * a fixed order, so the same folder always gives the same bytes and so the same digest.
 */
export function encodeManifest(entries: ManifestEntry[]): { bytes: Buffer; digest: Digest } {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const text = '[' + sorted.map((e) => JSON.stringify({ path: e.path, digest: e.digest, size: e.size, mode: e.mode })).join(',\n') + ']\n';
  const bytes = Buffer.from(text, 'utf8');
  return { bytes, digest: hashBytes(bytes) };
}

/** Reads a manifest object's bytes back, refusing anything that is not one (a corrupt cache, or a file object named as a folder). */
export function decodeManifest(bytes: Buffer, digest: Digest): ManifestEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(`object ${digest} is not a folder manifest; the pointer says "kind": "dir" for a file object`);
  }
  if (!Array.isArray(value)) throw invalid(`object ${digest} is not a folder manifest (not a JSON array)`);
  return value.map((e, i) => {
    const ok =
      e &&
      typeof e === 'object' &&
      typeof e.path === 'string' &&
      isSafeRelative(e.path) &&
      isDigest(e.digest) &&
      Number.isSafeInteger(e.size) &&
      e.size >= 0 &&
      (e.mode === 0o644 || e.mode === 0o755);
    if (!ok) throw invalid(`object ${digest} is not a valid folder manifest (entry ${i})`);
    return { path: e.path, digest: e.digest, size: e.size, mode: e.mode } as ManifestEntry;
  });
}

/** A relative POSIX path that stays inside its folder: no absolute path, no "..", no empty or "." segment, no NUL. */
export function isSafeRelative(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\0') || p.includes('\\')) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
