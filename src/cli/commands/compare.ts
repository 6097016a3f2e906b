import type { Command } from 'commander';
import { collect, withStore } from '../context.js';

interface CompareOptions {
  json?: boolean;
  plot?: string;
  minimize?: string[];
  maximize?: string[];
  sweep?: string;
}

/** `mlx compare RUN RUN... | --sweep PARENT [--json] [--plot FILE.svg]`. */
export function registerCompareCommand(program: Command): void {
  program
    .command('compare [runs...]')
    .description('params and latest metrics side by side; differing params and best metrics marked')
    .option('--json', 'print {"runs","params","metrics"} as JSON')
    .option('--plot <file.svg>', "write an SVG chart of every metric's history, one line per run")
    .option('--minimize <metric>', 'lower is better for this metric (repeatable)', collect)
    .option('--maximize <metric>', 'higher is better for this metric (repeatable)', collect)
    .option('--sweep <run>', 'compare the child runs of this sweep (or any parent) run')
    .action(async (ids: string[], opts: CompareOptions, cmd: Command) => {
      const { compareRuns } = await import('./compare-run.js');
      await compareRuns(cmd, ids, opts);
    });
}
