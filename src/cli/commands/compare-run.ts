import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildComparison, metricDirection, sortByMetric, type Comparison } from '../../app/compare.js';
import type { Run } from '../../core/entities.js';
import { invalid, MlxError } from '../../core/errors.js';
import { renderMetricsSvg, type MetricSeries } from '../plot/svg-chart.js';
import { renderParallelCoordinatesSvg, stackSvgs } from '../plot/parallel-coords.js';
import { sweepChildren } from '../../sweep/children.js';
import { withStore } from '../context.js';
import { colors, formatValue, painted, print, printable, printJson, renderTable, type Cell } from '../output.js';

export interface CompareFlags {
  json?: boolean;
  plot?: string;
  minimize?: string[];
  maximize?: string[];
  sweep?: string;
  sortBy?: string;
  rows?: boolean;
  side?: boolean;
}

/** Terminal width, else $COLUMNS, else 160 columns when stdout is not a terminal (a file, a pipe, CI logs). */
const terminalWidth = () => process.stdout.columns || Number(process.env.COLUMNS) || 160;

/** About how wide the runs-as-columns table is: the key column plus each run's widest cell. */
function sideBySideWidth(cmp: Comparison): number {
  const keyWidth = Math.max(8, ...Object.keys(cmp.params).map((k) => k.length + 2), ...Object.keys(cmp.metrics).map((k) => k.length + 2));
  let width = keyWidth + 4;
  for (const r of cmp.runs) {
    const cells = [
      r.run_name,
      ...Object.values(cmp.params).map((b) => b[r.run_id] ?? '-'),
      ...Object.values(cmp.metrics).map((b) => `${formatValue(b[r.run_id] as number)} *`),
    ];
    width += Math.max(8, ...cells.map((c) => String(c).length)) + 3;
  }
  return width;
}

/** A title that fits the chart: the run names for a few runs, else how many (and the sweep's name). */
function plotTitle(cmp: Comparison, sweep: string | null): string {
  const names = `mlx compare: ${cmp.runs.map((r) => r.run_name).join(' vs ')}`;
  if (cmp.runs.length <= 3 && names.length <= 70) return names;
  return `mlx compare: ${cmp.runs.length} runs${sweep ? ` of sweep ${sweep.length > 40 ? `${sweep.slice(0, 39)}…` : sweep}` : ''}`;
}

/**
 * One row per run (the layout for many runs): short id, name, the params that differ, every
 * metric with the best starred; the params every run shares are listed once below.
 */
async function rowsTable(cmp: Comparison): Promise<string> {
  const c = await colors();
  const metrics = Object.keys(cmp.metrics);
  const head = ['run', 'name', ...cmp.differingParams, ...metrics];
  const rows: Cell[][] = cmp.runs.map((r) => [
    r.run_id.slice(0, 8),
    r.run_name,
    ...cmp.differingParams.map((k) => cmp.params[k][r.run_id] ?? painted('-', c.dim)),
    ...metrics.map((k) => {
      const v = cmp.metrics[k][r.run_id];
      if (v === null || v === undefined) return painted('-', c.dim);
      return cmp.best[k]?.run_ids.includes(r.run_id) ? painted(`${formatValue(v)} *`, c.green.bold) : formatValue(v);
    }),
  ]);
  const same = Object.keys(cmp.params)
    .filter((k) => !cmp.differingParams.includes(k))
    .map((k) => `${k}=${cmp.params[k][cmp.runs[0].run_id]}`);
  return [
    await renderTable(head, rows),
    ...(same.length ? [`same in every run: ${printable(same.join(', '))}`] : []),
    c.dim('* best value (lower is better for loss/error-like names; --minimize/--maximize to say)'),
  ].join('\n');
}

