import type { Command } from 'commander';
import { findExperiment } from '../../app/experiments.js';
import { collect, withStore } from '../context.js';
import { examples } from '../help.js';

/** `mlx experiments create|list|rename|delete|restore`. */
export function registerExperimentCommands(program: Command): void {
  const exps = program
    .command('experiments')
    .description('create, list, rename, delete and restore experiments')
    .summary('create, list, rename, delete experiments')
    .addHelpText(
      'after',
      examples([
        'mlx experiments create image-classifier-v2',
        'mlx experiments list --view all',
        'mlx experiments rename image-classifier-v2 image-classifier-v3',
      ]),
    );

  exps
    .command('create <name>')
    .description('create an experiment and print its id')
    .option('-t, --tag <key=value>', 'set a tag (repeatable)', collect)
    .option('--artifact-location <uri>', "where the experiment's runs keep their artifacts: a folder or s3://BUCKET/PREFIX (default: the store's)")
    .option('--json', 'print the experiment as JSON')
    .addHelpText(
      'after',
      examples([
        'mlx experiments create image-classifier-v2',
        'mlx experiments create image-classifier-v2 --tag team=vision --json',
        'mlx experiments create image-classifier-v2 --artifact-location s3://ml-artifacts/vision  # credentials from AWS_* / AWS_PROFILE',
      ]),
    )
    .action(async (name: string, opts: { tag?: string[]; artifactLocation?: string; json?: boolean }, cmd: Command) => {
      const { parseKeyValue } = await import('../../core/validation.js');
      const tags = Object.fromEntries((opts.tag ?? []).map((t) => parseKeyValue('tag', t)));
      let root: string | undefined;
      if (opts.artifactLocation !== undefined) {
        const { locationFlag } = await import('../location-flag.js');
        const path = await import('node:path');
        const { scheme, location } = locationFlag('--artifact-location', opts.artifactLocation);
        root = scheme === null || scheme === 'file' ? path.resolve(location) : location;
      }
      const exp = await withStore(cmd, true, async (store) => store.getExperiment(await store.createExperiment(name, tags, root)));
      process.stdout.write(opts.json ? `${JSON.stringify(exp)}\n` : `${exp.experiment_id}\n`);
    });

  exps
    .command('list')
    .description('list experiments')
    .option('--view <view>', 'active, deleted or all', 'active')
    .option('--json', 'print {"experiments":[...]} as JSON')
    .addHelpText('after', examples(['mlx experiments list', 'mlx experiments list --view deleted --json']))
    .action(async (opts: { view: string; json?: boolean }, cmd: Command) => {
      const { invalid } = await import('../../core/errors.js');
      const { formatTime, print, printJson, renderTable } = await import('../output.js');
      if (!['active', 'deleted', 'all'].includes(opts.view)) throw invalid(`--view ${JSON.stringify(opts.view)} must be active, deleted or all`);
      const list = await withStore(cmd, false, (store) => store.listExperiments(opts.view as 'active'));
      if (opts.json) return printJson({ experiments: list });
      print(
        await renderTable(
          ['id', 'name', 'stage', 'created'],
          list.map((e) => [e.experiment_id, e.name, e.lifecycle_stage, formatTime(e.creation_time)]),
        ),
      );
    });

  exps
    .command('rename <experiment> <new-name>')
    .description('rename an experiment (by name or id)')
    .addHelpText('after', examples(['mlx experiments rename image-classifier-v2 image-classifier-v3']))
    .action(async (which: string, newName: string, _o: unknown, cmd: Command) => {
      await withStore(cmd, false, async (store) => store.renameExperiment((await findExperiment(store, which)).experiment_id, newName));
    });

  for (const action of ['delete', 'restore'] as const)
    exps
      .command(`${action} <experiment>`)
      .description(`${action} an experiment and its runs (by name or id)`)
      .addHelpText(
        'after',
        examples(['mlx experiments delete image-classifier-v3  # soft delete, with its runs', 'mlx experiments restore image-classifier-v3']),
      )
      .action(async (which: string, _o: unknown, cmd: Command) => {
        const exp = await withStore(cmd, false, async (store) => {
          const e = await findExperiment(store, which);
          await (action === 'delete' ? store.deleteExperiment(e.experiment_id) : store.restoreExperiment(e.experiment_id));
          return e;
        });
        // Said on stderr, so a script reading stdout sees nothing new.
        const { printable } = await import('../output.js');
        const name = printable(JSON.stringify(exp.name));
        process.stderr.write(
          action === 'delete'
            ? `mlx: deleted experiment ${name} (id ${exp.experiment_id}) and its runs; \`mlx experiments restore ${exp.experiment_id}\` brings them back\n`
            : `mlx: restored experiment ${name} (id ${exp.experiment_id}) and its runs\n`,
        );
      });
}
