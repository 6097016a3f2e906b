import type { Command } from 'commander';
import { experimentArg } from '../../app/experiments.js';
import { collect, withStore } from '../context.js';
import { examples } from '../help.js';
import type { ListOptions } from './runs-list.js';

/** `mlx runs list|show|delete|restore|start|end`. */
export function registerRunsCommands(program: Command): void {
  const runs = program
    .command('runs')
    .description('search, inspect, start, end, delete and restore runs')
    .summary('search, inspect, start and end runs')
    .addHelpText(
      'after',
      examples([
        'mlx runs list --experiment image-classifier-v2 --order-by "metrics.val_accuracy DESC"',
        'mlx runs show 060a59',
        'mlx runs delete 060a59 0a132d',
      ]),
    );
  runsList(runs);
  runsShow(runs);
  runsDeleteRestore(runs);
  runsStart(runs);
  runsEnd(runs);
  runsReproduce(runs);
  runsHistory(runs);
}

/** `mlx runs reproduce`. */
function runsReproduce(runs: Command): void {
  runs
    .command('reproduce <run>')
    .description("restore a run's git commit (as a worktree), its --input data at the recorded digests, and print its command")
    .option('--dir <dir>', 'folder for the worktree (default: REPO-run-RUNID8 beside the repository)')
    .option('--execute', 'run the command again as a new run tagged mlx.reproducedFrom')
    .option('--json', 'print what was restored (or the new run) as JSON')
    .addHelpText('after', examples(['mlx runs reproduce 060a59', 'mlx runs reproduce 060a59 --dir /tmp/repro --execute']))
    .action(async (run: string, opts: { dir?: string; execute?: boolean; json?: boolean }, cmd: Command) => {
      const { reproduceRun } = await import('./runs-reproduce.js');
      await reproduceRun(cmd, run, opts);
    });
}

/** `mlx runs history`. */
function runsHistory(runs: Command): void {
  runs
    .command('history <run> <metric>')
    .description("a metric's every logged value (step, value, time), not only the latest")
    .option('--csv', 'print CSV: step,value,timestamp (ms)')
    .option('--json', 'print {"run_id","key","history":[{step,value,timestamp}]} as JSON')
    .addHelpText('after', examples(['mlx runs history 060a59 val_loss', 'mlx runs history 060a59 val_loss --csv > val_loss.csv']))
    .action(async (run: string, metric: string, opts: { csv?: boolean; json?: boolean }, cmd: Command) => {
      const { usage } = await import('../flags.js');
      if (opts.csv && opts.json) throw usage('--json and --csv: pick one output format');
      const { metricHistory } = await import('./runs-history.js');
      await metricHistory(cmd, run, metric, opts);
    });
}

/** `mlx runs list`. */
function runsList(runs: Command): void {
  runs
    .command('list')
    .description("search runs with MLflow's filter grammar (plus OR and parentheses)")
    .option('-e, --experiment <name|id>', 'experiment to search (repeatable; default: all active experiments)', collect)
    .option('-f, --filter <expr>', `e.g. "metrics.acc > 0.9 and params.opt = 'adam'"`)
    .option('-o, --order-by <clause>', 'e.g. "metrics.acc DESC" (repeatable)', collect)
    .option('-m, --max <n>', 'most runs to show', '100')
    .option('--view <view>', 'active, deleted or all', 'active')
    .option('--json', 'print {"runs":[...]} as JSON')
    .option('--csv', 'print CSV: ids, names, status, times, every param and metric (or --columns)')
    .option('--columns <keys>', 'the columns to show, e.g. params.lr,metrics.acc,tags.stage (the ordered-by and filtered-on ones are always shown)')
    .option('--wide', 'show every param and metric')
    .option('--flat', 'list children (sweep trials, pipeline stages) in order, not nested under their parent')
    .addHelpText(
      'after',
      examples([
        'mlx runs list --experiment image-classifier-v2 --filter "metrics.val_accuracy > 0.9 and params.optimizer = \'AdamW\'"',
        'mlx runs list -e image-classifier-v2 --order-by "metrics.val_accuracy DESC" --max 5',
        'mlx runs list -e image-classifier-v2 --columns params.lr,metrics.val_accuracy --csv > runs.csv',
      ]),
    )
    .action(async (opts: ListOptions, cmd: Command) => {
      const { listRuns } = await import('./runs-list.js');
      await listRuns(cmd, opts);
    });
}

