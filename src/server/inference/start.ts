import { findModel, loadFoundModel, type LoadOptions } from '../../serving/model-runtime.js';
import { Predictor } from '../../serving/predictor.js';
import { servingMetrics } from '../../serving/serving-metrics.js';
import type { Store } from '../../store/store.js';
import { listen, type Listening } from '../listen.js';
import { inferenceApp } from './app.js';
import type { ServingState } from './state.js';

export interface ServeOptions extends LoadOptions {
  host: string;
  port: number;
  maxBatchSize: number;
  maxBatchDelayMs: number;
  maxBodyMb: number;
  mlxVersion: string;
  log: (line: string) => void;
}

export interface RunningServer {
  listening: Listening;
  state: ServingState;
  /** Resolves when the model is loaded (rejects if it cannot be). */
  loaded: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts serving: the port opens at once (so /health and /ready can answer while the model
 * loads), then the model is loaded, warmed up and handed to the routes.
 */
export async function startServer(store: Store, uri: string, o: ServeOptions): Promise<RunningServer> {
  const metrics = servingMetrics();
  const state: ServingState = {
    predictor: null,
    loadError: null,
    metrics,
    modelName: uri,
    mlxVersion: o.mlxVersion,
    maxBodyBytes: Math.round(o.maxBodyMb * 1024 * 1024),
    inFlight: 0,
  };
  // An unknown model fails before a port opens; loading into onnxruntime happens after.
  const found = await findModel(store, uri, o);
  const listening = await listen(inferenceApp(state), { host: o.host, port: o.port });
  const loaded = loadFoundModel(found).then(
    (model) => {
      const labels = { model: model.name, version: String(model.version ?? 'file') };
      metrics.loadTime.set(labels, model.loadSeconds);
      metrics.info.set({ ...labels, sha256: model.sha256 }, 1);
      state.predictor = new Predictor(
        model,
        { maxBatchSize: o.maxBatchSize, maxDelayMs: o.maxBatchDelayMs },
        { onBatch: (rows) => metrics.batchSize.observe({}, rows), onPreprocess: (s) => metrics.preprocess.observe({}, s) },
      );
    },
    (err: unknown) => {
      state.loadError = String((err as Error)?.message ?? err);
      throw err;
    },
  );
  return {
    listening,
    state,
    loaded,
    async close() {
      await listening.close();
      await state.predictor?.model.release();
    },
  };
}
