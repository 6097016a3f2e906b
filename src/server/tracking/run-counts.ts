import { invalid } from '../../core/errors.js';
import type { Endpoints } from './route.js';
import type { TrackingContext } from './context.js';
import { viewType } from './route.js';

/** Experiments counted in one request: the UI's experiments page asks for one page of them at a time. */
const MAX_EXPERIMENTS = 1000;
/** Past this many runs an experiment is reported as "at least" (capped: true), so one request stays bounded. */
export const COUNT_CAP = 100_000;

/**
 * `GET /ajax-api/2.0/mlx/experiments/run-counts?experiment_ids=…[&view_type=]`: how many runs each
 * experiment holds, for the web UI's experiments list (MLflow has no count endpoint; its UI shows
 * none). Counted through the store's search, so every backend answers alike.
 */
export function runCountRoutes(api: Endpoints, ctx: TrackingContext): void {
  api.get('/experiments/run-counts', async (f) => {
    const ids = f.strList('experiment_ids');
    if (ids.length > MAX_EXPERIMENTS) throw invalid(`at most ${MAX_EXPERIMENTS} experiment_ids per request, not ${ids.length}`);
    const view = viewType(f.optStr('view_type'));
    const counts: Record<string, { runs: number; capped: boolean }> = {};
    for (const id of ids) {
      let n = 0;
      let pageToken: string | undefined;
      do {
        const page = await ctx.store.searchRuns({ experimentIds: [id], maxResults: 1000, viewType: view, pageToken });
        n += page.runs.length;
        pageToken = page.nextPageToken;
      } while (pageToken && n < COUNT_CAP);
      counts[id] = { runs: n, capped: !!pageToken };
    }
    return { counts };
  });
}
