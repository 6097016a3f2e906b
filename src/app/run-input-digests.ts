import type { Store } from '../store/store.js';
import { restorableInputs } from './run-inputs.js';

/** Every digest any run (active or deleted, in any experiment) recorded as a restorable input: what `mlx data gc` keeps. */
export async function runInputDigests(store: Store): Promise<Set<string>> {
  const out = new Set<string>();
  const experiments = await store.listExperiments('all');
  const ids = experiments.map((e) => e.experiment_id);
  if (ids.length === 0) return out;
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns({ experimentIds: ids, viewType: 'all', maxResults: 1000, pageToken });
    for (const run of page.runs) for (const i of restorableInputs(run.inputs)) out.add(i.digest);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}
