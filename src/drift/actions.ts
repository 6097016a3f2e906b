import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { invalid, MlxError } from '../core/errors.js';
import type { Metric } from '../core/entities.js';
import type { Store } from '../store/store.js';
import type { DriftReport } from './analyze.js';

/** Splits a command line into words as a shell would, quotes and backslashes included, but expands nothing. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) cur += text[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") [quote, inWord] = [ch, true];
    else if (ch === '\\' && i + 1 < text.length) [cur, inWord] = [cur + text[++i], true];
    else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      [cur, inWord] = ['', false];
    } else [cur, inWord] = [cur + ch, true];
  }
  if (quote) throw invalid(`--on-drift ${JSON.stringify(text)} has an unclosed ${quote} quote`);
  if (inWord) words.push(cur);
  if (words.length === 0) throw invalid('--on-drift needs a command');
  return words;
}

/** Finds a command as the OS would (a path, or a name on PATH), so a typo is refused before any work. */
export function checkCommand(name: string): void {
  const ok = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  const found = name.includes('/') ? ok(name) : (process.env.PATH ?? '').split(path.delimiter).some((d) => d && ok(path.join(d, name)));
  if (!found) throw invalid(`--on-drift command not found: ${name}`);
}

/**
 * The retraining trigger: runs CMD without a shell, the report's JSON path in MLX_DRIFT_REPORT;
 * resolves with its exit code. With outputToStderr its stdout goes to stderr, so `--json` keeps
 * stdout one JSON document.
 */
export function runOnDrift(command: string[], reportPath: string, outputToStderr = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      stdio: ['inherit', outputToStderr ? 2 : 'inherit', 'inherit'],
      env: { ...process.env, MLX_DRIFT_REPORT: reportPath },
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(new MlxError('INVALID_PARAMETER_VALUE', err.code === 'ENOENT' ? `--on-drift command not found: ${command[0]}` : `--on-drift could not start ${command[0]}: ${err.message}`)),
    );
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** A metric key from a column name: MLflow's key characters only. */
export function keyOf(column: string): string {
  return column.replace(/[^\p{L}\p{N}_\-./ ]/gu, '_').slice(0, 200) || '_';
}

/**
 * Records a drift check as metrics of a run, so drift can be charted over time: the share of
 * drifted columns, the verdict, and each column's statistic, p-value and verdict. Each check
 * takes the next step, so repeated checks form a history.
 */
export async function logDriftToRun(store: Store, runId: string, report: DriftReport): Promise<number> {
  const history = await store.getMetricHistory(runId, 'drift_share');
  const step = history.length ? Math.max(...history.map((m) => m.step)) + 1 : 0;
  await store.logBatch(runId, driftMetrics(report, step, Date.now()).map((m) => ({ type: 'metric' as const, ...m })));
  return step;
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
