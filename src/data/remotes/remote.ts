import type { Digest } from '../objects/digest.js';

/**
 * Where `mlx data push` sends objects and `pull` fetches them: any store that can say which
 * objects it has, take one, and give one back. Objects are named by digest; a remote is never
 * trusted: what is fetched is verified against its digest before it enters the cache.
 */
export interface DataRemote {
  /** The remote's name in the config, and its URL (as the user wrote it, for messages). */
  readonly name: string;
  readonly url: string;
  /** Every object the remote holds, with its size (a size that differs from the expected one marks a partial upload). */
  list(): Promise<Map<Digest, number>>;
  /** Uploads the file holding the object `digest`; the remote stores it whole or not at all. */
  put(digest: Digest, file: string): Promise<void>;
  /** Downloads the object to dest (whole or not at all); the caller verifies it. */
  get(digest: Digest, dest: string): Promise<void>;
  /** The object's path when it is a file on this machine (a folder remote), so a pull copies and verifies it in one read. */
  localFile?(digest: Digest): string | null;
}

/** The object's path under a remote's root: `<2 hex>/<62 hex>`, the cache's own layout. */
export const objectRel = (digest: Digest) => `${digest.slice(0, 2)}/${digest.slice(2)}`;
