import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferenceLogOf } from './inference-log-of.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

describe('inferenceLogOf', () => {
  it('refuses a store that keeps no inference log, in one line', async () => {
    const remote = { uri: 'http://127.0.0.1:5000', ephemeral: false } as Store;
    await expect(inferenceLogOf(remote)).rejects.toThrow(/^inference logging needs a local store folder; http:\/\/127\.0\.0\.1:5000 is a tracking server/);
    const db = { uri: 'postgresql://mlx:secret@db:5432/mlx', ephemeral: false } as Store;
    await expect(inferenceLogOf(db)).rejects.toThrow(
      /^inference logging needs a local store folder; postgresql:\/\/mlx@db:5432\/mlx is a database server\. Point/,
    );
  });

  it('refuses an empty database server too (it once got a SQLite file under ./postgresql:/ from mlx serve --log-inputs)', async () => {
    const empty = { uri: 'postgresql://mlx@db:5432/mlx', ephemeral: true } as Store;
    await expect(inferenceLogOf(empty)).rejects.toThrow(/is a database server/);
  });

  it("gives a local store's log, an empty one for a store not created yet (creating nothing)", async () => {
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-ilog-of-')), '.mlx');
    const ghost = new SqliteStore(root, { create: false, inMemory: true });
    try {
      const log = await inferenceLogOf(ghost);
      expect(log.countWindow({ model: 'clf', since: 0, until: Date.now() })).toBe(0);
      expect(log.feedback([{ request_id: 'r1', label: 'x' }])).toEqual({ matched: 0, unknown: ['r1'] });
      expect(fs.existsSync(root)).toBe(false);
    } finally {
      await ghost.close();
    }
  });
});
