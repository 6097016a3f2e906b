import type { DriftReport } from '../drift/analyze.js';
import { driftMetrics } from '../drift/metrics.js';
import type { TrackingStore } from '../store/store.js';

/**
 * Records a drift check as metrics of a run, so drift can be charted over time: the share of
 * drifted columns, the verdict, and each column's statistic, p-value and verdict. Each check
 * takes the next step, so repeated checks form a history.
 */
export async function logDriftToRun(store: TrackingStore, runId: string, report: DriftReport): Promise<number> {
  const history = await store.getMetricHistory(runId, 'drift_share');
  const step = history.length ? Math.max(...history.map((m) => m.step)) + 1 : 0;
  await store.logBatch(
    runId,
    driftMetrics(report, step, Date.now()).map((m) => ({ type: 'metric' as const, ...m })),
  );
  return step;
}
