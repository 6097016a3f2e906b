import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../../core/durations.js';
import { prepareRun, startRun } from '../../app/start-run.js';
import { checkCommand, runHook, splitCommand } from '../../app/external-command.js';
import { reportJson } from '../../drift/analyze.js';
import { loadTable } from '../../drift/dataset.js';
import { checkJson, checkMetrics, type CheckResult, type MonitorConfig } from '../../monitor/check.js';
import { runMonitor } from '../../monitor/monitor.js';
import { systemClock } from '../../monitor/schedule.js';
import { inferenceLogOf } from '../../store/inference-log-of.js';
import type { Store } from '../../store/store.js';
import { withCheckedStore } from '../context.js';
import { driftOptions, type DriftAnalysisFlags } from '../drift-flags.js';
import { forFlag, intFlag, numberFlag, optional, usage } from '../flags.js';
import { formatTime, formatValue } from '../output.js';

export interface MonitorFlags extends DriftAnalysisFlags {
  reference: string;
  every: string;
  window?: string;
  onDrift?: string;
  logToRun?: string | true;
  experiment?: string;
  name?: string;
  minAccuracy?: string;
  maxMae?: string;
  minLabels: string;
  minRows: string;
  variant?: string;
  modelVersion?: string;
  maxChecks?: string;
  schema?: string;
  json?: boolean;
}

/** --schema FILE: read and checked now (a bad file: exit 1, an empty value: exit 2); each window is then validated against it. */
async function schemaValidation(cmd: Command, file: string | undefined, model: string): Promise<MonitorConfig['validate']> {
  if (file === undefined) return undefined;
  const { schemaFlag } = await import('../schema-flag.js');
  const { schema, name } = await schemaFlag(cmd, file);
  const { validateRows } = await import('../../data/validation/validate.js');
  const { feedLoggedTraffic, validationMetrics } = await import('../../app/data-validation.js');
  return async (log, w) => {
    const report = await validateRows(`serving:${model}`, schema, name, (v) => void feedLoggedTraffic(log, w, v));
    // The per-column summaries belong to mlx data validate's report; a check line stays short.
    const { columns: _c, reference: _r, ...json } = report;
    return {
      valid: report.valid,
      errors: report.statistics.errors,
      warnings: report.statistics.warnings,
      json,
      metrics: (step, timestamp) => validationMetrics(report, step, timestamp),
    };
  };
}

/** Everything the flags say, checked before anything is read or written. */
function configure(model: string, f: MonitorFlags): { cfg: MonitorConfig; every: number; maxChecks?: number } {
  if (!/^[\w.-]+$/.test(model)) throw usage(`MODEL ${JSON.stringify(model)} must be the served model's name (letters, digits, _ . -), e.g. clf`);
  const every = parseDuration('--every', f.every);
  const window = f.window !== undefined ? parseDuration('--window', f.window) : every;
  if (f.variant !== undefined && f.variant.trim() === '') throw usage('--variant needs a variant name');
  if (f.logToRun === undefined && (f.name !== undefined || f.experiment !== 'monitoring'))
    throw usage(`--${f.name !== undefined ? 'name' : 'experiment'} names the monitoring run: add --log-to-run`);
  return {
    every,
    maxChecks: f.maxChecks !== undefined ? intFlag('--max-checks', f.maxChecks, { max: 2 ** 31 }) : undefined,
    cfg: {
      model,
      reference: f.reference,
      window,
      variant: f.variant,
      version: f.modelVersion !== undefined ? intFlag('--model-version', f.modelVersion, { max: 2 ** 31 }) : undefined,
      drift: driftOptions(f),
      minRows: intFlag('--min-rows', f.minRows, { min: 2, max: 2 ** 31 }),
      minLabels: intFlag('--min-labels', f.minLabels, { max: 2 ** 31 }),
      minAccuracy: optional('--min-accuracy', f.minAccuracy, (flag, text) => numberFlag(flag, text, { min: 0, max: 1 })),
      maxMae: optional('--max-mae', f.maxMae, (flag, text) => numberFlag(flag, text, { min: 0 })),
    },
  };
}

/** `mlx monitor`: returns the exit code once --max-checks checks ran or a signal stopped it. */
export async function runMonitorCommand(model: string, f: MonitorFlags, cmd: Command): Promise<number> {
  const { cfg, every, maxChecks } = configure(model, f);
  cfg.validate = await schemaValidation(cmd, f.schema, model);
  const onDrift = f.onDrift !== undefined ? forFlag('--on-drift', () => splitCommand(f.onDrift!)) : null;
  if (onDrift) forFlag('--on-drift', () => checkCommand(onDrift[0]));
  const warn = (m: string) => process.stderr.write(`mlx: ${m}\n`);
  const params = [
    `model=${model}`,
    `reference=${f.reference}`,
    `every=${f.every}`,
    `window=${f.window ?? f.every}`,
    `min_rows=${cfg.minRows}`,
    `test=${f.test}`,
    `drift_share_threshold=${f.driftShare}`,
  ];
  for (const [k, v] of [
    ['variant', f.variant],
    ['model_version', f.modelVersion],
    ['min_accuracy', f.minAccuracy],
    ['max_mae', f.maxMae],
    ['on_drift', f.onDrift],
    ['schema', f.schema],
  ])
    if (v !== undefined) params.push(`${k}=${v}`);
  const prepared = prepareRun({
    experiment: f.experiment ?? 'monitoring',
    name: f.name ?? `monitor-${model}`,
    params,
    tags: [`mlx.monitor.model=${model}`],
    cwd: process.cwd(),
    env: process.env,
    warn,
  });
  // The reference is read by every check: a missing or unreadable one is refused now, not at the first window.
  await loadTable(cfg.reference, new Map(), null);
  return withCheckedStore(
    cmd,
    async (store) => {
      await inferenceLogOf(store);
      if (typeof f.logToRun === 'string') await store.resolveRunId(f.logToRun);
    },
    async (store) => watch(store, { cfg, every, maxChecks, onDrift, f, prepared, warn }),
  );
}

