import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { invalid, MlxError } from '../../core/errors.js';
import { parseTimeFlag } from '../../core/durations.js';
import { analyzeDrift, reportJson, type ColumnReport } from '../../drift/analyze.js';
import { SERVING_SCHEME, servingModel } from '../../drift/live-data.js';
import type { LogWindow } from '../../inference-log/inference-log.js';
import { driftOptions, type DriftAnalysisFlags } from '../drift-flags.js';
import { forFlag, intFlag } from '../flags.js';
import { checkCommand, runHook, splitCommand } from '../../app/external-command.js';
import { logDriftToRun } from '../../app/log-drift.js';
import { renderDriftHtml } from '../../drift/report-html.js';
import { withStore } from '../context.js';
import { colors, formatValue, painted, print, printable, printJson, renderTable, type Cell } from '../output.js';

export interface DriftFlags extends DriftAnalysisFlags {
  reference: string;
  current: string;
  json?: boolean;
  html?: string;
  failOnDrift?: boolean;
  onDrift?: string;
  logToRun?: string;
  since?: string;
  until?: string;
  variant?: string;
  modelVersion?: string;
}

/** Runs the drift check and its actions; returns the exit code (3 = drift with --fail-on-drift). */
export async function runDrift(f: DriftFlags, cmd: Command): Promise<number> {
  const options = driftOptions(f);
  const onDrift = f.onDrift !== undefined ? forFlag('--on-drift', () => splitCommand(f.onDrift!)) : null;
  if (onDrift) forFlag('--on-drift', () => checkCommand(onDrift[0]));
  if (f.html && !/\.html?$/i.test(f.html)) throw invalid(`--html ${JSON.stringify(f.html)} must name an .html file`);
  const live = liveWindow(f);
  const report = live
    ? await withStore(cmd, false, async (store) => {
        const { inferenceLogOf } = await import('../../store/inference-log-of.js');
        const { liveSource } = await import('../../drift/live-data.js');
        return analyzeDrift(f.reference, liveSource(await inferenceLogOf(store), live, f.reference, f.predictionColumn), options);
      })
    : await analyzeDrift(f.reference, f.current, options);
  const drifted = report.dataset_drift || !!report.prediction?.drift;
  if (f.logToRun) await withStore(cmd, false, async (store) => logDriftToRun(store, await store.resolveRunId(f.logToRun!), report));
  if (f.html) {
    const tmp = `${f.html}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(path.resolve(f.html)), { recursive: true });
    fs.writeFileSync(tmp, renderDriftHtml(report));
    fs.renameSync(tmp, f.html);
  }
  if (f.json) printJson(reportJson(report));
  else await printTable(report, f.html);
  if (drifted && onDrift) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-drift-'));
    const reportPath = path.join(dir, 'report.json');
    fs.writeFileSync(reportPath, JSON.stringify(reportJson(report), null, 2));
    let code: number;
    try {
      code = await forFlag('--on-drift', () => runHook(onDrift, { MLX_DRIFT_REPORT: reportPath }, !!f.json));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (code !== 0) throw new MlxError('INTERNAL_ERROR', `--on-drift command ${JSON.stringify(onDrift.join(' '))} exited with ${code}`);
  }
  return drifted && f.failOnDrift ? 3 : 0;
}

/** The window of logged traffic a `serving:MODEL` current names, or null for a file (whose flags must not be given). */
function liveWindow(f: DriftFlags): LogWindow | null {
  const model = f.current.startsWith(SERVING_SCHEME) ? servingModel(f.current) : null;
  if (!model) {
    const stray = (['since', 'until', 'variant', 'modelVersion'] as const).find((k) => f[k] !== undefined);
    if (stray) throw new MlxError('USAGE', `--${stray === 'modelVersion' ? 'model-version' : stray} only applies to --current serving:MODEL`);
    return null;
  }
  const now = Date.now();
  const since = f.since !== undefined ? parseTimeFlag('--since', f.since, now) : 0;
  const until = f.until !== undefined ? parseTimeFlag('--until', f.until, now) : now + 1;
  if (since >= until) throw new MlxError('USAGE', `--since ${f.since} is not before --until ${f.until ?? 'now'}`);
  if (f.variant !== undefined && f.variant.trim() === '') throw new MlxError('USAGE', '--variant needs a variant name');
  const version = f.modelVersion !== undefined ? intFlag('--model-version', f.modelVersion, { max: 2 ** 31 }) : undefined;
  return { model, since, until, variant: f.variant, version };
}

async function printTable(report: Awaited<ReturnType<typeof analyzeDrift>>, html: string | undefined): Promise<void> {
  const c = await colors();
  const row = (r: ColumnReport): Cell[] => {
    const paint = r.drift ? c.red : c.green;
    return [
      painted(`${r.column}${r.role === 'prediction' ? ' (prediction)' : ''}`, paint),
      r.type,
      r.test,
      formatValue(r.statistic),
      r.p_value === null ? '' : formatValue(r.p_value),
      formatValue(r.threshold),
      painted(r.drift ? 'DRIFT' : 'ok', paint),
    ];
  };
  const all = [...(report.prediction ? [report.prediction] : []), ...report.columns];
  print(await renderTable(['column', 'type', 'test', 'statistic', 'p-value', 'threshold', 'verdict'], all.map(row)));
  const share = `${report.drifted_columns} of ${report.number_of_columns} columns drifted (${(report.drift_share * 100).toFixed(0)}%, threshold ${(report.drift_share_threshold * 100).toFixed(0)}%)`;
  print(report.dataset_drift ? c.red.bold(`Dataset drift: ${share}`) : c.green.bold(`No dataset drift: ${share}`));
  if (report.prediction) print(report.prediction.drift ? c.red('Prediction drift.') : c.green('No prediction drift.'));
  if (report.correction.method !== 'none') print(c.dim(report.correction.note));
  if (html) print(`report written to ${printable(html)}`);
}
