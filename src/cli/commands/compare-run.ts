import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildComparison } from '../../core/compare.js';
import type { Run } from '../../core/entities.js';
import { invalid } from '../../core/errors.js';
import { renderMetricsSvg, type MetricSeries } from '../../core/plot/svg-chart.js';
import { withStore } from '../context.js';
import { colors, formatValue, print, printJson, renderTable } from '../output.js';

export async function compareRuns(
  cmd: Command,
  ids: string[],
  opts: { json?: boolean; plot?: string; minimize?: string[]; maximize?: string[] },
): Promise<void> {
  if (opts.plot && path.extname(opts.plot).toLowerCase() !== '.svg')
    throw invalid(`--plot ${JSON.stringify(opts.plot)} must name an .svg file`);
  const { runs, series } = await withStore(cmd, false, async (store) => {
    const runs: Run[] = [];
    for (const id of ids) runs.push(await store.getRun(await store.resolveRunId(id)));
    const series: MetricSeries[] = [];
    if (opts.plot) {
      const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
      for (const metric of keys) {
        const perRun = [];
        for (const r of runs)
          if (metric in r.metrics)
            perRun.push({ runId: r.info.run_id, runName: r.info.run_name, points: await store.getMetricHistory(r.info.run_id, metric) });
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
  const head = ['', ...cmp.runs.map((r) => `${r.run_name}\n${r.run_id.slice(0, 8)}`)];
  const paramRows = Object.entries(cmp.params).map(([k, byRun]) => {
    const differs = cmp.differingParams.includes(k);
    return [differs ? c.yellow(`≠ ${k}`) : `  ${k}`, ...cmp.runs.map((r) => byRun[r.run_id] ?? c.dim('-'))];
  });
  const metricRows = Object.entries(cmp.metrics).map(([k, byRun]) => [
    `  ${k}`,
    ...cmp.runs.map((r) => {
      const v = byRun[r.run_id];
      if (v === null || v === undefined) return c.dim('-');
      return cmp.best[k]?.run_ids.includes(r.run_id) ? c.green.bold(`${formatValue(v)} *`) : formatValue(v);
    }),
  ]);
  const rows = [
    ...(paramRows.length ? [[c.bold('params'), ...cmp.runs.map(() => '')], ...paramRows] : []),
    ...(metricRows.length ? [[c.bold('metrics'), ...cmp.runs.map(() => '')], ...metricRows] : []),
  ];
  print(await renderTable(head, rows));
  print(c.dim('≠ param differs between runs   * best value (lower is better for loss/error-like names; --minimize/--maximize to say)'));
  if (opts.plot) print(`chart written to ${opts.plot}`);
}
