import type { Command } from 'commander';
import { examples } from '../help.js';

/**
 * `mlx data …`: versioned data (add, status, checkout, push, pull, gc, ls, show, log, remote).
 * One function per subcommand; each loads its work from data-run.ts (or its own X-run.ts) lazily.
 * Other subcommands (profile, validate) register here the same way.
 */
export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description('version datasets: store them in a content-addressed cache, commit small pointers to git, push and pull them')
    .summary('version datasets (add, status, checkout, push, pull)')
    .addHelpText(
      'after',
      examples([
        'mlx data add data/raw.csv data/images  # writes data/raw.csv.mlx.json, data/images.mlx.json',
        'git add data/*.mlx.json data/.gitignore && git commit -m "data v1"',
        'mlx data remote add team http://127.0.0.1:5000 --default',
        'mlx data push',
        'mlx data checkout  # after git checkout of another commit',
      ]),
    );
  dataAdd(data);
  dataStatus(data);
  dataCheckout(data);
}

/** `mlx data add`. */
function dataAdd(data: Command): void {
  data
    .command('add <paths...>')
    .description('hash files or folders into the cache and write PATH.mlx.json pointers (to commit) and .gitignore entries')
    .option('--json', 'print {"added":[...]} as JSON')
    .addHelpText('after', examples(['mlx data add data/train.csv', 'mlx data add data/images --json']))
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const { runDataAdd } = await import('./data-run.js');
      await runDataAdd(paths, opts);
    });
}

/** `mlx data status`. */
function dataStatus(data: Command): void {
  data
    .command('status [paths...]')
    .description('which tracked paths changed or were deleted since their pointer (per file for folders)')
    .option('--json', 'print {"paths":[...]} as JSON')
    .addHelpText('after', examples(['mlx data status', 'mlx data status data/images --json']))
    .action(async (paths: string[], opts: { json?: boolean }) => {
      const { runDataStatus } = await import('./data-run.js');
      await runDataStatus(paths, opts);
    });
}

/** `mlx data checkout`. */
function dataCheckout(data: Command): void {
  data
    .command('checkout [pointers...]')
    .description('make tracked paths match their pointers, linking files from the cache')
    .option('--force', 'overwrite changes to tracked data that were never added')
    .option('--copy', 'copy files instead of linking them (reflink, else read-only hard link)')
    .option('--json', 'print {"paths":[...]} as JSON')
    .addHelpText('after', examples(['git checkout v1.0 && mlx data checkout', 'mlx data checkout data/raw.csv.mlx.json --copy']))
    .action(async (pointers: string[], opts: { force?: boolean; copy?: boolean; json?: boolean }) => {
      const { runDataCheckout } = await import('./data-run.js');
      await runDataCheckout(pointers, opts);
    });
}
