import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Database from 'better-sqlite3';
import { RUN_STATUSES, type DatasetInput, type Run } from '../../core/entities.js';
import { compareRuns, matchesFilter, parseFilter, parseOrderBy } from '../../core/search/index.js';
import { MIGRATIONS } from './migrations.js';
import { compileSearch, likeToGlob } from './search-sql.js';

// Deterministic PRNG (mulberry32) so a failing random case reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20240611);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const some = <T>(xs: readonly T[], max: number): T[] => xs.filter(() => rand() < max / xs.length);

const METRIC_KEYS = ['acc', 'loss', 'val/acc', 'my metric', 'f1'];
const METRIC_VALUES = [0, 1, -1, 0.5, 0.95, 1e-3, 2.5e10, NaN, Infinity, -Infinity, 3, 1e-300];
const PARAM_KEYS = ['opt', 'lr', 'lr-x', 'a.b', 'model name'];
const TAG_KEYS = ['team', 'mlflow.runName', 'env', 'k"q'];
const STRINGS = ['adam', 'Adam', 'ADAM', 'sgd', '0.01', '0.1', 'a*b', 'a?b', '[x]', '50%', 'a_b', 'axb', 'ü', 'Ü',
  '😀', '', "it's", 'é😀', 'line\nbreak', 'a\\b', 'x-y', 'ǅ', 'ß', 'ẞ', '\uffff', 'K'];
const PATTERNS = ['a%', 'A%', '%b', '_', '%', 'a_b', 'a\\_b', '50\\%', '%*%', '%?%', '%[%', '[x]', 'ü%', 'Ü%', '_😀',
  'é_', '%\n%', '%\\\\%', 'ß', 'SS', 'ǆ', 'k', '%]%', 'a\\', '%d%'];
const DATASETS = [['train', 'd1'], ['eval', 'd2'], ['Train', 'D1'], ['holdout', 'x*y']] as const;
const CONTEXTS = ['training', 'eval', null, 'Training'];
const STAGES = ['active', 'deleted'] as const;

function makeRuns(n: number): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < n; i++) {
    const inputs: DatasetInput[] = some(DATASETS, 1.5).map(([name, digest]) => ({
      name, digest, context: pick(CONTEXTS), source_type: 'local', source: '/d', schema: null, profile: null,
    }));
    runs.push({
      info: {
        run_id: `run${String(i).padStart(2, '0')}${pick(['', 'X', 'ü'])}`,
        run_name: pick(STRINGS),
        experiment_id: '1',
        user_id: pick(['alice', 'Bob', 'bob', 'ü']),
        status: pick(RUN_STATUSES),
        start_time: pick([100, 200, 300, 1_700_000_000_000]),
        end_time: pick([null, 150, 250, 1_700_000_000_500]),
        artifact_uri: `file:///tmp/${pick(['a', 'A', 'b'])}/${i}`,
        lifecycle_stage: pick(STAGES),
      },
      params: Object.fromEntries(some(PARAM_KEYS, 3).map((k) => [k, pick(STRINGS)])),
      metrics: Object.fromEntries(some(METRIC_KEYS, 3).map((k) => [k, pick(METRIC_VALUES)])),
      tags: Object.fromEntries(some(TAG_KEYS, 2).map((k) => [k, pick(STRINGS)])),
      inputs,
    });
  }
  return runs;
}

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

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const key = (k: string) => (/^[A-Za-z0-9_./-]+$/.test(k) ? k : k.includes('`') ? `"${k}"` : `\`${k}\``);
const NUM_LITERALS = ['0', '1', '-1', '0.5', '0.95', '1e-3', '2.5e10', '3', '-0', '1e400', '-1e400', '150', '1700000000000'];
const STR_OPS = ['=', '!=', 'LIKE', 'ILIKE', 'like', 'ilike'];
const NUM_OPS = ['=', '!=', '<', '<=', '>', '>='];

