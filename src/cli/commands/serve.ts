import type { Command } from 'commander';
import { DEFAULT_MAX_ROWS } from '../../serving/batch-defaults.js';
import { globals } from '../context.js';
import { examples } from '../help.js';

export interface ServeFlags {
  host: string;
  port: string;
  token?: string;
  allowUnauthenticated?: boolean;
  maxBatchSize?: string;
  maxBatchDelayMs: string;
  maxQueue: string;
  instances: string;
  maxBodyMb: string;
  maxImagePixels: string;
  maxImages: string;
  maxRows: string;
  labels?: string;
  preprocess?: string;
  threads?: string;
  modelVersion?: string;
  canary: string[];
  variant: string[];
  shadow: string[];
  watchInterval: string;
  logInputs?: boolean;
  sampleRate?: string;
  logMaxRows?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `mlx serve MODEL_URI`: /predict, /invocations, /v2, /health, /ready, /metrics, /variants, /feedback on one port. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve <model-uri>')
    .description('serve a model over HTTP: /predict, /invocations (MLflow), /v2 (Open Inference Protocol), /metrics; canary, A/B, shadow and hot swap')
    .summary('serve a model over HTTP')
    .option('--host <host>', 'interface to bind (0.0.0.0 for all; a non-loopback host needs --token or --allow-unauthenticated)', '127.0.0.1')
    .option('-p, --port <port>', 'port (0 picks a free one)', '8000')
    .option('--token <token>', 'require Authorization: Bearer <token> on every route but the probes (/health, /ready, /ping, /v2/health/*) and /metrics (default: MLX_SERVE_TOKEN)')
    .option('--allow-unauthenticated', 'serve a non-loopback host without a token')
    .option('--max-batch-size <n>', 'most rows coalesced into one inference (1 turns batching off; default: 32, or 4 for image models)')
    .option('--max-batch-delay-ms <ms>', 'longest wait for a batch to fill', '2')
    .option('--max-queue <n>', 'most requests waiting for inference per model, each uploaded image counting as one; more are answered 503 with Retry-After (0: no limit)', '1000')
    .option('--max-body-mb <mb>', 'largest request body', '20')
    .option('--max-image-pixels <n>', 'most pixels an uploaded image may decode to (width × height; never below the model\'s input); larger ones are answered 413 before decoding', '40000000')
    .option('--max-images <n>', 'most images in one /predict upload; more are answered 413 before any is decoded', '64')
    .option('--max-rows <n>', 'most rows (or tensor batch entries) in one request; more are answered 413', String(DEFAULT_MAX_ROWS))
    .option('--labels <file>', 'class names for a model that is not registered')
    .option('--preprocess <spec>', 'preprocessing for a model that is not registered (see mlx register --help)')
    .option('--model-version <n>', 'the registry version a model file is, for /health, /v2 and X-Mlx-Model-Version (mlx containerize sets it)')
    .option('--threads <n>', 'onnxruntime intra-op threads per instance (default: one per core, shared out between instances; inference runs on its own thread either way)')
    .option('--instances <n>', 'sessions of each model running batches side by side, each on its own thread (Triton\'s instance count)', '1')
    .option('--canary <[name:]uri=percent>', 'send PERCENT% of the requests to another model (repeatable); the main model answers the rest', collect, [])
    .option('--variant <[name:]uri=weight>', 'A/B: another model with a percentage of the requests (repeatable); give the main URI too for relative weights', collect, [])
    .option('--shadow <[name:]uri>', 'mirror every request to this model: its answers are compared and logged, never returned (repeatable)', collect, [])
    .option('--watch-interval <seconds>', 're-resolve models:/NAME@ALIAS URIs this often and hot-swap when an alias moves (0: only on SIGHUP)', '5')
    .option('--log-inputs', 'log sampled inputs, predictions, variant, version and latency to the store (for mlx drift, mlx monitor, /feedback)')
    .option('--sample-rate <r>', 'with --log-inputs: the fraction of requests logged, 0 to 1 (default 1)')
    .option('--log-max-rows <n>', 'with --log-inputs: keep at most this many logged rows, dropping the oldest (default 1000000)')
    .addHelpText('after', examples([
      'mlx serve models:/pets-classifier@champion --canary models:/pets-classifier@challenger=10',
      'mlx serve models:/customer-value@champion --shadow models:/customer-value/3 --log-inputs --sample-rate 0.1',
      'MLX_SERVE_TOKEN=$(openssl rand -hex 24) mlx serve models:/pets-classifier@champion --host 0.0.0.0',
    ], 'A/B: --variant models:/pets-classifier/1=50 --variant models:/pets-classifier/2=50 (relative weights).',
       'Requests with X-Mlx-Route-Key always meet the same variant; GET /variants reports the split.'))
    .action(async (uri: string, f: ServeFlags, cmd: Command) => {
      const { serveModel } = await import('./serve-run.js');
      await serveModel(uri, f, globals(cmd).trackingUri);
    });
}
