import type { Command } from 'commander';
import { collect } from '../context.js';
import { examples } from '../help.js';
import type { SweepCliOptions } from './sweep-run.js';

/** `mlx sweep --param K=SPEC... [options] -- CMD ARGS...`: hyperparameter search, one child run per trial. */
export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('run CMD once per combination of params, each as a child run of one sweep run')
    .summary('hyperparameter search over a command')
    .argument('[cmd...]', 'the command and its arguments (after --); {KEY} in them is replaced by the value')
    .option(
      '-p, --param <key=spec>',
      'a param and its values (repeatable): A,B,C | choice:A,B | int:LOW:HIGH[:STEP] | quniform:LOW:HIGH:Q | uniform:LOW:HIGH | loguniform:LOW:HIGH',
      collect,
    )
    .option('--strategy <grid|random>', 'grid: every combination; random: --max-runs seeded draws (default: grid if every param can be listed)')
    .option('--max-runs <n>', 'random: how many runs (default 10); grid: refuse a grid larger than this')
    .option('--seed <n>', 'seed of the random search (default: a new one, recorded on the sweep run)')
    .option('--parallel <k>', 'children running at once (default 1)')
    .option('--metric <key>', 'the metric to optimize (the latest value each child logged)')
    .option('--goal <min|max>', 'minimize or maximize --metric (default: min for loss/error-like names, else max)')
    .option('--early-stop', 'stop a child whose metric is worse than the median of finished children at the same step')
    .option('--early-stop-min-runs <n>', 'finished children needed at a step before it is judged (default 3)')
    .option('--early-stop-warmup <steps>', 'steps before this one are never judged (default: a quarter of the steps finished children reached)')
    .option('--fail-fast', 'stop the whole sweep when a child fails')
    .option('--max-failures <n>', 'stop the sweep after N children in a row failed (default 3; 0: never; with --resume too)')
    .option('-e, --experiment <name|id>', 'experiment (created if missing; default: MLX_EXPERIMENT or Default)')
    .option('-n, --name <name>', 'name of the sweep run; the children are NAME-1, NAME-2, …')
    .option('-t, --tag <key=value>', 'tag the sweep run and every child (repeatable)', collect)
    .option('--resume <run>', 'finish an interrupted sweep (its parent run id): run only the trials not finished')
    .option('--retry-failed', 'with --resume: run failed trials again too')
    .option('--stream', "show the children's output on stderr, each line prefixed with its trial number")
    .option('--json', 'print the outcome as one JSON document')
    .passThroughOptions()
    .addHelpText(
      'after',
      examples([
        'mlx sweep --experiment image-classifier-v2 --name lr-bs-grid --param lr=0.001,0.01,0.1 --param batch_size=32,64 --metric val_accuracy --parallel 2 -- python train.py --lr {lr} --batch-size {batch_size}',
        'mlx sweep --param lr=loguniform:1e-4:1e-1 --param dropout=uniform:0:0.5 --max-runs 20 --seed 42 --metric val_loss -- python train.py',
        'mlx sweep --resume 3f9c2a1e --retry-failed',
      ]),
    )
    .action(async (command: string[], opts: SweepCliOptions, cmd: Command) => {
      const { sweepAction } = await import('./sweep-run.js');
      process.exitCode = await sweepAction(cmd, command, opts);
    });
}
