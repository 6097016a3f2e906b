import type { Command } from 'commander';
import { notFound } from '../../core/errors.js';
import { withStore } from '../context.js';
import { formatTime, formatValue, print, printJson, printable, renderTable } from '../output.js';

const exact = (v: number) => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');

/** `mlx runs history RUN METRIC [--csv|--json]`: every logged value of a metric, by step then time. */
export async function metricHistory(cmd: Command, runRef: string, key: string, o: { csv?: boolean; json?: boolean }): Promise<void> {
  const { runId, points } = await withStore(cmd, false, async (store) => {
    const run = await store.getRun(await store.resolveRunId(runRef));
    if (!(key in run.metrics)) {
      const keys = Object.keys(run.metrics).sort();
      throw notFound(
        `run ${run.info.run_id} has no metric ${JSON.stringify(key)}; ${keys.length ? `its metrics: ${keys.slice(0, 20).join(', ')}${keys.length > 20 ? ', …' : ''}` : 'it has no metrics'}`,
      );
    }
    return { runId: run.info.run_id, points: await store.getMetricHistory(run.info.run_id, key) };
  });
  points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  if (o.json)
    return printJson({
      run_id: runId,
      key,
      history: points.map((p) => ({ step: p.step, value: Number.isFinite(p.value) ? p.value : exact(p.value), timestamp: p.timestamp })),
    });
  if (o.csv) {
    process.stdout.write(`step,value,timestamp\n${points.map((p) => `${p.step},${exact(p.value)},${p.timestamp}`).join('\n')}\n`);
    return;
  }
  print(
    await renderTable(
      ['step', printable(key), 'logged at'],
      points.map((p) => [String(p.step), formatValue(p.value), formatTime(p.timestamp)]),
      { colAligns: ['right', 'right', 'left'] },
    ),
  );
}
