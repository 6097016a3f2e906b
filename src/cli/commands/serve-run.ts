import { createRequire } from 'node:module';
import type { ModelVersion } from '../../core/entities.js';
import type { SinkOptions } from '../../inference-log/inference-log.js';
import type { InferenceSink } from '../../inference-log/record.js';
import { startServer } from '../../server/inference/start.js';
import type { ServingSchema } from '../../server/inference/state.js';
import { openStore, resolveTrackingUri } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { flagValue, intFlag, numberFlag, optional, usage } from '../flags.js';
import { chooseDevice, parseDevice, probeCuda } from '../../serving/device.js';
import { ROLLOUT_FLAGS, rolloutPlans } from '../rollout-flags.js';
import { limitNames, parseServeSettings } from '../serve-settings.js';
import { printable } from '../output.js';
import { serverAccess } from '../server-access.js';
import { defaultMaxBatchSize, SERVE_DEFAULTS } from '../../serving/defaults.js';

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
  device: string;
  canary: string[];
  variant: string[];
  shadow: string[];
  watchInterval: string;
  logInputs?: boolean;
  sampleRate?: string;
  logMaxRows?: string;
  /** A file; false with --no-schema; unset: the registered version's schema, if any. */
  schema?: string | false;
}

/** --schema FILE: read and checked before anything starts (a bad file: one line, exit 1; an empty value: exit 2). */
async function servingSchema(file: string | false | undefined, log: (line: string) => void) {
  if (file === undefined || file === false) return null;
  if (file.trim() === '') throw usage('--schema needs a schema file, e.g. --schema schema.json (write one with mlx data profile DATA --out schema.json)');
  const { readSchemaFile } = await import('../../data/validation/schema-file.js');
  const { RowGuard } = await import('../../data/validation/row-guard.js');
  const guard = new RowGuard(readSchemaFile(file));
  if (guard.size === 0) log(`warning: the schema ${file} has no per-row rules (type, null, range, categories, expression); requests are not checked`);
  else log(`checking requests against ${file} (${guard.size} per-row rules)`);
  return { guard, name: file };
}

/** The rollout and logging flags, checked before anything starts. */
function rolloutOptions(uri: string, f: ServeFlags) {
  const plans = rolloutPlans(uri, f);
  const watchIntervalS = numberFlag('--watch-interval', f.watchInterval ?? String(SERVE_DEFAULTS.watchIntervalS), { min: 0, max: 86_400 });
  if (!f.logInputs && (f.sampleRate !== undefined || f.logMaxRows !== undefined))
    throw usage(`${f.sampleRate !== undefined ? '--sample-rate' : '--log-max-rows'} needs --log-inputs`);
  const sampleRate = numberFlag('--sample-rate', f.sampleRate ?? String(SERVE_DEFAULTS.sampleRate), { min: 0, max: 1 });
  const maxRows = intFlag('--log-max-rows', f.logMaxRows ?? String(SERVE_DEFAULTS.logMaxRows), { min: 1, max: 1e12 });
  return { plans, watchIntervalS, sampleRate, maxRows };
}

/**
 * The store-backed inference log (loaded only with --log-inputs). Opened once every model is found: a
 * store that does not exist yet is created only then (by the log), so a refused start leaves none behind.
 */
async function openLog(store: Store, opts: SinkOptions): Promise<InferenceSink> {
  const { inferenceLogOf } = await import('../../store/inference-log-of.js');
  return (await inferenceLogOf(store)).openSink(opts);
}

