import type { Command } from 'commander';
import { globals } from '../context.js';
import { examples } from '../help.js';

const ROWS: [table: string, label: string][] = [
  ['experiments', 'experiments'],
  ['runs', 'runs'],
  ['params', 'params'],
  ['metrics', 'metric points'],
  ['tags', 'run tags'],
  ['inputs', 'dataset inputs'],
  ['registered_models', 'registered models'],
  ['model_versions', 'model versions'],
  ['registered_model_aliases', 'aliases'],
];

/** `mlx db upgrade [URI]` and `mlx db migrate --from PATH --to postgresql://…`: the store's database itself. */
export function registerDbCommands(program: Command): void {
  const db = program
    .command('db')
    .description("upgrade a store's schema, or copy a local store into PostgreSQL")
    .summary("upgrade or migrate the store's database")
    .addHelpText('after', examples(['mlx db upgrade', 'mlx db migrate --from .mlx --to postgresql://mlx@db.internal/mlx']));

  db.command('upgrade [uri]')
    .description('apply pending schema migrations to a store (a folder or postgresql:// URI; default: the tracking URI)')
    .option('--json', 'print {"store","from","to"} as JSON')
    .addHelpText(
      'after',
      examples([
        'mlx db upgrade  # the store of --tracking-uri, MLX_TRACKING_URI or the nearest .mlx',
        'mlx db upgrade postgresql://mlx@db.internal/mlx --json',
      ]),
    )
    .action(async (uri: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const { resolveTrackingUri } = await import('../../store/open-store.js');
      const { upgradeStore } = await import('../../store/upgrade.js');
      const r = await upgradeStore(resolveTrackingUri({ flag: uri ?? globals(cmd).trackingUri }));
      const { print, printJson } = await import('../output.js');
      if (opts.json) return printJson(r);
      print(r.from === r.to ? `${r.store} is at schema version ${r.to}: nothing to do` : `upgraded ${r.store} from schema version ${r.from} to ${r.to}`);
    });

  db.command('migrate')
    .description('copy a local store (runs, metrics, tags, artifact locations, the model registry) into an empty PostgreSQL database')
    .requiredOption('--from <path>', 'the local store folder (e.g. ./.mlx)')
    .requiredOption('--to <uri>', 'the PostgreSQL database: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE')
    .option('--json', 'print {"from","to","counts","uses_source_folder"} as JSON')
    .addHelpText(
      'after',
      examples([
        'mlx db migrate --from .mlx --to postgresql://mlx@db.internal/mlx',
        'mlx db migrate --from ./mlx-demo/.mlx --to postgresql://mlx:secret@localhost:5432/mlx --json',
      ]),
    )
    .action(async (opts: { from: string; to: string; json?: boolean }) => {
      const { migrateStore } = await import('../../store/migrate.js');
      const onTable = process.stderr.isTTY ? (t: string) => process.stderr.write(`mlx: copying ${t}…\n`) : undefined;
      const r = await migrateStore(opts.from, opts.to, onTable);
      const { print, printJson } = await import('../output.js');
      if (opts.json) return printJson({ from: r.from, to: r.to, counts: r.counts, uses_source_folder: r.usesSourceFolder });
      const lines = [`copied ${r.from} into ${r.to} (row counts checked on both sides):`];
      for (const [table, label] of ROWS) lines.push(`  ${String(r.counts[table]).padStart(10)} ${label}`);
      if (r.usesSourceFolder)
        lines.push(
          `run artifacts and model files stay in ${r.from}: the database records their paths there, so a server on ${r.to} must be able to read them,`,
          `e.g. mlx server --backend-store-uri ${r.to} --artifacts-destination ${r.from}/artifacts`,
        );
      print(lines.join('\n'));
    });
}
