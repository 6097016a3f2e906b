import { createRequire } from 'node:module';
import { numberFlag } from '../flags.js';
import { startServer } from '../../server/inference/start.js';
import { openStore, resolveTrackingUri } from '../../store/open-store.js';

export async function serveModel(
  uri: string,
  f: { host: string; port: string; maxBatchSize: string; maxBatchDelayMs: string; maxBodyMb: string; labels?: string; preprocess?: string; threads?: string; modelVersion?: string },
  trackingUri: string | undefined,
): Promise<void> {
  const options = {
    host: f.host,
    port: numberFlag('--port', f.port, { min: 0, max: 65535 }),
    maxBatchSize: numberFlag('--max-batch-size', f.maxBatchSize, { max: 65536 }),
    maxBatchDelayMs: numberFlag('--max-batch-delay-ms', f.maxBatchDelayMs, { min: 0, max: 10_000, float: true }),
    maxBodyMb: numberFlag('--max-body-mb', f.maxBodyMb, { min: 0.001, max: 4096, float: true }),
    labelsFile: f.labels,
    preprocess: f.preprocess,
    threads: f.threads === undefined ? undefined : numberFlag('--threads', f.threads, { max: 1024 }),
    modelVersion: f.modelVersion === undefined ? undefined : numberFlag('--model-version', f.modelVersion, { max: 2 ** 31 }),
    mlxVersion: (createRequire(import.meta.url)('../../../package.json') as { version: string }).version,
    log: (line: string) => process.stderr.write(`mlx: ${line}\n`),
  };
  const store = await openStore(resolveTrackingUri({ flag: trackingUri }), { create: false });
  // Handlers first: a signal at any moment from here on means a clean exit 0.
  let running: Awaited<ReturnType<typeof startServer>> | null = null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`mlx: ${signal}: finishing in-flight requests, then exiting\n`);
    await running?.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  running = await startServer(store, uri, options);
  process.stderr.write(`mlx: listening on ${running.listening.url}, loading ${uri}\n`);
  try {
    await running.loaded;
  } catch (err) {
    if (stopping) return;
    await running.close();
    await store.close();
    throw err;
  }
  if (stopping || !running.state.predictor) return;
  const m = running.state.predictor.model;
  process.stderr.write(
    `mlx: serving ${m.name}${m.version !== null ? ` version ${m.version}` : ''} (loaded in ${m.loadSeconds.toFixed(2)} s, ` +
      `${m.dynamicBatch ? `dynamic batching up to ${options.maxBatchSize} rows` : 'fixed batch size: one request at a time'}) on ${running.listening.url}\n`,
  );
}