/** `mlx serve`: validates every flag, finds every model, then serves until SIGINT/SIGTERM (SIGHUP re-resolves aliases). */
export async function serveModel(uri: string, f: ServeFlags, trackingUri: string | undefined): Promise<void> {
  // Log lines can quote requests (a shadow's failure names the bad value): written out, never able to drive the terminal.
  const log = (line: string) => process.stderr.write(`mlx: ${printable(line)}\n`);
  // First: a refused public bind opens nothing and reads no store.
  const access = serverAccess(f, 'MLX_SERVE_TOKEN', 'run the model and rewrite its ground truth (/feedback)');
  const settings = { ...SERVE_DEFAULTS, ...parseServeSettings(f) };
  const options = {
    ...access,
    ...settings,
    host: f.host,
    port: intFlag('--port', f.port, { min: 0, max: 65535 }),
    labelsFile: f.labels,
    preprocess: f.preprocess,
    modelVersion: optional('--model-version', f.modelVersion, (flag, text) => intFlag(flag, text, { max: 2 ** 31 })),
    device: flagValue('--device', () => parseDevice(f.device ?? 'auto')),
    mlxVersion: (createRequire(import.meta.url)('../../../package.json') as { version: string }).version,
    log,
  };
  // cuda asked for on a machine without it: refused before a port opens or a store is read.
  if (options.device.kind === 'cuda') chooseDevice(options.device, probeCuda());
  const r = rolloutOptions(uri, f);
  let schema = await servingSchema(f.schema, log);
  let schemaOf: ((v: ModelVersion) => Promise<ServingSchema | null>) | undefined;
  const storeUri = resolveTrackingUri({ flag: trackingUri });
  const store = await openStore(storeUri, { create: false });
  // No --schema (and no --no-schema): the schema registered with the version served, if it has one.
  if (f.schema === undefined) {
    try {
      const { registeredSchema, schemaOfVersion } = await import('../../app/model-schema.js');
      const { RowGuard } = await import('../../data/validation/row-guard.js');
      const found = await registeredSchema(store, uri);
      // Over an alias, the schema follows the version a hot swap brings in.
      schemaOf = schemaOfVersion(store);
      if (found) {
        schema = { guard: new RowGuard(found.schema), name: found.name };
        log(`checking requests against the schema ${schema.name} (${schema.guard.size} per-row rules; --no-schema to serve without)`);
      }
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  // Handlers first: a signal at any moment from here on means a clean exit 0.
  let running: Awaited<ReturnType<typeof startServer>> | null = null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing in-flight requests, then exiting`);
    await running?.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    if (!running || !running.state.variants?.loaded) return log('SIGHUP: the models are still loading; nothing to re-resolve yet');
    log(running.checkNow() ? 'SIGHUP: re-resolving model aliases now' : 'SIGHUP: no served URI uses an alias; nothing to re-resolve');
  });
  try {
    running = await startServer(store, uri, {
      ...options,
      plans: r.plans,
      roleWords: ROLLOUT_FLAGS,
      limitNames: limitNames(),
      watchIntervalS: r.watchIntervalS,
      schema,
      schemaOf,
      openSink: f.logInputs ? () => openLog(store, { sampleRate: r.sampleRate, maxRows: r.maxRows, log }) : undefined,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  log(`listening on ${running.listening.url}${access.token ? ' (token required)' : ''}, loading ${[...new Set(r.plans.map((p) => p.uri))].join(', ')}`);
  try {
    await running.loaded;
  } catch (err) {
    if (stopping) return;
    await running.close();
    await store.close();
    throw err;
  }
  if (stopping || !running.state.predictor) return;
  announce(running, options.maxBatchSize, r, storeUri, !!f.logInputs);
}

function announce(
  running: NonNullable<Awaited<ReturnType<typeof startServer>>>,
  maxBatchSize: number | undefined,
  r: ReturnType<typeof rolloutOptions>,
  storeUri: string,
  logging: boolean,
): void {
  const m = running.state.predictor!.model;
  const set = running.state.variants!;
  const log = (line: string) => process.stderr.write(`mlx: ${line}\n`);
  const version = (v: { version: number | null }) => (v.version !== null ? ` version ${v.version}` : '');
  log(
    `serving ${m.name}${version(m)} (loaded in ${m.loadSeconds.toFixed(2)} s, ` +
      `${m.dynamicBatch ? `dynamic batching up to ${maxBatchSize ?? defaultMaxBatchSize(m)} ${m.spec?.kind === 'image' ? 'images' : 'rows'}` : 'fixed batch size: one request at a time'}` +
      `${m.instances > 1 ? `, ${m.instances} instances` : ''}) on ${running.listening.url}`,
  );
  log(`inference on ${m.device}${m.deviceReason === 'requested' ? '' : ` (${m.deviceReason})`}`);
  if (set.all.length > 1)
    for (const v of set.all) {
      const vm = v.predictor!.model;
      const what = v.isShadow ? 'sees every request, answers none' : `${Math.round(v.plan.share * 10000) / 100}% of requests`;
      log(`${v.plan.role} ${v.name}: ${vm.name}${version(vm)}, ${what}`);
    }
  const watched = set.all.filter((v) => /^models:\/[^/@]+(@.+|\/latest)$/.test(v.plan.uri)).map((v) => v.plan.uri);
  if (watched.length)
    log(`watching ${watched.join(', ')} for alias moves ${r.watchIntervalS > 0 ? `every ${r.watchIntervalS} s and ` : ''}on SIGHUP (kill -HUP ${process.pid})`);
  if (logging) log(`logging inputs to ${storeUri} (sample rate ${r.sampleRate}, at most ${r.maxRows} rows)`);
}
