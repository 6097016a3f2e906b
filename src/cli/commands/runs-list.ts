import type { Command } from 'commander';
import { runToJson, type Run, type ViewType } from '../../core/entities.js';
import { intFlag, usage } from '../flags.js';
import { withStore } from '../context.js';
import { formatDuration, formatTime, formatValue, painted, print, printJson, printable, renderTable, type Cell } from '../output.js';
import { experimentIds } from '../../app/experiments.js';
import { cellValue, chooseColumns, columnName, parseColumns, queryColumns, runTree, statusText, type KeyColumn } from './runs-table.js';

export interface ListOptions {
  experiment?: string[];
  filter?: string;
  orderBy?: string[];
  max: string;
  view: string;
  json?: boolean;
  csv?: boolean;
  columns?: string;
  wide?: boolean;
  flat?: boolean;
}

const plural = (n: number, one: string) => `${n} more ${one}${n === 1 ? '' : 's'}`;

export async function listRuns(cmd: Command, opts: ListOptions): Promise<void> {
  const max = intFlag('--max', opts.max, { min: 1 });
  if (!['active', 'deleted', 'all'].includes(opts.view)) throw usage(`--view ${JSON.stringify(opts.view)} must be active, deleted or all`);
  if (opts.json && opts.csv) throw usage('--json and --csv: pick one output format');
  if (opts.columns !== undefined && opts.wide) throw usage('--columns and --wide: --wide shows every param and metric, --columns the ones you name');
  const columns = opts.columns === undefined ? undefined : parseColumns(opts.columns);
  const { runs, names } = await withStore(cmd, false, async (store) => {
    const ids = await experimentIds(store, opts.experiment);
    const res = await store.searchRuns({
      experimentIds: ids,
      filter: opts.filter,
      orderBy: opts.orderBy,
      maxResults: max,
      viewType: opts.view as ViewType,
    });
    const names = new Map<string, string>();
    for (const id of new Set(res.runs.map((r) => r.info.experiment_id))) names.set(id, (await store.getExperiment(id)).name);
    return { runs: res.runs, names };
  });
  if (opts.json) return printJson({ runs: runs.map(runToJson) });
  // The store parsed the query already: a bad one never reaches here.
  const query = queryColumns(opts.filter, opts.orderBy);
  if (opts.csv) return printCsv(runs, names, columns ?? chooseColumns(runs, { wide: true, query }).columns);
  if (runs.length === 0) return print('no runs');
  const choice = chooseColumns(runs, { columns, wide: opts.wide, query });
  // Runs from several experiments say which one each came from.
  const manyExperiments = names.size > 1;
  const head = [
    'run id',
    ...(manyExperiments ? ['experiment'] : []),
    'name',
    'status',
    'started',
    'duration',
    ...choice.columns.map(shortName(choice.columns)),
  ];
  const tree = opts.flat ? runs.map((run) => ({ run, prefix: '', best: false, bestShownBelow: false })) : runTree(runs);
  const rows: Cell[][] = tree.map(({ run: r, prefix, best, bestShownBelow }) => [
    r.info.run_id.slice(0, 8),
    ...(manyExperiments ? [names.get(r.info.experiment_id) ?? r.info.experiment_id] : []),
    `${prefix}${r.info.run_name}${best ? ' ★' : ''}`,
    statusText(r) === 'EARLY_STOPPED' ? painted('EARLY_STOPPED', (t) => t) : r.info.status,
    formatTime(r.info.start_time),
    formatDuration(r.info.end_time == null ? null : r.info.end_time - r.info.start_time),
    // A sweep's parent carries its best child's metrics: shown once, on the child (★).
    ...choice.columns.map((c) => (bestShownBelow && c.kind === 'metrics' ? '' : cellValue(r, c, formatValue))),
  ]);
  print(await renderTable(head, rows));
  const { params, metrics } = choice.hidden;
  if (params + metrics > 0 && !opts.wide)
    process.stderr.write(
      `mlx: ${[params ? plural(params, 'param') : '', metrics ? plural(metrics, 'metric') : ''].filter(Boolean).join(' and ')} not shown: --columns params.KEY,metrics.KEY or --wide\n`,
    );
}

/** Column heads: the bare key when it names one column only, else metrics.KEY / params.KEY. */
function shortName(all: KeyColumn[]) {
  return (c: KeyColumn) => (all.filter((o) => o.key === c.key).length > 1 || c.kind === 'tags' ? columnName(c) : c.key);
}

/**
 * A cell of an exported CSV: quoted when needed; text that a spreadsheet would run as a formula
 * (=, +, -, @ first, and not a number) gets a leading apostrophe, as OWASP advises.
 */
function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'number' ? formatNumber(v) : v;
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const formatNumber = (v: number) => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');
const iso = (ms: number | null | undefined) => (ms == null ? '' : new Date(ms).toISOString());

/** `--csv`: one row per run with full ids and exact values, as pandas reads it (MLflow's search_runs columns). */
function printCsv(runs: Run[], names: Map<string, string>, columns: KeyColumn[]): void {
  const head = ['run_id', 'experiment_id', 'experiment', 'run_name', 'status', 'parent_run_id', 'start_time', 'end_time', ...columns.map(columnName)];
  const lines = [head.map(csvCell).join(',')];
  for (const r of runs)
    lines.push(
      [
        r.info.run_id,
        r.info.experiment_id,
        names.get(r.info.experiment_id) ?? '',
        r.info.run_name,
        statusText(r),
        r.tags['mlflow.parentRunId'] ?? '',
        iso(r.info.start_time),
        iso(r.info.end_time),
        ...columns.map((c) => (c.kind === 'metrics' ? (r.metrics[c.key] ?? null) : cellValue(r, c, formatNumber))),
      ]
        .map(csvCell)
        .join(','),
    );
  process.stdout.write(`${printable(lines.join('\n'), { newlines: true })}\n`);
}
