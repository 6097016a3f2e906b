import type { Command } from 'commander';
import { globals } from '../context.js';

interface ServeFlags {
  host: string;
  port: string;
  maxBatchSize: string;
  maxBatchDelayMs: string;
  maxBodyMb: string;
  labels?: string;
  preprocess?: string;
  threads?: string;
  modelVersion?: string;
}

/** `mlx serve MODEL_URI`: /predict, /invocations, /v2, /health, /ready, /metrics on one port. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve <model-uri>')
    .description('serve a model over HTTP: /predict, /invocations (MLflow), /v2 (Open Inference Protocol), /metrics')
    .option('--host <host>', 'interface to bind (0.0.0.0 for all)', '127.0.0.1')
    .option('-p, --port <port>', 'port (0 picks a free one)', '8000')
    .option('--max-batch-size <n>', 'most rows coalesced into one inference (1 turns batching off)', '32')
    .option('--max-batch-delay-ms <ms>', 'longest wait for a batch to fill', '2')
    .option('--max-body-mb <mb>', 'largest request body', '20')
    .option('--labels <file>', 'class names for a model that is not registered')
    .option('--preprocess <spec>', 'preprocessing for a model that is not registered (see mlx register --help)')
    .option('--model-version <n>', 'the registry version a model file is, for /health, /v2 and X-Mlx-Model-Version (mlx containerize sets it)')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: one per core; inference runs on its own thread either way)')
    .action(async (uri: string, f: ServeFlags, cmd: Command) => {
      const { serveModel } = await import('./serve-run.js');
      await serveModel(uri, f, globals(cmd).trackingUri);
    });
}
