// Shared by the search compiler tests of the SQLite and PostgreSQL stores: random runs and
// filters (seeded, so a failure reproduces) whose SQL results must equal the evaluator's.
import { RUN_STATUSES, type DatasetInput, type Run } from '../../core/entities.js';
import { mulberry32 } from '../../core/random.js';
import { compareRuns, matchesFilter, parseFilter, parseOrderBy } from '../../core/search/index.js';

// Seeded so that a failing random case reproduces.
export const rand = mulberry32(20240611);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const some = <T>(xs: readonly T[], max: number): T[] => xs.filter(() => rand() < max / xs.length);

const METRIC_KEYS = ['acc', 'loss', 'val/acc', 'my metric', 'f1'];
const METRIC_VALUES = [0, 1, -1, 0.5, 0.95, 1e-3, 2.5e10, NaN, Infinity, -Infinity, 3, 1e-300];
const PARAM_KEYS = ['opt', 'lr', 'lr-x', 'a.b', 'model name'];
const TAG_KEYS = ['team', 'mlflow.runName', 'env', 'k"q'];
const STRINGS = [
  'adam',
  'Adam',
  'ADAM',
  'sgd',
  '0.01',
  '0.1',
  'a*b',
  'a?b',
  '[x]',
  '50%',
  'a_b',
  'axb',
  'ü',
  'Ü',
  '😀',
  '',
  "it's",
  'é😀',
  'line\nbreak',
  'a\\b',
  'x-y',
  'ǅ',
  'ß',
  'ẞ',
  '\uffff',
  'K',
];
const PATTERNS = [
  'a%',
  'A%',
  '%b',
  '_',
  '%',
  'a_b',
  'a\\_b',
  '50\\%',
  '%*%',
  '%?%',
  '%[%',
  '[x]',
  'ü%',
  'Ü%',
  '_😀',
  'é_',
  '%\n%',
  '%\\\\%',
  'ß',
  'SS',
  'ǆ',
  'k',
  '%]%',
  'a\\',
  '%d%',
];
const DATASETS = [
  ['train', 'd1'],
  ['eval', 'd2'],
  ['Train', 'D1'],
  ['holdout', 'x*y'],
] as const;
const CONTEXTS = ['training', 'eval', null, 'Training'];
const STAGES = ['active', 'deleted'] as const;

export function makeRuns(n: number): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < n; i++) {
    const inputs: DatasetInput[] = some(DATASETS, 1.5).map(([name, digest]) => ({
      name,
      digest,
      context: pick(CONTEXTS),
      source_type: 'local',
      source: '/d',
      schema: null,
      profile: null,
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

export const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
export const key = (k: string) => (/^[A-Za-z0-9_./-]+$/.test(k) ? k : k.includes('`') ? `"${k}"` : `\`${k}\``);
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
      const [ent, keys] = pick([
        ['params', PARAM_KEYS],
        ['tags', TAG_KEYS],
        ['param', PARAM_KEYS],
        ['tag', TAG_KEYS],
      ] as const);
      const op = pick(STR_OPS);
      return `${ent}.${key(pick(keys))} ${op} ${strRhs(op)}`;
    }
    case 3: {
      const [ent, keys] = pick([
        ['params', PARAM_KEYS],
        ['tags', TAG_KEYS],
        ['metrics', METRIC_KEYS],
      ] as const);
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

export function randomFilter(runs: Run[], depth: number): string {
  if (depth === 0 || rand() < 0.35) return randomComparison(runs);
  const parts = Array.from({ length: 2 + Math.floor(rand() * 2) }, () => {
    const sub = randomFilter(runs, depth - 1);
    return rand() < 0.6 ? `(${sub})` : sub;
  });
  return parts.join(` ${pick(['AND', 'OR', 'and', 'or', 'Or'])} `);
}

/** Filters written by hand for the cases random ones rarely hit. */
export const HAND_WRITTEN_FILTERS = [
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
  'params."lr-x" LIKE \'%[%\'',
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

/** Order-by lists to compare with compareRuns. */
export const ORDERS: string[][] = [
  [],
  ['metrics.acc'],
  ['metrics.acc DESC'],
  ['metrics.loss DESC', 'params.opt'],
  ['params.opt DESC', 'tags.team ASC'],
  ['tags.mlflow.runName', 'metrics.`my metric` DESC'],
  ['attributes.end_time DESC'],
  ['attributes.end_time ASC', 'attributes.status DESC'],
  ['attributes.run_name', 'attributes.run_id DESC'],
  ['attributes.created ASC, metrics.f1 DESC, params.lr'],
  ['metrics.acc DESC', 'metrics.acc ASC'],
];

/** Run ids in the evaluator's answer: what the SQL must return, in order. */
export function memIds(runs: Run[], filter: string, order: string[] = []): string[] {
  const expr = parseFilter(filter);
  return runs
    .filter((r) => expr === null || matchesFilter(expr, r))
    .sort(compareRuns(parseOrderBy(order)))
    .map((r) => r.info.run_id);
}
