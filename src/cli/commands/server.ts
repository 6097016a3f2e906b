import type { Command } from 'commander';
import { globals } from '../context.js';
import { examples } from '../help.js';
import { mlflowServerOptions } from '../mlflow-server-flags.js';
import type { ServerFlags } from './server-run.js';

/** mlflowShort: `-h HOST` as `mlflow server -h 0.0.0.0` (help is then --help only), else -h would print help and exit 0. */
function serverOptions(cmd: Command, port: string, mlflowShort = false): Command {
  return cmd
    .option(
      mlflowShort ? '-h, --host <host>' : '--host <host>',
      'interface to bind (a non-loopback host needs --token or --allow-unauthenticated)',
      '127.0.0.1',
    )
    .option('-p, --port <port>', 'port (0 picks a free one)', port)
    .option(
      '--backend-store-uri <uri>',
      'the store to serve: a folder, sqlite:///DIR/mlx.db or postgresql://… (default: --tracking-uri, MLX_TRACKING_URI, else the nearest .mlx folder)',
    )
    .option('--artifacts-destination <dir>', "where uploaded artifacts go: a folder or s3://BUCKET/PREFIX (default: the store's artifacts folder)")
    .option(
      '--default-artifact-root <uri>',
      "where new experiments keep their artifacts, e.g. s3://BUCKET/PREFIX: clients then write there directly with their own credentials (MLflow's --no-serve-artifacts)",
    )
    .option('--token <token>', 'require Authorization: Bearer <token> on every API request (default: MLX_SERVER_TOKEN)')
    .option('--allow-unauthenticated', 'serve a non-loopback host without a token')
    .option('--cors-origin <origin>', 'let browser pages from this origin call the API (none by default)')
    .option('--max-body-mb <mb>', 'largest JSON request body', '32')
    .option('--max-upload-mb <mb>', 'largest artifact upload', '2048')
    .option(
      '--upload-idle-timeout <seconds>',
      'cut a request body (an upload) that sends nothing for this long, with 408; uploads have no total time limit',
      '60',
    );
}

/** `mlx server` (MLflow-compatible tracking server + UI) and `mlx ui` (the same on the local store). */
export function registerServerCommands(program: Command): void {
  mlflowServerOptions(
    serverOptions(
      program
        .command('server')
        .helpOption('--help', 'display help for command')
        .description('run an MLflow-compatible tracking server (REST API 2.0, artifact proxy, web UI) over a store')
        .summary('run an MLflow-compatible tracking server')
        .addHelpText(
          'after',
          examples([
            'mlx server --port 5000 &',
            'MLX_TRACKING_URI=http://127.0.0.1:5000 mlx run -- python train.py',
            'mlx server --host 0.0.0.0 --backend-store-uri postgresql://mlx@db.internal/mlx  # token from MLX_SERVER_TOKEN',
          ]),
        ),
      '5000',
      true,
    ),
  ).action(async (f: ServerFlags, cmd: Command) => {
    const { runTrackingServer } = await import('./server-run.js');
    await runTrackingServer(f, globals(cmd).trackingUri, 'server');
  });
  serverOptions(
    program
      .command('ui')
      .description('open the web UI on the local store (the tracking server on 127.0.0.1)')
      .summary('open the web UI on the local store')
      .addHelpText('after', examples(['mlx ui  # then open http://127.0.0.1:5000', "mlx --tracking-uri mlx-demo/.mlx ui --port 8080  # the demo's store"])),
    '5000',
  ).action(async (f: ServerFlags, cmd: Command) => {
    const { runTrackingServer } = await import('./server-run.js');
    await runTrackingServer(f, globals(cmd).trackingUri, 'ui');
  });
}
