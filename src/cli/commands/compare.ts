import type { Command } from 'commander';
import { collect } from '../context.js';
import { examples } from '../help.js';
import type { CompareFlags } from './compare-run.js';

/** `mlx compare RUN RUN... | --sweep PARENT [--json] [--plot FILE.svg]`. */
export function registerCompareCommand(program: Command): void {
  program
    .command('compare [runs...]')
    .description('params and latest metrics side by side; differing params and best metrics marked')
    .summary('compare runs side by side')
    .option('--json', 'print {"runs","params","metrics"} as JSON')
    .option('--plot <file.svg>', "write an SVG chart of every metric's history, one line per run")
    .option('--minimize <metric>', 'lower is better for this metric (repeatable)', collect)
    .option('--maximize <metric>', 'higher is better for this metric (repeatable)', collect)
    .option('--sweep <run>', 'compare the child runs of this sweep (or any parent) run; --plot adds a parallel-coordinates chart')
    .option('--sort-by <metric>', "order the runs best first by this metric (default with --sweep: the sweep's metric)")
    .option('--rows', 'one row per run (the default when runs side by side would not fit the terminal)')
    .option('--side', 'runs side by side as columns, however wide')
    .addHelpText(
      'after',
      examples([
        'mlx compare 060a59 0a132d --plot curves.svg',
        'mlx compare --sweep 3f9c2a1e --plot sweep.svg  # leaderboard + parallel coordinates',
        'mlx compare 060a59 0a132d 7d3e21 --sort-by val_loss --json',
      ]),
    )
    .action(async (ids: string[], opts: CompareFlags, cmd: Command) => {
      const { compareRuns } = await import('./compare-run.js');
      await compareRuns(cmd, ids, opts);
    });
}
