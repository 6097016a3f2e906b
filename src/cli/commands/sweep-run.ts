import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { jsonNumber } from '../../core/entities.js';
import { validateRunName } from '../../core/validation.js';
import type { TrialRow } from '../../sweep/children.js';
import { runSweep, type SweepEvent, type SweepOutcome, type SweepProgress } from '../../sweep/sweep.js';
import type { SweepConfig } from '../../sweep/sweep-plan.js';
import { buildSweepConfig, maxFailuresFlag } from './sweep-flags.js';
import { missingCommand } from './run-command-check.js';
import { experimentArg } from '../../app/experiments.js';
import { startTaggedRun } from '../../app/start-run.js';
import { withStore } from '../context.js';
import { intFlag, optional, usage } from '../flags.js';
import { colors, formatValue, painted, print, printable, printJson, renderTable, type Cell } from '../output.js';

export interface SweepCliOptions {
  param?: string[];
  strategy?: string;
  maxRuns?: string;
  seed?: string;
  parallel?: string;
  metric?: string;
  goal?: string;
  earlyStop?: boolean;
  earlyStopMinRuns?: string;
  earlyStopWarmup?: string;
  failFast?: boolean;
  maxFailures?: string;
  experiment?: string;
  name?: string;
  tag?: string[];
  resume?: string;
  retryFailed?: boolean;
  stream?: boolean;
  json?: boolean;
}

const DEFINITION_FLAGS: [keyof SweepCliOptions, string][] = [
  ['param', '--param'],
  ['strategy', '--strategy'],
  ['maxRuns', '--max-runs'],
  ['seed', '--seed'],
  ['metric', '--metric'],
  ['goal', '--goal'],
  ['earlyStop', '--early-stop'],
  ['earlyStopMinRuns', '--early-stop-min-runs'],
  ['earlyStopWarmup', '--early-stop-warmup'],
  ['experiment', '--experiment'],
  ['name', '--name'],
  ['tag', '--tag'],
];

/** Checks the flags, runs the sweep, prints its outcome; returns the exit code. */
export async function sweepAction(cmd: Command, command: string[], opts: SweepCliOptions): Promise<number> {
  let config: SweepConfig | undefined;
  if (opts.resume !== undefined) {
    const clash = DEFINITION_FLAGS.find(([k]) => opts[k] !== undefined);
    if (clash || command.length)
      throw usage(`--resume takes the sweep's definition from its parent run; drop ${clash ? clash[1] : `the command ${JSON.stringify(command.join(' '))}`}`);
  } else {
    if (opts.retryFailed) throw usage('--retry-failed goes with --resume PARENT_RUN_ID');
    config = buildSweepConfig(opts, command, () => randomInt(0, 0x1_0000_0000));
    if (opts.name !== undefined) validateRunName(opts.name);
  }
  const parallel = optional('--parallel', opts.parallel, (flag, text) => intFlag(flag, text, { min: 1, max: 256 }));
  const maxFailures = maxFailuresFlag(opts.maxFailures);
  // A command that is not there fails every trial: refuse it before the sweep's parent run exists.
  if (config && !config.command[0].includes('{')) {
    const missing = missingCommand(config.command, cmd.parent!.commands.find((c) => c.name() === 'run') ?? cmd);
    if (missing) {
      process.stderr.write(`mlx: ${printable(missing.replace('(no run was created)', '(no sweep was started)'))}\n`);
      return 127;
    }
  }

  const view = new SweepView(!!opts.stream);
  const outcome = await withStore(cmd, opts.resume === undefined, (store) =>
    runSweep({
      store,
      cwd: process.cwd(),
      env: process.env,
      config,
      startRun: startTaggedRun,
      experiment: experimentArg(opts.experiment),
      name: opts.name,
      resume: opts.resume,
      retryFailed: opts.retryFailed,
      parallel,
      failFast: opts.failFast || undefined,
      maxFailures,
      onEvent: (e) => view.event(e),
      onLine: opts.stream ? (trial, _stream, line) => view.line(`[${trial}] ${line}`) : undefined,
    }),
  ).finally(() => view.close());
  if (opts.json) printJson(toJson(outcome));
  else await printTable(outcome);
  if (outcome.stoppedBy === 'interrupt' || (outcome.pending > 0 && (outcome.stoppedBy === 'fail-fast' || outcome.stoppedBy === 'max-failures')))
    process.stderr.write(`mlx: ${outcome.pending} of ${outcome.config.size} runs not done; finish them with: mlx sweep --resume ${outcome.parentRunId}\n`);
  return outcome.exitCode;
}

