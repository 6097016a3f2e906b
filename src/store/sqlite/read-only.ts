import { readOnlyStore, whyNotWritable, writeDenied } from '../../core/write-access.js';
import { translatingErrors } from '../error-translation.js';
import { isReadOnlyError } from './database.js';

/**
 * The store with its refusals to write as one line naming it, why and what to do: SQLite's
 * SQLITE_READONLY… (a database opened read-only, or refused a write later) and the file system's
 * EACCES / EPERM / EROFS from its folder. Without it SQLite's "attempt to write a readonly
 * database" reached users as an internal error to report. Methods run on the store itself.
 */
export function reportingReadOnly<T extends object>(store: T, root: string, dbFile: string): T {
  const place = `the store ${root}`;
  const rethrow = (err: unknown): never => {
    if (isReadOnlyError(err))
      throw readOnlyStore(place, whyNotWritable([root, dbFile]) ?? `SQLite may not write ${dbFile} (${(err as { code: string }).code})`, err);
    throw writeDenied(err, place) ?? err;
  };
  return translatingErrors(store, rethrow);
}
