import type { Command } from 'commander';
import { runToJson, type Run, type ViewType } from '../../core/entities.js';
import { invalid } from '../../core/errors.js';
import { parseInteger } from '../../core/validation.js';
import { withStore } from '../context.js';
import { formatDuration, formatTime, formatValue, print, printJson, renderTable } from '../output.js';
import { experimentIds } from './runs.js';

const MAX_KEY_COLUMNS = 4;

/** The keys most runs have, so the table shows the columns that matter. */
function commonKeys(runs: Run[], pick: (r: Run) => Record<string, unknown>): string[] {
  const count = new Map<string, number>();
  for (const r of runs) for (const k of Object.keys(pick(r))) count.set(k, (count.get(k) ?? 0) + 1);
  return [...count]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_KEY_COLUMNS)
    .map(([k]) => k)
    .sort();
}

export async function listRuns(
  cmd: Command,
  opts: { experiment?: string[]; filter?: string; orderBy?: string[]; max: string; view: string; json?: boolean },
): Promise<void> {
  const max = parseInteger('--max', opts.max);
  if (!['active', 'deleted', 'all'].includes(opts.view)) throw invalid(`--view ${JSON.stringify(opts.view)} must be active, deleted or all`);
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
  const metricKeys = commonKeys(runs, (r) => r.metrics);
  const paramKeys = commonKeys(runs, (r) => r.params);
  const head = ['run id', 'name', 'status', 'started', 'duration', ...paramKeys, ...metricKeys];
  const rows = runs.map((r) => [
    r.info.run_id.slice(0, 8),
    r.info.run_name,
    r.info.status,
    formatTime(r.info.start_time),
    formatDuration(r.info.end_time == null ? null : r.info.end_time - r.info.start_time),
    ...paramKeys.map((k) => r.params[k] ?? ''),
    ...metricKeys.map((k) => formatValue(r.metrics[k])),
  ]);
  print(await renderTable(head, rows));
}
