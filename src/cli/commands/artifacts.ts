import type { Command } from 'commander';
import { withStore } from '../context.js';
import { examples } from '../help.js';

/** `mlx artifacts list|download RUN [PATH]`: a run's files, from a local store or a tracking server. */
export function registerArtifactsCommands(program: Command): void {
  const artifacts = program
    .command('artifacts')
    .description("list and download a run's artifacts (local store or tracking server)")
    .summary("list and download a run's artifacts")
    .addHelpText('after', examples(['mlx artifacts list 060a59', 'mlx artifacts download 060a59 model --dst ./from-run']));
  artifacts
    .command('list <run> [path]')
    .description('the files and folders under PATH (default: the top), one level unless --recursive')
    .option('-r, --recursive', 'every file below PATH')
    .option('--json', 'print {"artifacts":[{path,is_dir,file_size}]} as JSON')
    .addHelpText('after', examples(['mlx artifacts list 060a59', 'mlx artifacts list 060a59 logs --json', 'mlx artifacts list 060a59 -r']))
    .action(async (run: string, rel: string | undefined, opts: { recursive?: boolean; json?: boolean }, cmd: Command) => {
      const { listArtifacts } = await import('./artifacts-run.js');
      await withStore(cmd, false, (store) => listArtifacts(store, run, rel, opts));
    });
  artifacts
    .command('download <run> [path]')
    .description('copy a file or a folder (default: everything) to --dst, keeping its path; files are written whole or not at all')
    .option('-d, --dst <dir>', 'where to put them', '.')
    .option('--json', 'print {"dst","files":[...],"bytes"} as JSON')
    .addHelpText('after', examples(['mlx artifacts download 060a59 --dst run-060a59', 'mlx artifacts download 060a59 logs/output.txt']))
    .action(async (run: string, rel: string | undefined, opts: { dst: string; json?: boolean }, cmd: Command) => {
      const { downloadArtifacts } = await import('./artifacts-run.js');
      await withStore(cmd, false, (store) => downloadArtifacts(store, run, rel, opts));
    });
}
