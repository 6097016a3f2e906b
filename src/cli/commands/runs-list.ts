import type { Command } from 'commander';
import { runToJson, type Run, type ViewType } from '../../core/entities.js';
import { intFlag, usage } from '../flags.js';
import { withStore } from '../context.js';
import { formatDuration, formatTime, formatValue, print, printJson, renderTable } from '../output.js';
import { experimentIds } from '../../app/experiments.js';

const MAX_METRIC_COLUMNS = 4;
const MAX_PARAM_COLUMNS = 3;

/**
 * The keys worth a column: those whose values differ between the runs first (a param every
 * run shares tells nothing), then those most runs have.
 */
function keyColumns(runs: Run[], pick: (r: Run) => Record<string, unknown>, max: number): string[] {
  const seen = new Map<string, { count: number; values: Set<string> }>();
  for (const r of runs)
    for (const [k, v] of Object.entries(pick(r))) {
      const e = seen.get(k) ?? { count: 0, values: new Set<string>() };
      e.count++;
      e.values.add(String(v));
      seen.set(k, e);
    }
  return [...seen]
    .sort((a, b) => Number(b[1].values.size > 1) - Number(a[1].values.size > 1) || b[1].count - a[1].count || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([k]) => k)
    .sort();
}

export async function listRuns(
  cmd: Command,
  opts: { experiment?: string[]; filter?: string; orderBy?: string[]; max: string; view: string; json?: boolean },
): Promise<void> {
  const max = intFlag('--max', opts.max, { min: 1 });
  if (!['active', 'deleted', 'all'].includes(opts.view)) throw usage(`--view ${JSON.stringify(opts.view)} must be active, deleted or all`);
  const runs = await withStore(cmd, false, async (store) => {
    const ids = await experimentIds(store, opts.experiment);
    const res = await store.searchRuns({
      experimentIds: ids,
      filter: opts.filter,
      orderBy: opts.orderBy,
      maxResults: max,
      viewType: opts.view as ViewType,
    });
    return res.runs;
  });
  if (opts.json) return printJson({ runs: runs.map(runToJson) });
  if (runs.length === 0) return print('no runs');
  const metricKeys = keyColumns(runs, (r) => r.metrics, MAX_METRIC_COLUMNS);
  const paramKeys = keyColumns(runs, (r) => r.params, MAX_PARAM_COLUMNS);
  // Runs from several experiments say which one each came from.
  const manyExperiments = new Set(runs.map((r) => r.info.experiment_id)).size > 1;
  const head = ['run id', ...(manyExperiments ? ['exp'] : []), 'name', 'status', 'started', 'duration', ...paramKeys, ...metricKeys];
  const rows = runs.map((r) => [
    r.info.run_id.slice(0, 8),
    ...(manyExperiments ? [r.info.experiment_id] : []),
    r.info.run_name,
    r.info.status,
    formatTime(r.info.start_time),
    formatDuration(r.info.end_time == null ? null : r.info.end_time - r.info.start_time),
    ...paramKeys.map((k) => r.params[k] ?? ''),
    ...metricKeys.map((k) => formatValue(r.metrics[k])),
  ]);
  print(await renderTable(head, rows));
}
