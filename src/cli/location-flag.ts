import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkArtifactLocation } from '../artifacts/open-repository.js';
import { MlxError } from '../core/errors.js';
import { usage } from './flags.js';

/**
 * An artifact location given by a flag (--artifacts-destination, --default-artifact-root,
 * --artifact-location): a scheme mlx cannot read or write, or a malformed s3:// URI, is a usage
 * error naming the flag (exit 2) instead of a local folder named "s3:". A file: URI becomes its
 * path. `allowed`: the schemes this flag takes (null: a path), when not all of them.
 */
export function locationFlag(flag: string, value: string, allowed?: (string | null)[]): { scheme: string | null; location: string } {
  let scheme: string | null;
  try {
    scheme = checkArtifactLocation(value, flag);
  } catch (err) {
    if (!(err instanceof MlxError)) throw err;
    throw usage(err.message.startsWith(flag) ? err.message : `${flag} ${err.message}`, err);
  }
  if (allowed && !allowed.includes(scheme))
    throw usage(
      `${flag} ${JSON.stringify(value)}: ${scheme}: is not a place for this flag; use ${allowed.map((s) => (s === null ? 'a folder' : `${s}:`)).join(', ')}`,
    );
  // file:./rel (no authority), as MLflow users write it, is relative: a URL parser would make it /rel.
  return { scheme, location: scheme === 'file' ? (/^file:(?!\/\/)/i.test(value) ? path.resolve(value.slice(5)) : fileURLToPath(value)) : value };
}
