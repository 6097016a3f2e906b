import type { ModelVersion } from '../../core/entities.js';
import { MlxError } from '../../core/errors.js';
import type { InferenceSink } from '../../inference-log/record.js';
import { findModel, loadFoundModel, type LoadOptions, type ModelSource, type ServedModel } from '../../serving/model-runtime.js';
import { ModelWatcher, signatureDiff, watchTargets } from '../../serving/model-watcher.js';
import { defaultMaxBatchSize, type LimitNames } from '../../serving/defaults.js';
import { Predictor } from '../../serving/predictor.js';
import { planVariants, seededRandom, type RoleWords, type VariantPlan } from '../../serving/router.js';
import { registerLogMetrics, servingMetrics, type ServingMetrics } from '../../serving/serving-metrics.js';
import { VariantSet, type Variant } from '../../serving/variant-set.js';
import type { Store } from '../../store/store.js';
import { listen, type Listening } from '../listen.js';
import type { InferenceAccess } from './access.js';
import { inferenceApp } from './app.js';
import { rolloutState, type ServingSchema, type ServingState } from './state.js';

export interface ServeOptions extends LoadOptions, InferenceAccess {
  host: string;
  port: number;
  /** Unset: defaultMaxBatchSize of each model (32 rows, 4 images). */
  maxBatchSize?: number;
  maxBatchDelayMs: number;
  /** Most requests waiting for inference per model before new ones are answered 503 (unset or 0: no limit). */
  maxQueue?: number;
  maxBodyMb: number;
  /** Decoded pixels per uploaded image (unset: 40 Mpx), never below the model's own input size. */
  maxImagePixels?: number;
  /** Images per /predict upload (unset: no limit; mlx serve's default is 64). */
  maxImages?: number;
  /** Most rows per request; unset: DEFAULT_MAX_ROWS. */
  maxRows?: number;
  /** How refusals name the limits to raise (the CLI's flags); unset: plain words. */
  limitNames?: LimitNames;
  mlxVersion: string;
  log: (line: string) => void;
  /** The rollout (canaries, variants, shadows); unset: the one model serves everything. */
  plans?: VariantPlan[];
  /** How errors about a canary's, variant's or shadow's model name its role (the CLI's flags). */
  roleWords?: RoleWords;
  /** Seconds between alias checks (default 5); 0: only when checkNow() is called (SIGHUP). */
  watchIntervalS?: number;
  /** Opens the inference log; called once every model is found, before the port opens. */
  openSink?: () => Promise<InferenceSink>;
  /** The data schema requests are checked against (--schema). */
  schema?: ServingSchema | null;
  /**
   * Set when the schema is the one registered with the version served (no --schema): the schema of
   * the version an alias moved to (null: it has none), switched in with that version's model.
   */
  schemaOf?: (v: ModelVersion) => Promise<ServingSchema | null>;
  /** Seeds the random routing of requests without a route key (tests). */
  routeSeed?: number;
}

export interface RunningServer {
  listening: Listening;
  state: ServingState;
  /** Resolves when every model is loaded (rejects if one cannot be). */
  loaded: Promise<void>;
  /** Re-resolves every alias now, retrying versions refused before (SIGHUP); false when no URI uses an alias. */
  checkNow(): boolean;
  close(): Promise<void>;
}

/** An error about a variant's model, naming the flag that gave it. */
function named(v: Variant, err: unknown, words: RoleWords = { canary: 'canary', variant: 'variant', shadow: 'shadow' }): unknown {
  if (v.plan.role === 'primary' || !(err instanceof MlxError)) return err;
  return new MlxError(err.code, `${words[v.plan.role]} ${v.plan.uri}: ${err.message}`, { cause: err });
}

/** Puts a loaded model in as a variant's predictor, with its metrics; the one it replaces is released when idle. */
export function installer(
  metrics: ServingMetrics,
  o: { maxBatchSize?: number; maxBatchDelayMs: number; maxQueue?: number; maxImagePixels?: number; limitNames?: LimitNames },
) {
  return (v: Variant, model: ServedModel): void => {
    const old = v.predictor?.model;
    if (old) {
      const labels = { model: old.name, version: String(old.version ?? 'file'), variant: v.name };
      metrics.loadTime.remove(labels);
      metrics.info.remove({ ...labels, sha256: old.sha256 });
      metrics.device.remove({ ...labels, device: old.device });
    }
    const labels = { model: model.name, version: String(model.version ?? 'file'), variant: v.name };
    metrics.loadTime.set(labels, model.loadSeconds);
    metrics.info.set({ ...labels, sha256: model.sha256 }, 1);
    metrics.device.set({ ...labels, device: model.device }, 1);
    const predictor = new Predictor(
      model,
      { maxBatchSize: o.maxBatchSize ?? defaultMaxBatchSize(model), maxDelayMs: o.maxBatchDelayMs, maxQueue: o.maxQueue },
      { onBatch: (rows) => metrics.batchSize.observe({ variant: v.name }, rows), onPreprocess: (s) => metrics.preprocess.observe({ variant: v.name }, s) },
      { maxImagePixels: o.maxImagePixels, names: o.limitNames },
    );
    void v.swap(predictor);
  };
}