/** `mlx runs show`. */
function runsShow(runs: Command): void {
  runs
    .command('show <run>')
    .description('everything about a run: info, params, latest metrics, tags, datasets, artifacts')
    .option('--json', 'print the run as JSON')
    .addHelpText('after', examples(['mlx runs show 060a59  # any unique prefix of 6+ characters', 'mlx runs show 060a59 --json']))
    .action(async (run: string, opts: { json?: boolean }, cmd: Command) => {
      const { showRun } = await import('./runs-show.js');
      await showRun(cmd, run, opts);
    });
}

/** `mlx runs delete` and `mlx runs restore`. */
function runsDeleteRestore(runs: Command): void {
  for (const action of ['delete', 'restore'] as const)
    runs
      .command(`${action} <runs...>`)
      .description(`${action} runs (soft delete, as in MLflow)`)
      .addHelpText('after', examples(['mlx runs delete 060a59 0a132d  # soft delete, as in MLflow', 'mlx runs restore 060a59']))
      .action(async (ids: string[], _opts: unknown, cmd: Command) => {
        await withStore(cmd, false, async (store) => {
          const full: string[] = [];
          for (const id of ids) full.push(await store.resolveRunId(id));
          for (const id of full) await (action === 'delete' ? store.deleteRun(id) : store.restoreRun(id));
        });
      });
}

/** `mlx runs start`. */
function runsStart(runs: Command): void {
  runs
    .command('start')
    .description('start a run and print its id (for pipelines whose steps are separate processes)')
    .option('-e, --experiment <name|id>', 'experiment (created if missing; default: MLX_EXPERIMENT or Default)')
    .option('-n, --name <name>', 'run name (default: a generated one)')
    .option('-p, --param <key=value>', 'log a param (repeatable)', collect)
    .option('-t, --tag <key=value>', 'set a tag (repeatable)', collect)
    .option('--json', 'print the run info as JSON')
    .addHelpText(
      'after',
      examples([
        'RUN=$(mlx runs start --experiment image-classifier-v2 --name nightly --param model=resnet50)',
        'mlx log metric val_accuracy 0.91 --run "$RUN"',
        'mlx runs end "$RUN" --status FINISHED',
      ]),
    )
    .action(async (opts: { experiment?: string; name?: string; param?: string[]; tag?: string[]; json?: boolean }, cmd: Command) => {
      const { prepareRun, startRun } = await import('../../app/start-run.js');
      const prepared = prepareRun({
        experiment: experimentArg(opts.experiment),
        name: opts.name,
        params: opts.param,
        tags: opts.tag,
        cwd: process.cwd(),
        env: process.env,
        warn: (m) => process.stderr.write(`mlx: ${m}\n`),
      });
      const { info } = await withStore(cmd, true, (store) => startRun(store, prepared));
      process.stdout.write(opts.json ? `${JSON.stringify(info)}\n` : `${info.run_id}\n`);
    });
}

/** `mlx runs end`. */
function runsEnd(runs: Command): void {
  runs
    .command('end <run>')
    .description('end a run started with `mlx runs start`')
    .option('-s, --status <status>', 'FINISHED, FAILED or KILLED', 'FINISHED')
    .option('--json', 'print the run info as JSON')
    .addHelpText('after', examples(['mlx runs end 060a59  # FINISHED by default', 'mlx runs end 060a59 --status FAILED']))
    .action(async (run: string, opts: { status: string; json?: boolean }, cmd: Command) => {
      const { parseRunStatus } = await import('../../core/validation.js');
      const { invalid } = await import('../../core/errors.js');
      const status = parseRunStatus(opts.status);
      if (status === 'RUNNING' || status === 'SCHEDULED') throw invalid(`--status ${opts.status} does not end a run; use FINISHED, FAILED or KILLED`);
      const info = await withStore(cmd, false, async (store) => store.updateRun(await store.resolveRunId(run), { status, endTime: Date.now() }));
      if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
    });
}

/** Experiment ids named by --experiment (repeatable, comma-separated allowed), or every active experiment. */
