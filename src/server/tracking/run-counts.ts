import { invalid } from '../../core/errors.js';
import type { CountRunsInput, Store } from '../../store/store.js';
import type { TrackingContext } from './context.js';
import type { Endpoints } from './route.js';
import { viewType } from './route.js';

/** Experiments (or parent runs) counted in one request: the UI asks for one page of them at a time. */
const MAX_IDS = 1000;
/**
 * A store that cannot count in its database (the REST store) is counted by paging its search,
 * which loads every run: past this many an answer says "at least" (capped: true).
 */
export const PAGED_COUNT_CAP = 10_000;
const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PARENT_TAG = 'mlflow.parentRunId';

/** How many runs a search matches: in the database when the store can, else by paging (capped). */
async function countOf(store: Store, input: CountRunsInput): Promise<{ runs: number; capped: boolean }> {
  if (store.countRuns) return { runs: await store.countRuns(input), capped: false };
  let n = 0;
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns({ ...input, maxResults: 1000, pageToken });
    n += page.runs.length;
    pageToken = page.nextPageToken;
  } while (pageToken && n < PAGED_COUNT_CAP);
  return { runs: n, capped: !!pageToken };
}

function idsOf(list: string[], field: string): string[] {
  if (list.length > MAX_IDS) throw invalid(`at most ${MAX_IDS} ${field} per request, not ${list.length}`);
  return list;
}

/**
 * mlx's counting endpoints for the web UI (MLflow has none; its UI shows no counts):
 * `GET mlx/experiments/run-counts?experiment_ids=…[&view_type=]`, the runs of each experiment
 * (the experiments list), and `GET mlx/runs/child-counts?experiment_ids=…&run_ids=…[&view_type=]`,
 * the child runs of each run (the runs table nests a sweep's trials under it and loads them
 * only when opened). Counted in SQL: no run is loaded.
 */
export function runCountRoutes(api: Endpoints, ctx: TrackingContext): void {
  api.get('/experiments/run-counts', async (f) => {
    const ids = idsOf(f.strList('experiment_ids'), 'experiment_ids');
    const view = viewType(f.optStr('view_type'));
    const counts: Record<string, { runs: number; capped: boolean }> = {};
    for (const id of ids) counts[id] = await countOf(ctx.store, { experimentIds: [id], viewType: view });
    return { counts };
  });
  api.get('/runs/child-counts', async (f) => {
    const experimentIds = idsOf(f.strList('experiment_ids'), 'experiment_ids');
    if (!experimentIds.length) throw invalid("Missing value for required parameter 'experiment_ids'");
    const runIds = idsOf(f.strList('run_ids'), 'run_ids');
    const bad = runIds.find((id) => !RUN_ID.test(id));
    if (bad !== undefined) throw invalid(`run id ${JSON.stringify(bad)} is not a run id (letters, digits, _ and -, at most 64)`);
    const view = viewType(f.optStr('view_type'));
    const counts: Record<string, { runs: number; capped: boolean }> = {};
    if (ctx.store.countRunsByTag) {
      // One grouped query for the whole page, not one count per run.
      const byParent = await ctx.store.countRunsByTag({ experimentIds, viewType: view }, PARENT_TAG, runIds);
      for (const id of runIds) counts[id] = { runs: byParent[id] ?? 0, capped: false };
      return { counts };
    }
    for (const id of runIds) counts[id] = await countOf(ctx.store, { experimentIds, viewType: view, filter: `tags.\`${PARENT_TAG}\` = '${id}'` });
    return { counts };
  });
}