function paramText(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Event lines on stderr, and on a terminal a live status line under them. */
class SweepView {
  private status = '';
  private timer?: NodeJS.Timeout;
  private started = Date.now();
  private progress: SweepProgress | null = null;
  private metric: string | null = null;
  private readonly tty = !!process.stderr.isTTY;
  constructor(private readonly stream: boolean) {}

  line(text: string): void {
    if (this.status) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${text}\n`);
    if (this.status) process.stderr.write(this.status);
  }

  event(e: SweepEvent): void {
    if (e.type === 'warning') return this.line(`mlx: ${e.message}`);
    if (e.type === 'start') {
      const c = e.config;
      this.metric = c.metric;
      this.progress = e.progress;
      const what = `${c.size} runs (${c.strategy}${c.seed !== null ? `, seed ${c.seed}` : ''}), ${e.parallel} at a time`;
      const goal = c.metric ? `, ${c.goal === 'min' ? 'minimizing' : 'maximizing'} ${c.metric}${c.earlyStop ? ' with early stopping' : ''}` : '';
      this.line(
        e.resumed && e.pending === 0
          ? `mlx: sweep ${e.parent.run_id} (${e.parent.run_name}) has no runs left to do`
          : e.resumed
            ? `mlx: resuming sweep ${e.parent.run_id} (${e.parent.run_name}): ${e.pending} of ${c.size} runs to go, ${e.parallel} at a time`
            : `mlx: sweep ${e.parent.run_id} (${e.parent.run_name}) in experiment ${JSON.stringify(e.experiment.name)}: ${what}${goal}`,
      );
      if (this.tty) this.timer = setInterval(() => this.redraw(), 1000);
      return this.redraw();
    }
    if (e.type === 'stopping') {
      const n = `${e.running} running ${e.running === 1 ? 'child' : 'children'}`;
      if (e.reason === 'fail-fast') this.line(`mlx: a run failed and --fail-fast is set: stopping the sweep${e.running ? ` and ${n}` : ''}`);
      else if (e.reason === 'max-failures')
        this.line(
          `mlx: ${e.failures} runs in a row failed: stopping the sweep${e.running ? ` and ${n}` : ''} (check the command; --max-failures N to allow more, 0 for no limit)`,
        );
      else if (e.force) this.line(`mlx: ${e.signal} again: killing ${n}`);
      else this.line(`mlx: ${e.signal}: stopping ${n} (press Ctrl-C again to kill them)`);
      return;
    }
    this.progress = e.progress;
    if (e.type === 'trial-start') {
      if (this.stream) this.line(`mlx: trial ${e.trial.trial} started: ${paramText(e.trial.values)} (run ${e.runId})`);
      return this.redraw();
    }
    const head = `mlx: [${e.progress.done}/${e.progress.total}] trial ${e.trial.trial} `;
    const metric = this.metric && e.value !== null ? ` ${this.metric}=${formatValue(e.value)}` : '';
    const run = e.runId ? ` (run ${e.runId.slice(0, 8)})` : '';
    let text: string;
    if (e.earlyStop) {
      const d = e.earlyStop;
      text = `${head}early-stopped at step ${d.step}: ${formatValue(d.best)} worse than the median ${formatValue(d.median)} of ${d.runs} runs, ${paramText(e.trial.values)}${run}`;
    } else if (e.status === 'FAILED') {
      const why = e.exit.error ?? e.exit.firstError ?? e.exit.lastLine;
      text = `${head}FAILED${e.exit.code !== null ? ` (exit code ${e.exit.code})` : ''} ${paramText(e.trial.values)}${run}${why ? `: ${why}` : ''}`;
    } else text = `${head}${e.status}${metric} ${paramText(e.trial.values)}${run}${e.newBest && this.metric ? ' best so far' : ''}`;
    this.line(text);
    this.redraw();
  }

  private redraw(): void {
    if (!this.tty || !this.progress) return;
    const p = this.progress;
    const secs = Math.round((Date.now() - this.started) / 1000);
    const best = p.best && this.metric ? ` · best ${this.metric} ${formatValue(p.best.value)} (trial ${p.best.trial})` : '';
    this.status = `sweep ${p.done}/${p.total} done · ${p.running} running · ${p.failed} failed${best} · ${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
    process.stderr.write(`\r${this.status}\x1b[K`);
  }

  close(): void {
    clearInterval(this.timer);
    if (this.status) process.stderr.write('\r\x1b[K');
    this.status = '';
  }
}

function rowJson(r: TrialRow) {
  return { ...r, value: r.value === null ? null : jsonNumber(r.value) };
}

function toJson(o: SweepOutcome) {
  const c = o.config;
  const best = o.results.best;
  return {
    parent_run_id: o.parentRunId,
    name: o.parentName,
    experiment_id: o.experimentId,
    status: o.status,
    exit_code: o.exitCode,
    stopped_by: o.stoppedBy,
    strategy: c.strategy,
    seed: c.seed,
    size: c.size,
    metric: c.metric,
    goal: c.goal,
    pending: o.pending,
    counts: o.results.counts,
    best: best ? { trial: best.trial, run_id: best.run_id, value: jsonNumber(best.value!), params: best.params } : null,
    runs: o.results.rows.map(rowJson),
    config: c,
  };
}

async function printTable(o: SweepOutcome): Promise<void> {
  const c = await colors();
  const keys = [...new Set(o.results.rows.flatMap((r) => Object.keys(r.params)))];
  const metric = o.config.metric;
  const head = ['', 'trial', 'run id', 'status', ...keys, ...(metric ? [metric] : [])];
  const rows = o.results.rows.map((r) => {
    const cells: Cell[] = [
      r.best ? painted('*', c.green.bold) : '',
      String(r.trial),
      r.run_id.slice(0, 8),
      r.early_stopped && r.status === 'KILLED' ? 'EARLY-STOPPED' : r.status,
      ...keys.map((k) => r.params[k] ?? ''),
      ...(metric ? [r.value === null ? painted('-', c.dim) : formatValue(r.value)] : []),
    ];
    return r.best ? cells.map((x, i) => (i === 0 || typeof x !== 'string' ? x : painted(x, c.green))) : cells;
  });
  if (rows.length) print(await renderTable(head, rows));
  const n = o.results.counts;
  print(
    `sweep ${o.parentRunId} ${o.status}: ${n.finished} finished, ${n.failed} failed, ${n.killed} killed, ${n.early_stopped} early-stopped${n.not_started ? `, ${n.not_started} not started` : ''}`,
  );
  const b = o.results.best;
  if (b && metric) print(`best: trial ${b.trial} (run ${b.run_id}) ${metric}=${formatValue(b.value)} with ${paramText(b.params)}`);
  if (rows.length > 1) print(c.dim(`compare the runs: mlx compare --sweep ${o.parentRunId}`));
}
