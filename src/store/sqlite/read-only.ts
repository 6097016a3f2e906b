import { readOnlyStore, whyNotWritable, writeDenied } from '../../core/write-access.js';
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
      throw readOnlyStore(place, whyNotWritable([root, dbFile]) ?? `SQLite may not write ${dbFile} (${(err as { code: string }).code})`);
    throw writeDenied(err, place) ?? err;
  };
  // One wrapper per method, made on first use, as the PostgreSQL store's lost-connection wrappers are.
  const wrapped = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      let w = wrapped.get(prop);
      if (!w) {
        const method = value as (...a: unknown[]) => unknown;
        w = (...args: unknown[]) => {
          try {
            const out = method.apply(target, args);
            return out instanceof Promise ? out.catch(rethrow) : out;
          } catch (err) {
            return rethrow(err);
          }
        };
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}
