import { invalid } from '../../core/errors.js';
import { parseFilter, parseOrderBy } from '../../core/search/index.js';
import type { CountRunsInput, SearchRunsInput } from '../store.js';
import { compileSearchSql, type SqlDialect } from './search-compiler.js';

export const MAX_RESULTS_LIMIT = 50_000;

/** Page tokens are opaque to callers: base64 of the offset, as MLflow's are. */
function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  const text = Buffer.from(token, 'base64').toString('utf8');
  const m = /^\{"offset":(\d+)\}$/.exec(text);
  if (!m) throw invalid(`page token ${JSON.stringify(token)} is not one this store issued`);
  return Number(m[1]);
}

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export interface SearchQuery {
  /** SELECT r.* … LIMIT ? OFFSET ?, with `?` placeholders in binding order. */
  sql: string;
  params: unknown[];
  max: number;
  offset: number;
}

/** The SQL of one page of a run search (null when no experiment is searched), shared by the SQL stores. */
export function searchRunsQuery(input: SearchRunsInput, dialect: SqlDialect): SearchQuery | null {
  const max = input.maxResults ?? 1000;
  if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS_LIMIT) throw invalid(`max results ${max} must be an integer between 1 and ${MAX_RESULTS_LIMIT}`);
  const expr = parseFilter(input.filter ?? '');
  const order = parseOrderBy(input.orderBy ?? []);
  const sql = compileSearchSql(expr, order, dialect);
  const offset = decodePageToken(input.pageToken);
  const view = input.viewType ?? 'active';
  const expIds = input.experimentIds.map(Number);
  if (expIds.length === 0) return null;
  const stage = view === 'all' ? '' : `AND r.lifecycle_stage = '${view === 'deleted' ? 'deleted' : 'active'}'`;
  const query = `SELECT r.* FROM runs r ${sql.joins}
    WHERE r.experiment_id IN (${expIds.map(() => '?').join(',')}) ${stage}
    ${sql.where ? `AND (${sql.where})` : ''}
    ORDER BY ${sql.orderBy} LIMIT ? OFFSET ?`;
  const params = [...sql.joinParams, ...expIds, ...sql.whereParams, ...(sql.orderParams ?? []), max + 1, offset];
  return { sql: query, params, max, offset };
}

/** Cuts the one extra row a page query fetches into the page and the next page's token. */
export function pageOf<T>(rows: T[], q: SearchQuery): { page: T[]; nextPageToken?: string } {
  const more = rows.length > q.max;
  return { page: more ? rows.slice(0, q.max) : rows, nextPageToken: more ? encodePageToken(q.offset + q.max) : undefined };
}

/** The SQL counting the runs a search matches (null when no experiment is searched), shared by the SQL stores. */
export function countRunsQuery(input: CountRunsInput, dialect: SqlDialect): { sql: string; params: unknown[] } | null {
  const expr = parseFilter(input.filter ?? '');
  const sql = compileSearchSql(expr, [], dialect);
  const view = input.viewType ?? 'active';
  const expIds = input.experimentIds.map(Number);
  if (expIds.length === 0) return null;
  const stage = view === 'all' ? '' : `AND r.lifecycle_stage = '${view === 'deleted' ? 'deleted' : 'active'}'`;
  const query = `SELECT count(*) AS n FROM runs r
    WHERE r.experiment_id IN (${expIds.map(() => '?').join(',')}) ${stage}
    ${sql.where ? `AND (${sql.where})` : ''}`;
  return { sql: query, params: [...expIds, ...sql.whereParams] };
}

/** The SQL counting, per value, the matching runs whose tag `key` has that value (one grouped query). */
export function countRunsByTagQuery(input: CountRunsInput, key: string, values: string[], dialect: SqlDialect): { sql: string; params: unknown[] } | null {
  const expr = parseFilter(input.filter ?? '');
  const sql = compileSearchSql(expr, [], dialect);
  const view = input.viewType ?? 'active';
  const expIds = input.experimentIds.map(Number);
  if (expIds.length === 0 || values.length === 0) return null;
  const stage = view === 'all' ? '' : `AND r.lifecycle_stage = '${view === 'deleted' ? 'deleted' : 'active'}'`;
  const query = `SELECT t.value AS v, count(*) AS n FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid AND t.key = ?
    WHERE r.experiment_id IN (${expIds.map(() => '?').join(',')}) ${stage}
    AND t.value IN (${values.map(() => '?').join(',')})
    ${sql.where ? `AND (${sql.where})` : ''}
    GROUP BY t.value`;
  return { sql: query, params: [key, ...expIds, ...values, ...sql.whereParams] };
}

/** Every asked value with its count, 0 for those no run carries. */
export function countsByValue(values: string[], rows: { v: string; n: number | string }[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(values.map((v) => [v, 0]));
  for (const r of rows) out[r.v] = Number(r.n);
  return out;
}
