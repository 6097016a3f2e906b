import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { invalid, MlxError } from '../../core/errors.js';
import { analyzeDrift, reportJson, type ColumnReport, type Correction } from '../../drift/analyze.js';
import { checkCommand, logDriftToRun, runOnDrift, splitCommand } from '../../drift/actions.js';
import { renderDriftHtml } from '../../drift/report-html.js';
import { parseTestName } from '../../drift/select-test.js';
import { withStore } from '../context.js';
import { colors, formatValue, print, printJson, renderTable } from '../output.js';
import type { DriftFlags } from './drift.js';

const list = (s: string | undefined) => s?.split(',').map((x) => x.trim()).filter(Boolean);

function number(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw invalid(`${flag} ${JSON.stringify(text)} is not a number`);
  return v;
}

/** Runs the drift check and its actions; returns the exit code (3 = drift with --fail-on-drift). */
export async function runDrift(f: DriftFlags, cmd: Command): Promise<number> {
  const test = parseTestName(f.test);
  if (!['none', 'bonferroni', 'fdr'].includes(f.correction)) throw invalid(`--correction ${JSON.stringify(f.correction)} must be none, bonferroni or fdr`);
  const onDrift = f.onDrift !== undefined ? splitCommand(f.onDrift) : null;
  if (onDrift) checkCommand(onDrift[0]);
  if (f.html && !/\.html?$/i.test(f.html)) throw invalid(`--html ${JSON.stringify(f.html)} must name an .html file`);
  const report = await analyzeDrift(f.reference, f.current, {
    columns: list(f.columns),
    categorical: list(f.categorical),
    numerical: list(f.numerical),
    test,
    threshold: f.threshold !== undefined ? number('--threshold', f.threshold) : undefined,
    driftShare: number('--drift-share', f.driftShare),
    correction: f.correction as Correction,
    predictionColumn: f.predictionColumn,
  });
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
      code = await runOnDrift(onDrift, reportPath, !!f.json);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (code !== 0) throw new MlxError('INTERNAL_ERROR', `--on-drift command ${JSON.stringify(onDrift.join(' '))} exited with ${code}`);
  }
  return drifted && f.failOnDrift ? 3 : 0;
}

async function printTable(report: Awaited<ReturnType<typeof analyzeDrift>>, html: string | undefined): Promise<void> {
  const c = await colors();
  const row = (r: ColumnReport) => {
    const paint = r.drift ? c.red : c.green;
    return [
      paint(`${r.column}${r.role === 'prediction' ? ' (prediction)' : ''}`),
      r.type,
      r.test,
      formatValue(r.statistic),
      r.p_value === null ? '' : formatValue(r.p_value),
      formatValue(r.threshold),
      paint(r.drift ? 'DRIFT' : 'ok'),
    ];
  };
  const all = [...(report.prediction ? [report.prediction] : []), ...report.columns];
  print(await renderTable(['column', 'type', 'test', 'statistic', 'p-value', 'threshold', 'verdict'], all.map(row)));
  const share = `${report.drifted_columns} of ${report.number_of_columns} columns drifted (${(report.drift_share * 100).toFixed(0)}%, threshold ${(report.drift_share_threshold * 100).toFixed(0)}%)`;
  print(report.dataset_drift ? c.red.bold(`Dataset drift: ${share}`) : c.green.bold(`No dataset drift: ${share}`));
  if (report.prediction) print(report.prediction.drift ? c.red('Prediction drift.') : c.green('No prediction drift.'));
  if (report.correction.method !== 'none') print(c.dim(report.correction.note));
  if (html) print(`report written to ${html}`);
}
