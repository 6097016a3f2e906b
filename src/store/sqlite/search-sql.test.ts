import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Database from 'better-sqlite3';
import type { Run } from '../../core/entities.js';
import { parseFilter, parseOrderBy } from '../../core/search/index.js';
import { HAND_WRITTEN_FILTERS, ORDERS, key, makeRuns, memIds as evaluated, quote, randomFilter } from '../sql/search-cases.js';
import { MIGRATIONS } from './migrations.js';
import { compileSearch, likeToGlob } from './search-sql.js';

function load(db: Database.Database, runs: Run[]): void {
  for (const m of MIGRATIONS) db.exec(m.sql);
  const ins = {
    run: db.prepare(`INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time,
      lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    param: db.prepare('INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)'),
    tag: db.prepare('INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)'),
    metric: db.prepare('INSERT INTO latest_metrics (run_uuid, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, ?, 0, 0)'),
    dataset: db.prepare(`INSERT INTO datasets (experiment_id, name, digest, source_type, source) VALUES (1, ?, ?, 'local', '/d')
      ON CONFLICT DO UPDATE SET source = source RETURNING dataset_id`),
    input: db.prepare('INSERT INTO inputs (run_uuid, dataset_id, context) VALUES (?, ?, ?)'),
  };
  for (const r of runs) {
    const i = r.info;
    ins.run.run(i.run_id, i.run_name, 1, i.user_id, i.status, i.start_time, i.end_time, i.lifecycle_stage, i.artifact_uri);
    for (const [k, v] of Object.entries(r.params)) ins.param.run(i.run_id, k, v);
    for (const [k, v] of Object.entries(r.tags)) ins.tag.run(i.run_id, k, v);
    for (const [k, v] of Object.entries(r.metrics)) ins.metric.run(i.run_id, k, Number.isNaN(v) ? null : v, Number.isNaN(v) ? 1 : 0);
    for (const d of r.inputs) {
      const { dataset_id } = ins.dataset.get(d.name, d.digest) as { dataset_id: number };
      ins.input.run(i.run_id, dataset_id, d.context);
    }
  }
}

describe('compileSearch against SQLite', () => {
  const runs = makeRuns(48);
  const db = new Database(':memory:');
  beforeAll(() => load(db, runs));
  afterAll(() => db.close());

  function sqlIds(filter: string, order: string[] = []): string[] {
    const c = compileSearch(parseFilter(filter), parseOrderBy(order));
    const sql = `SELECT r.run_uuid FROM runs r ${c.joins} WHERE r.experiment_id IN (?) AND (${c.where}) ORDER BY ${c.orderBy}`;
    const rows = db.prepare(sql).all(...c.joinParams, 1, ...c.whereParams, ...(c.orderParams ?? [])) as { run_uuid: string }[];
    return rows.map((r) => r.run_uuid);
  }
  const memIds = (filter: string, order: string[] = []) => evaluated(runs, filter, order);

  it.each(HAND_WRITTEN_FILTERS)('agrees with the evaluator on %s', (filter) => {
    expect(sqlIds(filter)).toEqual(memIds(filter));
  });

  it('agrees with the evaluator on 600 random filters', () => {
    let nonTrivial = 0;
    for (let n = 0; n < 600; n++) {
      const filter = randomFilter(runs, 3);
      const expected = memIds(filter);
      if (expected.length > 0 && expected.length < runs.length) nonTrivial++;
      expect(sqlIds(filter), filter).toEqual(expected);
    }
    // Guards against a generator that only produces filters matching everything or nothing.
    expect(nonTrivial).toBeGreaterThan(300);
  });

  it.each(ORDERS.map((o) => [o]))('orders like compareRuns for %j', (order) => {
    expect(sqlIds('', order)).toEqual(memIds('', order));
    expect(sqlIds('metrics.acc > -1e400 OR params.opt IS NOT NULL', order)).toEqual(memIds('metrics.acc > -1e400 OR params.opt IS NOT NULL', order));
  });

  it('defaults to start_time DESC, run_uuid ASC and always ends with run_uuid ASC', () => {
    expect(compileSearch(null, []).orderBy).toBe('r.start_time DESC, r.run_uuid ASC');
    expect(compileSearch(null, parseOrderBy(['metrics.acc DESC'])).orderBy).toMatch(/, r\.run_uuid ASC$/);
  });

  it('gives each order-by join its own alias', () => {
    const c = compileSearch(null, parseOrderBy(['metrics.a', 'metrics.a DESC', 'params.a', 'tags.a']));
    const aliases = [...c.joins.matchAll(/LEFT JOIN \w+ (\w+) ON/g)].map((m) => m[1]);
    expect(aliases).toHaveLength(4);
    expect(new Set(aliases).size).toBe(4);
    expect(c.joinParams).toEqual(['a', 'a', 'a', 'a']);
  });

  it('pages stably with LIMIT/OFFSET when sort keys tie', () => {
    const c = compileSearch(null, parseOrderBy(['attributes.status']));
    const sql = `SELECT r.run_uuid FROM runs r ${c.joins} WHERE (${c.where}) ORDER BY ${c.orderBy} LIMIT ? OFFSET ?`;
    const pages: string[] = [];
    for (let off = 0; off < runs.length; off += 7)
      pages.push(...(db.prepare(sql).all(...c.joinParams, ...c.whereParams, 7, off) as { run_uuid: string }[]).map((r) => r.run_uuid));
    expect(pages).toEqual(memIds('', ['attributes.status']));
  });

  it('binds user values instead of writing them into the SQL', () => {
    const canary = "zz'; DROP TABLE runs; --";
    const filter = `params.${key('we ird')} = ${quote(canary)} OR tags.\`${canary.replace(/`/g, '')}\` LIKE ${quote(canary)} OR attributes.run_id IN (${quote(canary)})`;
    const c = compileSearch(parseFilter(filter), parseOrderBy([`metrics.\`${canary}\``]));
    for (const text of [c.where, c.joins, c.orderBy]) {
      expect(text).not.toContain('zz');
      expect(text).not.toContain('we ird');
    }
    expect(sqlIds(filter)).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: runs.length });
  });

  it('looks up metrics, params, tags and inputs by primary key, never scanning those tables', () => {
    const c = compileSearch(
      parseFilter("metrics.acc > 0 AND params.opt = 'adam' AND tags.team LIKE 'a%' AND datasets.name = 'train' AND metrics.f1 IS NULL"),
      parseOrderBy(['metrics.loss', 'params.lr']),
    );
    const sql = `SELECT r.* FROM runs r ${c.joins} WHERE r.experiment_id IN (?) AND (${c.where}) ORDER BY ${c.orderBy}`;
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...c.joinParams, 1, ...c.whereParams) as { detail: string }[]).map((p) => p.detail).join('\n');
    expect(plan).not.toMatch(/SCAN (k|i|ob\d|params|tags|latest_metrics|inputs)\b/);
    expect(plan).toMatch(/SEARCH k USING PRIMARY KEY \(run_uuid=\? AND key=\?\)/);
    expect(plan).toMatch(/SEARCH ob0 USING PRIMARY KEY \(run_uuid=\? AND key=\?\)/);
  });
});

describe('likeToGlob', () => {
  it.each([
    ['a%', false, 'a*'],
    ['a_c', false, 'a?c'],
    ['*?[]', false, '[*][?][[]]'],
    ['50\\%', false, '50%'],
    ['a\\_', false, 'a_'],
    ['Ab%', true, '[Aa][bB]*'],
    ['1-2', true, '1-2'],
  ])('%s (ignoreCase %s) → %s', (like, ignoreCase, glob) => {
    expect(likeToGlob(like, ignoreCase)).toBe(glob);
  });
});
