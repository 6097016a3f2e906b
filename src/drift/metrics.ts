import type { Metric } from '../core/entities.js';
import type { DriftReport } from './analyze.js';

/** A metric key from a column name: MLflow's key characters only. */
export function keyOf(column: string): string {
  return column.replace(/[^\p{L}\p{N}_\-./ ]/gu, '_').slice(0, 200) || '_';
}

/** A drift check as metrics: drift_share, dataset_drift and each column's statistic, p_value and drift. */
export function driftMetrics(report: DriftReport, step: number, timestamp: number): Metric[] {
  const metrics: Metric[] = [
    { key: 'drift_share', value: report.drift_share, step, timestamp },
    { key: 'dataset_drift', value: report.dataset_drift ? 1 : 0, step, timestamp },
  ];
  for (const c of [...report.columns, ...(report.prediction ? [report.prediction] : [])]) {
    const k = `drift.${keyOf(c.column)}`;
    metrics.push({ key: `${k}.statistic`, value: c.statistic, step, timestamp });
    if (c.p_value !== null) metrics.push({ key: `${k}.p_value`, value: c.p_value, step, timestamp });
    metrics.push({ key: `${k}.drift`, value: c.drift ? 1 : 0, step, timestamp });
  }
  return metrics;
}