/** Puts the schema of a swapped-in version in place of the one requests were checked against, saying so. */
function switchSchema(state: ServingState, schema: ServingSchema | null, model: ServedModel, log: (line: string) => void): void {
  const before = state.schema?.name ?? null;
  state.schema = schema;
  for (const s of schema?.guard.series ?? []) state.metrics.schemaViolations.inc(s, 0);
  const version = `version ${model.version} of ${model.name}`;
  if (schema) log(`checking requests against the schema ${schema.name} (${schema.guard.size} per-row rules), which came with ${version}`);
  else if (before) log(`${version} has no registered schema: requests are no longer checked (it was the schema ${before})`);
}

/** One line per variant whose signature differs from the primary's: requests must then fit both. */
function warnSignatures(variants: VariantSet, log: (line: string) => void): void {
  const p = variants.primary;
  for (const v of variants.all.slice(1)) {
    const diff = signatureDiff(p.predictor!.model.signature, v.predictor!.model.signature, [`for ${p.name}`, `for ${v.name}`]);
    if (diff) log(`warning: ${v.plan.role} ${v.name} does not take what ${p.name} takes (${diff}); a request that fits one may fail on the other`);
  }
}

/**
 * Starts serving: every model (main, canaries, variants, shadows) is found first, so an unknown one
 * fails before the port opens; then the port opens (/health and /ready answer while loading), then
 * the models load and warm up, and are handed to the routes together. Aliases are then watched.
 */
export async function startServer(store: Store, uri: string, o: ServeOptions): Promise<RunningServer> {
  const metrics = servingMetrics();
  const variants = new VariantSet(o.plans ?? planVariants(uri), o.routeSeed === undefined ? undefined : seededRandom(o.routeSeed));
  const state = rolloutState(variants, metrics, {
    modelName: uri,
    mlxVersion: o.mlxVersion,
    maxBodyBytes: Math.round(o.maxBodyMb * 1024 * 1024),
    maxImages: o.maxImages,
    maxRows: o.maxRows,
    limitNames: o.limitNames,
    sink: null,
    log: o.log,
    schema: o.schema ?? null,
  });
  for (const s of o.schema?.guard.series ?? []) metrics.schemaViolations.inc(s, 0);
  const optsFor = (v: Variant): LoadOptions =>
    v.plan.role === 'primary' ? o : { labelsFile: o.labelsFile, preprocess: o.preprocess, threads: o.threads, instances: o.instances, device: o.device };
  const found: ModelSource[] = [];
  for (const v of variants.all) found.push(await findModel(store, v.plan.uri, optsFor(v)).catch((err) => Promise.reject(named(v, err, o.roleWords))));

  const sink = o.openSink ? await o.openSink() : null;
  state.sink = sink;
  if (sink?.stats) registerLogMetrics(metrics, () => sink.stats!());
  let listening: Listening;
  try {
    listening = await listen(inferenceApp(state, { token: o.token, allowedHosts: o.allowedHosts }), { host: o.host, port: o.port });
  } catch (err) {
    await state.sink?.close();
    throw err;
  }
  const install = installer(metrics, o);
  const targets = watchTargets(variants.all);
  // A swapped-in primary brings its own registered schema, read before its model loads (an unreadable
  // one fails the swap) and put in place with it.
  const schemaWith = new WeakMap<ServedModel, ServingSchema | null>();
  const watcher = new ModelWatcher(
    targets,
    {
      resolve: (t) => (t.alias === null ? store.getLatestModelVersion(t.model) : store.getModelVersionByAlias(t.model, t.alias)),
      load: async (t, v) => {
        const schema = o.schemaOf && t.variant === variants.primary ? await o.schemaOf(v) : undefined;
        const model = await loadFoundModel(await findModel(store, `models:/${v.name}/${v.version}`, optsFor(t.variant)));
        if (schema !== undefined) schemaWith.set(model, schema);
        return model;
      },
      install: (v, model) => {
        install(v, model);
        if (schemaWith.has(model)) switchSchema(state, schemaWith.get(model)!, model, o.log);
      },
      log: o.log,
      count: (v, result) => metrics.swaps.inc({ variant: v.name, result }),
    },
    Math.round((o.watchIntervalS ?? 5) * 1000),
  );
  for (const t of targets) for (const result of ['done', 'refused', 'failed']) metrics.swaps.inc({ variant: t.variant.name, result }, 0);

  const loaded = (async () => {
    const results = await Promise.allSettled(found.map((f) => loadFoundModel(f)));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      for (const r of results) if (r.status === 'fulfilled') await r.value.release();
      const err = named(variants.all[failed], (results[failed] as PromiseRejectedResult).reason, o.roleWords);
      state.loadError = String((err as Error)?.message ?? err);
      throw err;
    }
    // All at once: no request meets a half-loaded rollout.
    results.forEach((r, i) => install(variants.all[i], (r as PromiseFulfilledResult<ServedModel>).value));
    warnSignatures(variants, o.log);
    watcher.start();
  })();
  let closing = false;
  return {
    listening,
    state,
    loaded,
    checkNow() {
      if (targets.length === 0) return false;
      if (variants.loaded && !closing) void watcher.check(true);
      return true;
    },
    async close() {
      closing = true;
      await watcher.stop();
      await listening.close();
      // Shadows may still be running mirrored requests; each predictor is released once idle.
      const released = Promise.all(variants.all.map((v) => v.predictor?.retire()));
      await Promise.race([released, new Promise((r) => setTimeout(r, 5000).unref())]);
      await state.sink?.close().catch((err: unknown) => o.log(`inference log: ${String((err as Error)?.message ?? err).split('\n')[0]}`));
    },
  };
}
