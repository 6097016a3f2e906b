import type { AttributeKey, Comparison, FilterExpr, OrderByTerm, StringOp } from '../../core/search/index.js';

/**
 * What differs between the SQL databases a store runs on. Every fragment uses `?` placeholders,
 * bound in the order they appear; a dialect whose driver wants `$n` renumbers the assembled query.
 */
export interface SqlDialect {
  /** The test `column LIKE/ILIKE pattern` as the evaluator (core/search) defines it, binding what it needs. */
  like(column: string, pattern: string, ignoreCase: boolean, params: unknown[]): string;
  /** A placeholder for a number compared with a numeric column (PostgreSQL needs a cast for 1.5 or Infinity against BIGINT). */
  number: string;
}

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

class Compiler {
  constructor(private readonly dialect: SqlDialect) {}

  private stringTest(column: string, op: StringOp, value: string, params: unknown[]): string {
    if (op === 'LIKE' || op === 'ILIKE') return this.dialect.like(column, value, op === 'ILIKE', params);
    params.push(value);
    return `${column} ${op} ?`;
  }

  private inTest(column: string, negated: boolean, values: string[], params: unknown[]): string {
    params.push(...values);
    return `${column} ${negated ? 'NOT IN' : 'IN'} (${values.map(() => '?').join(', ')})`;
  }

  // Correlated EXISTS on (run_uuid, key): a primary-key lookup per candidate run, which stays cheap
  // because the caller has already narrowed runs to a few experiments.
  private keyedExists(table: string, test: string | null): string {
    return `EXISTS (SELECT 1 FROM ${table} k WHERE k.run_uuid = r.run_uuid AND k.key = ?${test ? ` AND ${test}` : ''})`;
  }

  private datasetExists(test: string): string {
    return 'EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_id = i.dataset_id ' + `WHERE i.run_uuid = r.run_uuid AND ${test})`;
  }

  private comparison(c: Comparison, params: unknown[]): string {
    const ident = c.ident;
    if (c.kind === 'null') {
      params.push(c.ident.key);
      const sql = this.keyedExists(KEYED_TABLE[c.ident.type], null);
      return c.negated ? sql : `NOT ${sql}`;
    }
    if (ident.type === 'attribute') {
      const col = COLUMN[ident.key];
      if (c.kind === 'numeric') {
        params.push(c.value);
        return `${col} ${c.op} ${this.dialect.number}`;
      }
      if (c.kind === 'string') return this.stringTest(col, c.op, c.value, params);
      if (c.kind === 'in') return this.inTest(col, c.negated, c.values, params);
    }
    if (ident.type === 'dataset') {
      const col = ident.key === 'context' ? 'i.context' : `d.${ident.key}`;
      if (c.kind === 'string') return this.datasetExists(this.stringTest(col, c.op, c.value, params));
      if (c.kind === 'in') return this.datasetExists(this.inTest(col, c.negated, c.values, params));
    }
    if (ident.type === 'metric' || ident.type === 'param' || ident.type === 'tag') {
      params.push(ident.key); // bound before the test's own parameters, matching placeholder order
      let test: string;
      if (c.kind === 'numeric') {
        // NaN is stored as NULL, so it fails every comparison, as it does in the evaluator.
        params.push(c.value);
        test = `k.value ${c.op} ${this.dialect.number}`;
      } else if (c.kind === 'string') test = this.stringTest('k.value', c.op, c.value, params);
      else if (c.kind === 'in') test = this.inTest('k.value', c.negated, c.values, params);
      else throw new Error('unreachable');
      return this.keyedExists(KEYED_TABLE[ident.type], test);
    }
    throw new Error(`search-sql: unsupported comparison ${JSON.stringify(c)}`);
  }

  expr(expr: FilterExpr, params: unknown[]): string {
    if (expr.kind === 'and' || expr.kind === 'or') return this.group(expr.items, expr.kind === 'and' ? ' AND ' : ' OR ', params);
    return this.comparison(expr, params);
  }

  // A balanced tree of parenthesised halves: SQL parsers nest `a OR b OR c …` one level per
  // operand, and SQLite refuses expressions over 1000 levels deep (a few hundred conditions
  // inside EXISTS). Halving keeps the depth at log2(n); AND and OR are associative.
  private group(items: FilterExpr[], glue: string, params: unknown[]): string {
    if (items.length === 1) return this.expr(items[0], params);
    const mid = items.length >> 1;
    return `(${this.group(items.slice(0, mid), glue, params)}${glue}${this.group(items.slice(mid), glue, params)})`;
  }
}

/**
 * Compiles a parsed filter and order-by terms to SQL over `runs r`, with every user value bound
 * as a parameter. Text columns must compare by code point (SQLite's BINARY, PostgreSQL's "C").
 */
export function compileSearchSql(expr: FilterExpr | null, order: OrderByTerm[], dialect: SqlDialect): CompiledSearch {
  const whereParams: unknown[] = [];
  const where = expr ? new Compiler(dialect).expr(expr, whereParams) : '1 = 1';
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
