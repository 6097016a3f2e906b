import { describe, expect, it } from 'vitest';
import { prepareRegistration } from './register.js';
import type { ModelLookupStore } from './uri.js';

describe('mlx register --schema on a store behind a tracking server that keeps no schemas (MLflow)', () => {
  it('is refused before anything is read or written, naming the file and what to do (credentials redacted)', async () => {
    const calls: string[] = [];
    const store = new Proxy(
      {
        uri: 'http://user:secret@tracking.example:5000',
        http: {},
        getModelVersionDownloadUri: () => '',
        putModelCard: () => undefined,
        // What the REST store answers when mlx/server-info is unknown to the server.
        keepsModelSchemas: async () => false,
      },
      {
        get(target, key) {
          if (key in target) return (target as Record<string | symbol, unknown>)[key];
          if (key === 'then') return undefined;
          return (...args: unknown[]) => {
            calls.push(String(key));
            return Promise.resolve(args.length ? null : null);
          };
        },
      },
    ) as unknown as ModelLookupStore;
    const err = await prepareRegistration(store, {
      source: 'model.onnx',
      name: 'm',
      userId: 'u',
      schema: { file: 'schema.json', text: '{}' },
    }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^schema\.json: this store \(http:\/\/.*tracking\.example:5000\) cannot keep a data schema/);
    expect((err as Error).message).not.toContain('secret');
    expect((err as Error).message).toContain('mlx serve --schema');
    expect(calls.filter((c) => /create|put|set|log/i.test(c))).toEqual([]);
  });
});
