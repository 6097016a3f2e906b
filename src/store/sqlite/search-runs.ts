import type { CountRunsInput, SearchRunsInput, SearchRunsResult } from '../store.js';
import { countRunsByTagQuery, countRunsQuery, countsByValue, pageOf, searchRunsQuery } from '../sql/search-query.js';
import type { Db } from './database.js';
import { loadRuns, type RunRow } from './run-loader.js';
import { SQLITE_DIALECT } from './search-sql.js';

export { MAX_RESULTS_LIMIT } from '../sql/search-query.js';

/** Filters, orders and pages runs in SQL, then loads the page's params, metrics and tags. */
export function searchRuns(db: Db, root: string, input: SearchRunsInput): SearchRunsResult {
  const q = searchRunsQuery(input, SQLITE_DIALECT);
  if (!q) return { runs: [] };
  const { page, nextPageToken } = pageOf(db.prepare(q.sql).all(...q.params) as RunRow[], q);
  return { runs: loadRuns(db, page, root), nextPageToken };
}

/** Counts the runs a search matches in SQL, loading none of them. */
export function countRuns(db: Db, input: CountRunsInput): number {
  const q = countRunsQuery(input, SQLITE_DIALECT);
  return q ? Number((db.prepare(q.sql).get(...q.params) as { n: number }).n) : 0;
}

/** Counts, per tag value, the matching runs carrying it, in one grouped query. */
export function countRunsByTag(db: Db, input: CountRunsInput, key: string, values: string[]): Record<string, number> {
  const q = countRunsByTagQuery(input, key, values, SQLITE_DIALECT);
  return countsByValue(values, q ? (db.prepare(q.sql).all(...q.params) as { v: string; n: number }[]) : []);
}
