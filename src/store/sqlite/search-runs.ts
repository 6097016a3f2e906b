import { invalid } from '../../core/errors.js';
import { parseFilter, parseOrderBy } from '../../core/search/index.js';
import type { SearchRunsInput, SearchRunsResult } from '../store.js';
import type { Db } from './database.js';
import { loadRuns, type RunRow } from './run-loader.js';
import { compileSearch } from './search-sql.js';

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

/** Filters, orders and pages runs in SQL, then loads the page's params, metrics and tags. */
export function searchRuns(db: Db, root: string, input: SearchRunsInput): SearchRunsResult {
  const max = input.maxResults ?? 1000;
  if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS_LIMIT)
    throw invalid(`max results ${max} must be an integer between 1 and ${MAX_RESULTS_LIMIT}`);
  const expr = parseFilter(input.filter ?? '');
  const order = parseOrderBy(input.orderBy ?? []);
  const sql = compileSearch(expr, order);
  const offset = decodePageToken(input.pageToken);
  const view = input.viewType ?? 'active';
  const expIds = input.experimentIds.map(Number);
  if (expIds.length === 0) return { runs: [] };
  const stage = view === 'all' ? '' : `AND r.lifecycle_stage = '${view === 'deleted' ? 'deleted' : 'active'}'`;
  const query = `SELECT r.* FROM runs r ${sql.joins}
    WHERE r.experiment_id IN (${expIds.map(() => '?').join(',')}) ${stage}
    ${sql.where ? `AND (${sql.where})` : ''}
    ORDER BY ${sql.orderBy} LIMIT ? OFFSET ?`;
  const rows = db
    .prepare(query)
    .all(...sql.joinParams, ...expIds, ...sql.whereParams, ...(sql.orderParams ?? []), max + 1, offset) as RunRow[];
  const more = rows.length > max;
  const page = more ? rows.slice(0, max) : rows;
  return { runs: loadRuns(db, page, root), nextPageToken: more ? encodePageToken(offset + max) : undefined };
}
