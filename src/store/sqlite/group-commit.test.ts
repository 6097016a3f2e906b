import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

describe('group commit of single writes', () => {
  it('concurrent writes share transactions, and a failing one fails alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-group-'));
    const store = new SqliteStore(dir);
    const exp = await store.createExperiment('g');
    const live = await store.createRun({ experimentId: exp, userId: 'u' });
    const gone = await store.createRun({ experimentId: exp, userId: 'u' });
    await store.deleteRun(gone.run_id);
    const writes = [
      ...Array.from({ length: 200 }, (_, i) => store.logMetric(live.run_id, { key: 'm', value: i, step: i, timestamp: 1 })),
      store.logMetric(gone.run_id, { key: 'm', value: 1, step: 0, timestamp: 1 }),
      store.logParam(live.run_id, 'lr', '0.1'),
      store.logParam(live.run_id, 'lr', '0.2'),
      store.setTag(live.run_id, 'team', 'cv'),
    ];
    const settled = await Promise.allSettled(writes);
    expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason.message))).toEqual([
      expect.stringMatching(/is deleted/),
      expect.stringMatching(/lr/),
    ]);
    const run = await store.getRun(live.run_id);
    expect(run.params).toEqual({ lr: '0.1' });
    expect(run.tags.team).toBe('cv');
    expect((await store.getMetricHistory(live.run_id, 'm')).length).toBe(200);
    await store.close();
    // Written to the file, not only visible on this connection.
    const db = new Database(path.join(dir, 'mlx.db'), { readonly: true });
    expect(db.prepare("SELECT count(*) FROM metrics WHERE key = 'm'").pluck().get()).toBe(200);
    db.close();
  });
});
