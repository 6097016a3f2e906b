import type { CountRunsInput, SearchRunsInput, SearchRunsResult } from '../store.js';
import { countRunsQuery, pageOf, searchRunsQuery } from '../sql/search-query.js';
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
