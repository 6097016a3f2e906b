/**
 * The store with every method's failures passed through `translate` (which throws the error users
 * should see): one place for every query of every method, sync or async. Methods run on the store
 * itself (its private state intact). One wrapper per method, made on first use: the store's calls
 * (every metric a server logs) allocate nothing more.
 */
export function translatingErrors<T extends object>(store: T, translate: (err: unknown) => never): T {
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
            return out instanceof Promise ? out.catch(translate) : out;
          } catch (err) {
            return translate(err);
          }
        };
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}