export async function compareRuns(cmd: Command, ids: string[], opts: CompareFlags): Promise<void> {
  if (opts.rows && opts.side) throw new MlxError('USAGE', '--rows and --side: pick one layout');
  let sweepMetric: string | null = null;
  let sweepName: string | null = null;
  if (ids.length === 0 && opts.sweep === undefined) throw new MlxError('USAGE', 'give the runs to compare (RUN RUN...) or --sweep PARENT_RUN (see --help)');
  if (opts.plot && path.extname(opts.plot).toLowerCase() !== '.svg') throw invalid(`--plot ${JSON.stringify(opts.plot)} must name an .svg file`);
  const { runs, series } = await withStore(cmd, false, async (store) => {
    const runs: Run[] = [];
    for (const id of ids) runs.push(await store.getRun(await store.resolveRunId(id)));
    if (opts.sweep !== undefined) {
      const sweep = await sweepChildren(store, opts.sweep);
      runs.push(...sweep.runs);
      sweepMetric = sweep.metric;
      sweepName = (await store.getRun(await store.resolveRunId(opts.sweep))).info.run_name;
      // Mark the best as the sweep judged it, unless told otherwise.
      const m = sweep.metric;
      if (m !== null && sweep.goal !== null && !opts.minimize?.includes(m) && !opts.maximize?.includes(m))
        opts = { ...opts, [sweep.goal === 'min' ? 'minimize' : 'maximize']: [...((sweep.goal === 'min' ? opts.minimize : opts.maximize) ?? []), m] };
    }
    const series: MetricSeries[] = [];
    if (opts.plot) {
      const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
      for (const metric of keys) {
        const perRun = [];
        for (const r of runs)
          if (metric in r.metrics) perRun.push({ runId: r.info.run_id, runName: r.info.run_name, points: await store.getMetricHistory(r.info.run_id, metric) });
        series.push({ metric, runs: perRun });
      }
    }
    return { runs, series };
  });
  // Best first by the chosen metric (a sweep's own by default), so 48 trials read as a leaderboard.
  const sortBy = opts.sortBy ?? sweepMetric ?? undefined;
  if (sortBy !== undefined && !runs.some((r) => sortBy in r.metrics))
    throw new MlxError('USAGE', `--sort-by ${JSON.stringify(sortBy)}: none of the runs has this metric`);
  const sorted = sortBy === undefined ? runs : sortByMetric(runs, sortBy, opts);
  const cmp = buildComparison(sorted, { minimize: opts.minimize, maximize: opts.maximize });
  if (opts.plot) {
    const title = plotTitle(cmp, sweepName);
    let svg = renderMetricsSvg(series, { title });
    if (sweepMetric !== null && cmp.differingParams.length > 0)
      svg = stackSvgs([
        renderParallelCoordinatesSvg(
          sorted.map((r) => ({
            runId: r.info.run_id,
            name: r.info.run_name,
            params: r.params,
            value: sweepMetric! in r.metrics ? r.metrics[sweepMetric!] : null,
          })),
          { params: cmp.differingParams, metric: sweepMetric, goal: metricDirection(sweepMetric, opts), title: `${title}: params → ${sweepMetric}` },
        ),
        svg,
      ]);
    fs.mkdirSync(path.dirname(path.resolve(opts.plot)), { recursive: true });
    const tmp = `${opts.plot}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, svg);
    fs.renameSync(tmp, opts.plot);
  }
  if (opts.json) return printJson({ ...cmp, sorted_by: sortBy ?? null });
  if (opts.rows || (!opts.side && sideBySideWidth(cmp) > terminalWidth())) {
    print(await rowsTable(cmp));
    if (opts.plot) print(`chart written to ${opts.plot}`);
    return;
  }

  const c = await colors();
  const head = ['', ...cmp.runs.map((r) => `${printable(r.run_name)}\n${r.run_id.slice(0, 8)}`)];
  const paramRows = Object.entries(cmp.params).map(([k, byRun]): Cell[] => {
    const differs = cmp.differingParams.includes(k);
    return [differs ? painted(`≠ ${k}`, c.yellow) : `  ${k}`, ...cmp.runs.map((r) => byRun[r.run_id] ?? painted('-', c.dim))];
  });
  const metricRows = Object.entries(cmp.metrics).map(([k, byRun]): Cell[] => [
    `  ${k}`,
    ...cmp.runs.map((r) => {
      const v = byRun[r.run_id];
      if (v === null || v === undefined) return painted('-', c.dim);
      return cmp.best[k]?.run_ids.includes(r.run_id) ? painted(`${formatValue(v)} *`, c.green.bold) : formatValue(v);
    }),
  ]);
  const rows: Cell[][] = [
    ...(paramRows.length ? [[painted('params', c.bold), ...cmp.runs.map(() => '')], ...paramRows] : []),
    ...(metricRows.length ? [[painted('metrics', c.bold), ...cmp.runs.map(() => '')], ...metricRows] : []),
  ];
  print(await renderTable(head, rows));
  print(c.dim('≠ param differs between runs   * best value (lower is better for loss/error-like names; --minimize/--maximize to say)'));
  if (opts.plot) print(`chart written to ${opts.plot}`);
}
