import {
  parseLikePattern,
  type AttributeKey,
  type Comparison,
  type FilterExpr,
  type OrderByTerm,
  type StringOp,
} from '../../core/search/index.js';

/** SQL fragments for `SELECT r.* FROM runs r <joins> WHERE … AND (<where>) ORDER BY <orderBy>`. */
export interface CompiledSearch {
  where: string;
  whereParams: unknown[];
  joins: string;
  joinParams: unknown[];
  orderBy: string;
  orderParams?: unknown[];
}

const COLUMN: Readonly<Record<AttributeKey, string>> = {
  run_id: 'r.run_uuid',
  run_name: 'r.name',
  status: 'r.status',
  user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri',
  lifecycle_stage: 'r.lifecycle_stage',
  start_time: 'r.start_time',
  end_time: 'r.end_time',
};

const KEYED_TABLE = { metric: 'latest_metrics', param: 'params', tag: 'tags' } as const;

/**
 * LIKE pattern → GLOB pattern. SQLite's LIKE ignores ASCII case, so case-sensitive LIKE becomes
 * GLOB; ILIKE becomes GLOB with a [xX] class per letter, which behaves the same on every SQLite build.
 */
export function likeToGlob(pattern: string, ignoreCase: boolean): string {
  return parseLikePattern(pattern, ignoreCase)
    .map((p) => {
      if (p.kind === 'any') return '*';
      if (p.kind === 'one') return '?';
      // Case variants are letters, so only single characters can be GLOB metacharacters.
      if (p.chars.length > 1) return `[${p.chars.join('')}]`;
      return '*?['.includes(p.chars[0]) ? `[${p.chars[0]}]` : p.chars[0];
    })
    .join('');
}

function stringTest(column: string, op: StringOp, value: string, params: unknown[]): string {
  if (op === 'LIKE' || op === 'ILIKE') {
    params.push(likeToGlob(value, op === 'ILIKE'));
    return `${column} GLOB ?`;
  }
  params.push(value);
  return `${column} ${op} ?`;
}

function inTest(column: string, negated: boolean, values: string[], params: unknown[]): string {
  params.push(...values);
  return `${column} ${negated ? 'NOT IN' : 'IN'} (${values.map(() => '?').join(', ')})`;
}

// Correlated EXISTS on (run_uuid, key): a primary-key lookup per candidate run, which stays cheap
// because the caller has already narrowed runs to a few experiments.
function keyedExists(table: string, test: string | null): string {
  return `EXISTS (SELECT 1 FROM ${table} k WHERE k.run_uuid = r.run_uuid AND k.key = ?${test ? ` AND ${test}` : ''})`;
}

function datasetExists(test: string): string {
  return (
    'EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_id = i.dataset_id ' +
    `WHERE i.run_uuid = r.run_uuid AND ${test})`
  );
}

function compileComparison(c: Comparison, params: unknown[]): string {
  const ident = c.ident;
  if (c.kind === 'null') {
    params.push(c.ident.key);
    const sql = keyedExists(KEYED_TABLE[c.ident.type], null);
    return c.negated ? sql : `NOT ${sql}`;
  }
  if (ident.type === 'attribute') {
    const col = COLUMN[ident.key];
    if (c.kind === 'numeric') {
      params.push(c.value);
      return `${col} ${c.op} ?`;
    }
    if (c.kind === 'string') return stringTest(col, c.op, c.value, params);
    if (c.kind === 'in') return inTest(col, c.negated, c.values, params);
  }
  if (ident.type === 'dataset') {
    const col = ident.key === 'context' ? 'i.context' : `d.${ident.key}`;
    if (c.kind === 'string') return datasetExists(stringTest(col, c.op, c.value, params));
    if (c.kind === 'in') return datasetExists(inTest(col, c.negated, c.values, params));
  }
  if (ident.type === 'metric' || ident.type === 'param' || ident.type === 'tag') {
    params.push(ident.key); // bound before the test's own parameters, matching placeholder order
    let test: string;
    if (c.kind === 'numeric') {
      // NaN is stored as NULL, so it fails every comparison, as it does in the evaluator.
      params.push(c.value);
      test = `k.value ${c.op} ?`;
    } else if (c.kind === 'string') test = stringTest('k.value', c.op, c.value, params);
    else if (c.kind === 'in') test = inTest('k.value', c.negated, c.values, params);
    else throw new Error('unreachable');
    return keyedExists(KEYED_TABLE[ident.type], test);
  }
  throw new Error(`search-sql: unsupported comparison ${JSON.stringify(c)}`);
}

function compileExpr(expr: FilterExpr, params: unknown[]): string {
  if (expr.kind === 'and' || expr.kind === 'or') {
    const glue = expr.kind === 'and' ? ' AND ' : ' OR ';
    return `(${expr.items.map((e) => compileExpr(e, params)).join(glue)})`;
  }
  return compileComparison(expr, params);
}

/** Compiles a parsed filter and order-by terms to SQL over `runs r`, with every user value bound as a parameter. */
export function compileSearch(expr: FilterExpr | null, order: OrderByTerm[]): CompiledSearch {
  const whereParams: unknown[] = [];
  const where = expr ? compileExpr(expr, whereParams) : '1 = 1';
  const joins: string[] = [];
  const joinParams: unknown[] = [];
  const orderBy: string[] = [];
  order.forEach((term, n) => {
    const dir = term.ascending ? 'ASC' : 'DESC';
    const ident = term.ident;
    if (ident.type === 'attribute') {
      orderBy.push(`${COLUMN[ident.key]} ${dir} NULLS LAST`);
      return;
    }
    const alias = `ob${n}`;
    joins.push(`LEFT JOIN ${KEYED_TABLE[ident.type]} ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}.key = ?`);
    joinParams.push(ident.key);
    // Missing keys and NaN metrics (stored NULL) both come out NULL: last in either direction, like MLflow.
    orderBy.push(`${alias}.value ${dir} NULLS LAST`);
  });
  if (order.length === 0) orderBy.push('r.start_time DESC');
  orderBy.push('r.run_uuid ASC');
  return { where, whereParams, joins: joins.join(' '), joinParams, orderBy: orderBy.join(', '), orderParams: [] };
}
