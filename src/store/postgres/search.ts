import type { Pool } from 'pg';
import type { Run } from '../../core/entities.js';
import { parseLikePattern } from '../../core/search/index.js';
import type { SqlDialect } from '../sql/search-compiler.js';
import { countRunsByTagQuery, countRunsQuery, countsByValue, pageOf, searchRunsQuery } from '../sql/search-query.js';
import { assembleRuns, type InputRow, type KeyValueRow, type MetricRow, type RunRow } from '../sql/rows.js';
import type { CountRunsInput, SearchRunsInput, SearchRunsResult } from '../store.js';
import { numbered, rows, type Queryable } from './connection.js';

const inBrackets = (ch: string) => ('\\^-[]'.includes(ch) ? `\\${ch}` : ch);

/**
 * PostgreSQL: numbers cast to double precision (1.5 and Infinity against BIGINT columns); LIKE
 * as LIKE with backslash escapes; ILIKE as an anchored regular expression with a [xX] class per
 * letter, so case folds exactly as the evaluator folds it (PostgreSQL's ILIKE follows the locale).
 * Text columns are COLLATE "C", so `_` is one code point and order is code-point order.
 */
export const PG_DIALECT: SqlDialect = {
  like(column, pattern, ignoreCase, params) {
    const parts = parseLikePattern(pattern, ignoreCase);
    if (!ignoreCase) {
      params.push(parts.map((p) => (p.kind === 'any' ? '%' : p.kind === 'one' ? '_' : p.chars[0].replace(/[%_\\]/, '\\$&'))).join(''));
      return `${column} LIKE ?`;
    }
    params.push(`^${parts.map((p) => (p.kind === 'any' ? '.*' : p.kind === 'one' ? '.' : `[${p.chars.map(inBrackets).join('')}]`)).join('')}$`);
    return `${column} ~ ?`;
  },
  number: 'CAST(? AS double precision)',
};

/** Loads params, latest metrics, tags and dataset inputs of many runs with one query each. */
export async function loadRuns(db: Queryable, runRows: RunRow[], root: string | undefined): Promise<Run[]> {
  if (runRows.length === 0) return [];
  const ids = [runRows.map((r) => r.run_uuid)];
  return assembleRuns(runRows, root, {
    params: await rows<KeyValueRow>(db, 'SELECT run_uuid, key, value FROM params WHERE run_uuid = ANY($1)', ids),
    tags: await rows<KeyValueRow>(db, 'SELECT run_uuid, key, value FROM tags WHERE run_uuid = ANY($1)', ids),
    metrics: await rows<MetricRow>(db, 'SELECT run_uuid, key, value, is_nan, step, timestamp FROM latest_metrics WHERE run_uuid = ANY($1)', ids),
    inputs: await rows<InputRow>(
      db,
      `SELECT i.run_uuid, i.context, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
       FROM inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_uuid = ANY($1) ORDER BY i.dataset_id`,
      ids,
    ),
  });
}

/** Filters, orders and pages runs in SQL (the compiler SQLite uses, in this dialect), then loads the page. */
export async function searchRuns(pool: Pool, root: string | undefined, input: SearchRunsInput): Promise<SearchRunsResult> {
  const q = searchRunsQuery(input, PG_DIALECT);
  if (!q) return { runs: [] };
  const { page, nextPageToken } = pageOf(await rows<RunRow>(pool, numbered(q.sql), q.params), q);
  return { runs: await loadRuns(pool, page, root), nextPageToken };
}

/** Counts the runs a search matches in SQL, loading none of them. */
export async function countRuns(pool: Pool, input: CountRunsInput): Promise<number> {
  const q = countRunsQuery(input, PG_DIALECT);
  if (!q) return 0;
  const [row] = await rows<{ n: string | number }>(pool, numbered(q.sql), q.params);
  return Number(row?.n ?? 0);
}

/** Counts, per tag value, the matching runs carrying it, in one grouped query. */
export async function countRunsByTag(pool: Pool, input: CountRunsInput, key: string, values: string[]): Promise<Record<string, number>> {
  const q = countRunsByTagQuery(input, key, values, PG_DIALECT);
  return countsByValue(values, q ? await rows<{ v: string; n: string }>(pool, numbered(q.sql), q.params) : []);
}
