import type { Command } from 'commander';
import { examples } from '../help.js';
import type { ReproCliOptions } from './repro-run.js';

/** `mlx repro [STAGE]`: runs the pipeline of mlx.yaml, only the stages whose inputs changed. */
export function registerReproCommand(program: Command): void {
  program
    .command('repro')
    .description(
      'run the stages of mlx.yaml whose command, deps or params changed since mlx.lock, in dependency order, each as a run nested under one pipeline run',
    )
    .summary('reproduce the mlx.yaml pipeline (only what changed)')
    .argument('[stage]', 'a stage (or a foreach group): it and the stages upstream of it (default: every stage)')
    .option('-f, --force', 'run the selected stages even if nothing changed')
    .option('--dry-run', 'say what would run and why, run nothing')
    .option('-j, --jobs <n>', 'independent stages run at once (default 1)')
    .option('-s, --single', 'only STAGE, not the stages upstream of it')
    .option('--no-run-cache', 'run changed stages even when an earlier execution with the same inputs is in the cache')
    .option('-e, --experiment <name|id>', 'experiment of the runs (created if missing; default: MLX_EXPERIMENT or Default)')
    .option('-n, --name <name>', 'name of the pipeline run (default: repro)')
    .option('--json', 'print the outcome as one JSON document')
    .addHelpText(
      'after',
      examples(
        [
          'mlx repro --dry-run               # what would run, and why',
          'mlx repro train --jobs 2          # train and what it needs, two stages at a time',
          'mlx repro -e pets --json',
        ],
        'Stages are declared in mlx.yaml (cmd, deps, params, outs, metrics, foreach); see `mlx dag`.',
      ),
    )
    .action(async (stage: string | undefined, opts: ReproCliOptions, cmd: Command) => {
      const { reproAction } = await import('./repro-run.js');
      process.exitCode = await reproAction(cmd, stage, opts);
    });
}