async function watch(
  store: Store,
  o: {
    cfg: MonitorConfig;
    every: number;
    maxChecks?: number;
    onDrift: string[] | null;
    f: MonitorFlags;
    prepared: ReturnType<typeof prepareRun>;
    warn: (m: string) => void;
  },
): Promise<number> {
  const log = await inferenceLogOf(store);
  let runId: string | null = null;
  let created = false;
  let base = 0;
  if (typeof o.f.logToRun === 'string') {
    runId = await store.resolveRunId(o.f.logToRun);
    base = Math.max(0, ...(await store.getMetricHistory(runId, 'rows')).map((m) => m.step));
  } else if (o.f.logToRun) {
    const { info, experiment } = await startRun(store, o.prepared);
    [runId, created] = [info.run_id, true];
    o.warn(`monitoring run ${runId} (${info.run_name}) in experiment ${JSON.stringify(experiment.name)}`);
  }
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) process.exit(130);
    o.warn(`${sig}: finishing the current check, then stopping`);
    ac.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const summary = await runMonitor(
      o.cfg,
      { every: o.every, maxChecks: o.maxChecks, settle: Math.min(1000, o.every / 2) },
      {
        log,
        clock: systemClock,
        signal: ac.signal,
        warn: o.warn,
        emit: (r) => process.stdout.write(o.f.json ? `${JSON.stringify(checkJson(r))}\n` : `${checkLine(r)}\n`),
        record: runId
          ? async (r) =>
              void (await store.logBatch(
                runId!,
                checkMetrics(r, base + r.check, Date.now()).map((m) => ({ type: 'metric' as const, ...m })),
              ))
          : undefined,
        trigger: o.onDrift ? (r) => trigger(o.onDrift!, r, !!o.f.json) : undefined,
      },
    );
    if (created) await store.updateRun(runId!, { status: summary.outcome === 'done' ? 'FINISHED' : 'KILLED', endTime: Date.now() });
    o.warn(
      `monitor ${summary.outcome === 'done' ? 'finished' : 'stopped'}: ${summary.checks} check${summary.checks === 1 ? '' : 's'}, ${summary.alerts} alerting, ${summary.triggers} triggered`,
    );
    return 0;
  } catch (err) {
    if (created) await store.updateRun(runId!, { status: 'FAILED', endTime: Date.now() }).catch(() => undefined);
    throw err;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** Runs the --on-drift command with the check's report (the drift report plus `monitor`) in MLX_DRIFT_REPORT. */
async function trigger(command: string[], r: CheckResult, json: boolean): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-monitor-'));
  try {
    const file = path.join(dir, 'report.json');
    const { drift: _d, ...monitor } = checkJson(r);
    fs.writeFileSync(file, JSON.stringify({ ...(r.drift ? (reportJson(r.drift) as object) : {}), monitor }, null, 2));
    return await forFlag('--on-drift', () => runHook(command, { MLX_DRIFT_REPORT: file }, json));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A check in one line for people. */
export function checkLine(r: CheckResult): string {
  const parts = [`check ${r.check} ${formatTime(r.window.since)} to ${formatTime(r.window.until).slice(11)}: ${r.rows} rows`];
  parts.push(r.drift ? `${r.drift.drifted_columns} of ${r.drift.number_of_columns} columns drifted` : (r.driftNote ?? ''));
  if (r.validation)
    parts.push(
      r.validation.valid
        ? `valid${r.validation.warnings ? ` (${r.validation.warnings} warnings)` : ''}`
        : `invalid: ${r.validation.errors} error expectation${r.validation.errors === 1 ? '' : 's'} failed`,
    );
  const s = r.scores.all;
  if (s.labeled) {
    const by =
      r.scores.variants.length > 1
        ? ` (${r.scores.variants.map((v) => `${v.variant}${v.shadow ? ' shadow' : ''} ${formatValue(v.accuracy ?? v.mae)}`).join(', ')})`
        : '';
    parts.push(`${s.labeled} labeled, ${s.accuracy !== null ? `accuracy ${formatValue(s.accuracy)}` : `MAE ${formatValue(s.mae)}`}${by}`);
  }
  if (r.unknownFeedback) parts.push(`${r.unknownFeedback} feedback items for unknown request ids`);
  parts.push(
    r.verdict === 'alert' ? `ALERT: ${r.reasons.join('; ')}${r.triggered ? '; --on-drift started' : ''}` : r.verdict === 'clean' ? 'ok' : 'not enough data',
  );
  return parts.join(' · ');
}
