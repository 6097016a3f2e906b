import type { Command } from 'commander';
import { SERVE_DEFAULTS } from '../../serving/defaults.js';
import { globals } from '../context.js';
import { collect } from '../flags.js';
import { examples } from '../help.js';
import { addServeSettings } from '../serve-settings.js';
import type { ServeFlags } from './serve-run.js';

/** `mlx serve MODEL_URI`: /predict, /invocations, /v2, /health, /ready, /metrics, /variants, /feedback on one port. */
export function registerServeCommand(program: Command): void {
  const cmd = program
    .command('serve <model-uri>')
    .description('serve a model over HTTP: /predict, /invocations (MLflow), /v2 (Open Inference Protocol), /metrics; canary, A/B, shadow and hot swap')
    .summary('serve a model over HTTP')
    .option('--host <host>', 'interface to bind (0.0.0.0 for all; a non-loopback host needs --token or --allow-unauthenticated)', SERVE_DEFAULTS.host)
    .option('-p, --port <port>', 'port (0 picks a free one)', String(SERVE_DEFAULTS.port))
    .option(
      '--token <token>',
      'require Authorization: Bearer <token> on every route but the probes (/health, /ready, /ping, /v2/health/*) and /metrics (default: MLX_SERVE_TOKEN)',
    )
    .option('--allow-unauthenticated', 'serve a non-loopback host without a token');
  addServeSettings(cmd)
    .option('--labels <file>', 'class names for a model that is not registered')
    .option('--preprocess <spec>', 'preprocessing for a model that is not registered (see mlx register --help)')
    .option('--device <device>', 'where inference runs: auto (CUDA when onnxruntime can use it, else the CPU, saying why), cpu, cuda or cuda:N', 'auto')
    .option('--model-version <n>', 'the registry version a model file is, for /health, /v2 and X-Mlx-Model-Version (mlx containerize sets it)')
    .option('--canary <[name:]uri=percent>', 'send PERCENT% of the requests to another model (repeatable); the main model answers the rest', collect, [])
    .option(
      '--variant <[name:]uri=weight>',
      'A/B: another model with a percentage of the requests (repeatable); give the main URI too for relative weights',
      collect,
      [],
    )
    .option('--shadow <[name:]uri>', 'mirror every request to this model: its answers are compared and logged, never returned (repeatable)', collect, [])
    .option(
      '--watch-interval <seconds>',
      're-resolve models:/NAME@ALIAS URIs this often and hot-swap when an alias moves (0: only on SIGHUP)',
      String(SERVE_DEFAULTS.watchIntervalS),
    )
    .option(
      '--schema <file>',
      'check every request against a data schema (mlx data profile --out): rows breaking an error rule are refused with 400, warn rules are counted in /metrics (default: the schema registered with the version, if any)',
    )
    .option('--no-schema', 'serve a registered version without checking requests against the schema registered with it')
    .option('--log-inputs', 'log sampled inputs, predictions, variant, version and latency to the store (for mlx drift, mlx monitor, /feedback)')
    .option('--sample-rate <r>', `with --log-inputs: the fraction of requests logged, 0 to 1 (default ${SERVE_DEFAULTS.sampleRate})`)
    .option('--log-max-rows <n>', `with --log-inputs: keep at most this many logged rows, dropping the oldest (default ${SERVE_DEFAULTS.logMaxRows})`)
    .addHelpText(
      'after',
      examples(
        [
          'mlx serve models:/pets-classifier@champion --canary models:/pets-classifier@challenger=10',
          'mlx serve models:/customer-value@champion --shadow models:/customer-value/3 --log-inputs --sample-rate 0.1',
          'MLX_SERVE_TOKEN=$(openssl rand -hex 24) mlx serve models:/pets-classifier@champion --host 0.0.0.0',
        ],
        'A/B: --variant models:/pets-classifier/1=50 --variant models:/pets-classifier/2=50 (relative weights).',
        'Requests with X-Mlx-Route-Key always meet the same variant; GET /variants reports the split.',
      ),
    )
    .action(async (uri: string, f: ServeFlags, cmd: Command) => {
      const { serveModel } = await import('./serve-run.js');
      await serveModel(uri, f, globals(cmd).trackingUri);
    });
}
