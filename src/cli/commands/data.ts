import type { Command } from 'commander';
import { examples } from '../help.js';
import { registerDataProfile } from './data-profile.js';
import { registerDataValidate } from './data-validate.js';

/**
 * `mlx data …`: versioned data (add, status, checkout, push, pull, gc, ls, show, log, remote) and data
 * validation (profile, validate).
 * One function per subcommand; each loads its work from data-run.ts (or its own X-run.ts) lazily.
 * Other subcommands (profile, validate) register here the same way.
 */
export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description('version datasets (a content-addressed cache, small pointers committed to git, push and pull) and validate them against a schema')
    .summary('version and validate datasets (add, status, checkout, push, pull, validate)')
    .addHelpText(
      'after',
      examples(
        [
          'mlx data add data/raw.csv data/images  # writes data/raw.csv.mlx.json, data/images.mlx.json: commit them',
          'mlx data remote add team http://127.0.0.1:5000 --default',
          'mlx data checkout  # after git checkout of another commit',
        ],
        'Then `mlx data push` shares the data; a clone gets it with `mlx data pull`. Validate data with `mlx data profile` and `mlx data validate`.',
      ),
    );
  dataAdd(data);
  dataStatus(data);
  dataCheckout(data);
  dataPushPull(data);
  dataRemote(data);
  dataGc(data);
  dataLs(data);
  dataShow(data);
  dataLog(data);
  registerDataProfile(data);
  registerDataValidate(data);
}

/** `mlx data add`. */
function dataAdd(data: Command): void {
  data
    .command('add <paths...>')
    .description('hash files or folders into the cache and write PATH.mlx.json pointers (to commit) and .gitignore entries')
    .option('--link', 'hard-link files into the cache instead of copying them (much faster for many files; they become read-only, as after checkout)')
    .option('--json', 'print {"added":[...]} as JSON')
    .addHelpText('after', examples(['mlx data add data/train.csv', 'mlx data add data/images --json', 'mlx data add data/images --link']))
    .action(async (paths: string[], opts: { json?: boolean; link?: boolean }) => {
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

/** `mlx data push` and `mlx data pull`. */
function dataPushPull(data: Command): void {
  for (const verb of ['push', 'pull'] as const)
    data
      .command(`${verb} [pointers...]`)
      .description(
        verb === 'push'
          ? 'upload the objects of tracked data (all pointers, or those named) that the remote lacks'
          : 'download the objects of tracked data the cache lacks (verified), then check the data out',
      )
      .option('-r, --remote <name>', 'remote to use (default: the default remote)')
      .option('-j, --jobs <n>', 'objects moved at once', '8')
      .option('--json', 'print the transfer as JSON')
      .addHelpText('after', examples([`mlx data ${verb}`, `mlx data ${verb} data/images.mlx.json --remote team --jobs 16`]))
      .action(async (pointers: string[], opts: { remote?: string; jobs: string; json?: boolean }) => {
        const { runDataTransfer } = await import('./data-run.js');
        await runDataTransfer(verb, pointers, opts);
      });
}

/** `mlx data remote add|list|remove|default`. */
function dataRemote(data: Command): void {
  const remote = data
    .command('remote')
    .description('configure where data is pushed and pulled (stored in .mlx/config.json: commit it)')
    .addHelpText(
      'after',
      examples([
        'mlx data remote add team http://127.0.0.1:5000 --default  # an mlx server',
        'mlx data remote add nas /mnt/nas/mlx-data',
        'mlx data remote list',
      ]),
    );
  remote
    .command('add <name> <url>')
    .description('add a remote: a folder, http(s)://HOST:PORT of an mlx server, or an artifact URI (s3://…)')
    .option('--default', 'make it the default remote')
    .option('-f, --force', 'replace a remote of the same name')
    .addHelpText('after', examples(['mlx data remote add team http://127.0.0.1:5000 --default', 'mlx data remote add nas /mnt/nas/mlx-data']))
    .action(async (name: string, url: string, opts: { default?: boolean; force?: boolean }) => {
      const { runRemoteAdd } = await import('./data-run.js');
      await runRemoteAdd(name, url, opts);
    });
  remote
    .command('list')
    .description('list the remotes')
    .option('--json', 'print {"remotes":[...]} as JSON')
    .addHelpText('after', examples(['mlx data remote list', 'mlx data remote list --json']))
    .action(async (opts: { json?: boolean }) => {
      const { runRemoteList } = await import('./data-run.js');
      await runRemoteList(opts);
    });
  remote
    .command('remove <name>')
    .description('remove a remote (its data stays where it is)')
    .addHelpText('after', examples(['mlx data remote remove nas']))
    .action(async (name: string) => {
      const { runRemoteRemove } = await import('./data-run.js');
      await runRemoteRemove(name);
    });
  remote
    .command('default <name>')
    .description('make a remote the default')
    .addHelpText('after', examples(['mlx data remote default team']))
    .action(async (name: string) => {
      const { runRemoteDefault } = await import('./data-run.js');
      await runRemoteDefault(name);
    });
}

/** `mlx data gc`. */
function dataGc(data: Command): void {
  data
    .command('gc')
    .description('remove cache objects no pointer references (objects a run recorded as inputs are kept unless --force)')
    .option('--all-commits', 'also keep what pointers in any git commit (all branches and tags) reference')
    .option('--force', "also remove objects only runs' recorded inputs reference")
    .option('-n, --dry-run', 'say what would be removed, remove nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples(['mlx data gc --all-commits --dry-run', 'mlx data gc']))
    .action(async (opts: { allCommits?: boolean; force?: boolean; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const { runDataGc } = await import('./data-run.js');
      await runDataGc(cmd, opts);
    });
}

/** `mlx data ls`. */
function dataLs(data: Command): void {
  data
    .command('ls')
    .description('list tracked data: every pointer in the project')
    .option('--json', 'print {"tracked":[...]} as JSON')
    .addHelpText('after', examples(['mlx data ls', 'mlx data ls --json']))
    .action(async (opts: { json?: boolean }) => {
      const { runDataLs } = await import('./data-run.js');
      await runDataLs(opts);
    });
}

/** `mlx data show`. */
function dataShow(data: Command): void {
  data
    .command('show <pointer>')
    .description("a pointer's digest, size, rows and columns, and for a cached folder its files")
    .option('--json', 'print the pointer (and files) as JSON')
    .addHelpText('after', examples(['mlx data show data/train.csv.mlx.json', 'mlx data show data/images --json']))
    .action(async (pointer: string, opts: { json?: boolean }) => {
      const { runDataShow } = await import('./data-run.js');
      await runDataShow(pointer, opts);
    });
}

/** `mlx data log`. */
function dataLog(data: Command): void {
  data
    .command('log <path>')
    .description('the versions of tracked data across git history: the digest its pointer had in each commit')
    .option('-m, --max <n>', 'most commits to show', '100')
    .option('--json', 'print {"versions":[...]} as JSON')
    .addHelpText('after', examples(['mlx data log data/train.csv', 'mlx data log data/images --max 5 --json']))
    .action(async (p: string, opts: { max: string; json?: boolean }) => {
      const { runDataLog } = await import('./data-run.js');
      await runDataLog(p, opts);
    });
}
