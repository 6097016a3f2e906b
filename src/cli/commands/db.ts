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
    .option('--copy-artifacts <uri>', "also copy the runs' artifacts to this folder or s3://BUCKET/PREFIX and record them there")
    .option('--json', 'print {"from","to","counts","uses_source_folder"} as JSON')
    .addHelpText(
      'after',
      examples([
        'mlx db migrate --from .mlx --to postgresql://mlx@db.internal/mlx',
        'mlx db migrate --from ./mlx-demo/.mlx --to postgresql://mlx:secret@localhost:5432/mlx --json',
        'mlx db migrate --from .mlx --to postgresql://mlx@db.internal/mlx --copy-artifacts s3://ml-artifacts/mlx',
      ]),
    )
    .action(async (opts: { from: string; to: string; copyArtifacts?: string; json?: boolean }) => {
      const { migrateStore } = await import('../../store/migrate.js');
      let copyArtifacts: string | undefined;
      if (opts.copyArtifacts !== undefined) {
        const { locationFlag } = await import('../location-flag.js');
        const path = await import('node:path');
        const { scheme, location } = locationFlag('--copy-artifacts', opts.copyArtifacts, [null, 'file', 's3']);
        copyArtifacts = scheme === 's3' ? location.replace(/\/+$/, '') : path.resolve(location);
      }
      const onTable = process.stderr.isTTY ? (t: string) => process.stderr.write(`mlx: copying ${t}…\n`) : undefined;
      const { copyArtifactFolder } = await import('../../app/copy-artifacts.js');
      const r = await migrateStore(opts.from, opts.to, onTable, {
        copyArtifacts: copyArtifacts === undefined ? undefined : { destination: copyArtifacts, copy: copyArtifactFolder },
      });
      const { print, printJson } = await import('../output.js');
      if (opts.json)
        return printJson({
          from: r.from,
          to: r.to,
          counts: r.counts,
          uses_source_folder: r.usesSourceFolder,
          ...(r.artifacts ? { artifacts: r.artifacts } : {}),
        });
      const lines = [`copied ${r.from} into ${r.to} (row counts checked on both sides):`];
      for (const [table, label] of ROWS) lines.push(`  ${String(r.counts[table]).padStart(10)} ${label}`);
      if (r.artifacts) lines.push(`copied ${r.artifacts.files} artifact files to ${r.artifacts.destination}; the runs record them there`);
      if (r.usesSourceFolder)
        lines.push(
          `run artifacts and model files stay in ${r.from}: the database records their paths there, so a server on ${r.to} must be able to read them,`,
          `e.g. mlx server --backend-store-uri ${r.to} --artifacts-destination ${r.from}/artifacts`,
        );
      print(lines.join('\n'));
    });
}
