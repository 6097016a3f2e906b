import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildComparison } from '../../app/compare.js';
import type { Run } from '../../core/entities.js';
import { invalid, MlxError } from '../../core/errors.js';
import { renderMetricsSvg, type MetricSeries } from '../plot/svg-chart.js';
import { sweepChildren } from '../../sweep/children.js';
import { withStore } from '../context.js';
import { colors, formatValue, painted, print, printable, printJson, renderTable, type Cell } from '../output.js';

export async function compareRuns(
  cmd: Command,
  ids: string[],
  opts: { json?: boolean; plot?: string; minimize?: string[]; maximize?: string[]; sweep?: string },
): Promise<void> {
  if (ids.length === 0 && opts.sweep === undefined) throw new MlxError('USAGE', 'give the runs to compare (RUN RUN...) or --sweep PARENT_RUN (see --help)');
  if (opts.plot && path.extname(opts.plot).toLowerCase() !== '.svg') throw invalid(`--plot ${JSON.stringify(opts.plot)} must name an .svg file`);
  const { runs, series } = await withStore(cmd, false, async (store) => {
    const runs: Run[] = [];
    for (const id of ids) runs.push(await store.getRun(await store.resolveRunId(id)));
    if (opts.sweep !== undefined) {
      const sweep = await sweepChildren(store, opts.sweep);
      runs.push(...sweep.runs);
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
  const cmp = buildComparison(runs, { minimize: opts.minimize, maximize: opts.maximize });
  if (opts.plot) {
    fs.mkdirSync(path.dirname(path.resolve(opts.plot)), { recursive: true });
    const tmp = `${opts.plot}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, renderMetricsSvg(series, { title: `mlx compare: ${cmp.runs.map((r) => r.run_name).join(' vs ')}` }));
    fs.renameSync(tmp, opts.plot);
  }
  if (opts.json) return printJson(cmp);

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
