import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { invalid } from '../core/errors.js';
import type { Metric } from '../core/entities.js';
import type { TableVisitor } from '../data/validation/table-reader.js';
import type { ValidationReport } from '../data/validation/validate.js';
import type { InferenceLog, LogWindow } from '../inference-log/inference-log.js';
import type { Store } from '../store/store.js';
import { describeWindow } from '../drift/live-data.js';
import { keyOf } from '../drift/metrics.js';

/** Feeds the logged traffic of a window to a table visitor: the logged input columns, and the model's answer as `prediction`. */
export function feedLoggedTraffic(log: InferenceLog, w: LogWindow, v: TableVisitor): number {
  const index = new Map<string, number>();
  const names: string[] = [];
  const add = (name: string) => {
    let i = index.get(name);
    if (i === undefined) {
      index.set(name, (i = names.push(name) - 1));
      v.columns(names.slice());
    }
    return i;
  };
  let rows = 0;
  for (const r of log.rows(w)) {
    rows++;
    const cols = r.columns && r.input !== null ? r.columns.map(add) : [];
    const p = add('prediction');
    const values = new Array<unknown>(names.length);
    if (cols.length) {
      const logged = JSON.parse(r.input!) as unknown[];
      cols.forEach((i, j) => (values[i] = logged[j]));
    }
    const pred = JSON.parse(r.prediction) as unknown;
    values[p] = Array.isArray(pred) ? (pred.length === 1 ? pred[0] : JSON.stringify(pred)) : pred;
    v.row(values, rows);
  }
  if (rows === 0)
    throw invalid(`no logged rows for ${describeWindow(w)}; is the model served with mlx serve --log-inputs, and is the window right (--since, --until)?`);
  return rows;
}

/** A validation as metrics: the verdict and counts, and per expectation 1 when it failed (its unexpected rows where counted). */
export function validationMetrics(r: ValidationReport, step: number, timestamp: number): Metric[] {
  const m = (key: string, value: number): Metric => ({ key, value, step, timestamp });
  const out = [
    m('validation.valid', r.valid ? 1 : 0),
    m('validation.rows', r.rows),
    m('validation.failed', r.statistics.failed),
    m('validation.errors', r.statistics.errors),
    m('validation.warnings', r.statistics.warnings),
  ];
  let n = 0;
  for (const x of r.results) {
    if (x.status === 'skipped') continue;
    const key = x.expect === 'expression' ? `validation.expression.${n++}` : `validation.${x.column !== undefined ? `${keyOf(x.column)}.` : ''}${x.expect}`;
    out.push(m(`${key}.failed`, x.status === 'failed' ? 1 : 0));
    if (x.unexpected !== undefined) out.push(m(`${key}.unexpected`, x.unexpected));
  }
  return out;
}

/**
 * Records a validation in a run: its metrics at the next step (so checks chart over time) and the
 * JSON report (and the HTML one, when written) as artifacts under `validation/`.
 */
export async function logValidationToRun(store: Store, runRef: string, report: ValidationReport, htmlFile?: string): Promise<{ run_id: string; step: number }> {
  const runId = await store.resolveRunId(runRef);
  const run = await store.getRun(runId);
  if (run.info.lifecycle_stage !== 'active') throw invalid(`run ${runId} is deleted; restore it first: mlx runs restore ${runId}`);
  const history = await store.getMetricHistory(runId, 'validation.valid');
  const step = history.length ? Math.max(...history.map((x) => x.step)) + 1 : 0;
  const { artifactRepository } = await import('../artifacts/open-repository.js');
  const repo = await artifactRepository(run.info.artifact_uri, store.uri, store.http);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-validation-'));
  try {
    const json = path.join(dir, `validation-${step}.json`);
    fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    await repo.log(json, 'validation');
    if (htmlFile) {
      const html = path.join(dir, `validation-${step}.html`);
      fs.copyFileSync(htmlFile, html);
      await repo.log(html, 'validation');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await store.logBatch(
    runId,
    validationMetrics(report, step, Date.now()).map((x) => ({ type: 'metric' as const, ...x })),
  );
  return { run_id: runId, step };
}