function randomComparison(runs: Run[]): string {
  const strRhs = (op: string) => quote(op.toUpperCase().includes('LIKE') ? pick([...PATTERNS, ...STRINGS]) : pick(STRINGS));
  const list = (pool: readonly string[]) => `(${[pick(pool), ...some(pool, 1.5)].map(quote).join(', ')})`;
  switch (Math.floor(rand() * 8)) {
    case 0:
      return `metrics.${key(pick(METRIC_KEYS))} ${pick(NUM_OPS)} ${pick(NUM_LITERALS)}`;
    case 1:
    case 2: {
      const [ent, keys] = pick([['params', PARAM_KEYS], ['tags', TAG_KEYS], ['param', PARAM_KEYS], ['tag', TAG_KEYS]] as const);
      const op = pick(STR_OPS);
      return `${ent}.${key(pick(keys))} ${op} ${strRhs(op)}`;
    }
    case 3: {
      const [ent, keys] = pick([['params', PARAM_KEYS], ['tags', TAG_KEYS], ['metrics', METRIC_KEYS]] as const);
      if (ent !== 'metrics' && rand() < 0.5) return `${ent}.${key(pick(keys))} ${pick(['IN', 'NOT IN'])} ${list(STRINGS)}`;
      return `${ent}.${key(pick(keys))} ${pick(['IS NULL', 'IS NOT NULL'])}`;
    }
    case 4: {
      const attr = pick(['run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage', 'run_id']);
      if (rand() < 0.3) {
        const pool = attr === 'run_id' ? runs.map((r) => r.info.run_id) : attr === 'status' ? RUN_STATUSES : STRINGS;
        return `attributes.${attr} ${pick(['IN', 'NOT IN'])} ${list(pool)}`;
      }
      const op = pick(STR_OPS);
      const rhs = attr === 'status' ? quote(pick(['FINISHED', 'finished', 'F%', 'f%', '%ED', 'RUN_ING'])) : strRhs(op);
      return `${pick(['attributes', 'attr', 'run'])}.${attr} ${op} ${rhs}`;
    }
    case 5:
      return `attributes.${pick(['start_time', 'end_time', 'created'])} ${pick(NUM_OPS)} ${pick(NUM_LITERALS)}`;
    case 6: {
      const field = pick(['name', 'digest', 'context']);
      if (rand() < 0.3) return `datasets.${field} ${pick(['IN', 'NOT IN'])} ${list(['train', 'eval', 'd1', 'training', 'Training', 'x*y'])}`;
      const op = pick(STR_OPS);
      return `${pick(['datasets', 'dataset'])}.${field} ${op} ${quote(pick(['train', 'Train', 'TRAIN', 't%', 'T%', '%1', 'x*y', 'x_y', 'eval', 'training', '%ing']))}`;
    }
    default:
      return `metrics.${key(pick(METRIC_KEYS))} ${pick(['>', '<', '!='])} ${pick(NUM_LITERALS)}`;
  }
}

function randomFilter(runs: Run[], depth: number): string {
  if (depth === 0 || rand() < 0.35) return randomComparison(runs);
  const parts = Array.from({ length: 2 + Math.floor(rand() * 2) }, () => {
    const sub = randomFilter(runs, depth - 1);
    return rand() < 0.6 ? `(${sub})` : sub;
  });
  return parts.join(` ${pick(['AND', 'OR', 'and', 'or', 'Or'])} `);
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
  function memIds(filter: string, order: string[] = []): string[] {
    const expr = parseFilter(filter);
    return runs
      .filter((r) => expr === null || matchesFilter(expr, r))
      .sort(compareRuns(parseOrderBy(order)))
      .map((r) => r.info.run_id);
  }

  const handWritten = [
    '',
    'metrics.acc > 0.5',
    'metrics.acc != 0.5',
    'metrics.`my metric` <= -1',
    'metrics.loss = 1e400',
    'metrics.loss >= -1e400',
    'metrics.f1 IS NULL OR metrics.f1 IS NOT NULL',
    "params.opt = 'adam'",
    "params.opt != 'adam'",
    "params.opt LIKE 'a%'",
    "params.opt ILIKE 'a%'",
    "params.`model name` LIKE '%*%'",
    "params.\"lr-x\" LIKE '%[%'",
    "tags.`k\"q` IN ('adam', 'sgd')",
    "tags.mlflow.runName NOT IN ('adam', '')",
    "tags.team ILIKE 'ǅ'",
    "params.opt = '''; DROP TABLE runs; --'",
    "attributes.run_id IN ('run01', 'run02X', 'run03ü', 'nope')",
    "attributes.status = 'FINISHED' OR attributes.status = 'FAILED' AND attributes.end_time < 200",
    'attributes.end_time > 0',
    'attributes.end_time != 150',
    'attributes.created < 1700000000000',
    "attributes.user_id ILIKE 'BOB'",
    "attributes.lifecycle_stage = 'deleted' AND (metrics.acc > 0 OR params.lr IS NOT NULL)",
    "datasets.name = 'train' AND datasets.context = 'eval'",
    "datasets.context != 'training'",
    "datasets.digest LIKE 'x*%'",
    "(metrics.acc > 0.5 OR (params.opt = 'sgd' AND tags.env IS NULL)) AND attributes.start_time >= 200",
  ];
  it.each(handWritten)('agrees with the evaluator on %s', (filter) => {
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

  it.each([
    [[]],
    [['metrics.acc']],
    [['metrics.acc DESC']],
    [['metrics.loss DESC', 'params.opt']],
    [['params.opt DESC', 'tags.team ASC']],
    [['tags.mlflow.runName', 'metrics.`my metric` DESC']],
    [['attributes.end_time DESC']],
    [['attributes.end_time ASC', 'attributes.status DESC']],
    [['attributes.run_name', 'attributes.run_id DESC']],
    [['attributes.created ASC, metrics.f1 DESC, params.lr']],
    [['metrics.acc DESC', 'metrics.acc ASC']],
  ])('orders like compareRuns for %j', (order) => {
    expect(sqlIds('', order)).toEqual(memIds('', order));
    expect(sqlIds('metrics.acc > -1e400 OR params.opt IS NOT NULL', order)).toEqual(
      memIds('metrics.acc > -1e400 OR params.opt IS NOT NULL', order),
    );
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
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...c.joinParams, 1, ...c.whereParams) as { detail: string }[])
      .map((p) => p.detail)
      .join('\n');
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
