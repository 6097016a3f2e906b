// The shared search compiler in the PostgreSQL dialect gives the evaluator's answers, as it does
// in SQLite's (sqlite/search-sql.test.ts): the same random runs and filters, on a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresForTests } from '../../../test/helpers/postgres.js';
import type { Run } from '../../core/entities.js';
import { HAND_WRITTEN_FILTERS, ORDERS, makeRuns, memIds, randomFilter } from '../sql/search-cases.js';
import { numbered, rows } from './connection.js';
import { PostgresStore } from './postgres-store.js';
import { PG_DIALECT } from './search.js';
import { searchRunsQuery } from '../sql/search-query.js';

const pg = await postgresForTests();
afterAll(async () => pg?.stop());

async function load(store: PostgresStore, runs: Run[]): Promise<void> {
  const db = store.database;
  await db.query("INSERT INTO experiments VALUES (1, 'search', 'x', 'active', 0, 0)");
  for (const r of runs) {
    const i = r.info;
    await db.query(
      `INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
       VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8)`,
      [i.run_id, i.run_name, i.user_id, i.status, i.start_time, i.end_time, i.lifecycle_stage, i.artifact_uri],
    );
    for (const [k, v] of Object.entries(r.params)) await db.query('INSERT INTO params VALUES ($1, $2, $3)', [i.run_id, k, v]);
    for (const [k, v] of Object.entries(r.tags)) await db.query('INSERT INTO tags VALUES ($1, $2, $3)', [i.run_id, k, v]);
    for (const [k, v] of Object.entries(r.metrics))
      await db.query('INSERT INTO latest_metrics VALUES ($1, $2, $3, $4, 0, 0)', [i.run_id, k, Number.isNaN(v) ? null : v, Number.isNaN(v) ? 1 : 0]);
    for (const d of r.inputs) {
      const [{ dataset_id }] = await rows<{ dataset_id: number }>(
        db,
        `INSERT INTO datasets (experiment_id, name, digest, source_type, source) VALUES (1, $1, $2, 'local', '/d')
         ON CONFLICT (experiment_id, name, digest) DO UPDATE SET source = excluded.source RETURNING dataset_id`,
        [d.name, d.digest],
      );
      await db.query('INSERT INTO inputs VALUES ($1, $2, $3)', [i.run_id, dataset_id, d.context]);
    }
  }
}

(pg ? describe : describe.skip)('compileSearch against PostgreSQL', () => {
  const runs = makeRuns(48);
  let store: PostgresStore;
  beforeAll(async () => {
    store = await PostgresStore.open(pg!.url(await pg!.createDatabase()), { create: true });
    await load(store, runs);
  });
  afterAll(async () => store?.close());

  async function sqlIds(filter: string, order: string[] = []): Promise<string[]> {
    const q = searchRunsQuery({ experimentIds: ['1'], filter, orderBy: order, viewType: 'all', maxResults: 50_000 }, PG_DIALECT)!;
    return (await rows<{ run_uuid: string }>(store.database, numbered(q.sql), q.params)).map((r) => r.run_uuid);
  }

  it.each(HAND_WRITTEN_FILTERS)('agrees with the evaluator on %s', async (filter) => {
    expect(await sqlIds(filter)).toEqual(memIds(runs, filter));
  });

  it('agrees with the evaluator on 600 random filters', async () => {
    for (let n = 0; n < 600; n++) {
      const filter = randomFilter(runs, 3);
      expect(await sqlIds(filter), filter).toEqual(memIds(runs, filter));
    }
  });

  it.each(ORDERS.map((o) => [o]))('orders like compareRuns for %j', async (order) => {
    expect(await sqlIds('', order)).toEqual(memIds(runs, '', order));
  });
});
