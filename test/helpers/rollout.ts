// In-process rollouts for the serving tests: fake models (instant, deterministic, optionally held), a
// VariantSet wired as `mlx serve` wires it, and a fake inference log.
import type { ModelSignature } from '../../src/core/entities.js';
import { OnnxGraphBuilder } from '../../src/models/onnx/builder.js';
import type { FeedbackItem, FeedbackResult, InferenceRecord, InferenceSink } from '../../src/inference-log/record.js';
import type { ServedModel, Tensor } from '../../src/serving/model-runtime.js';
import { rolloutPlans, type RolloutFlags } from '../../src/cli/rollout-flags.js';
import { limitNames } from '../../src/cli/serve-settings.js';
import { seededRandom } from '../../src/serving/router.js';
import { servingMetrics } from '../../src/serving/serving-metrics.js';
import { VariantSet } from '../../src/serving/variant-set.js';
import { inferenceApp } from '../../src/server/inference/app.js';
import { installer } from '../../src/server/inference/start.js';
import { rolloutState } from '../../src/server/inference/state.js';

/** Runs wait at the gate until it opens (for requests that must be in flight during a swap). */
export class Gate {
  private waiting: (() => void)[] = [];
  closed = false;
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.closed = false;
    for (const w of this.waiting.splice(0)) w();
  }
  get held(): number {
    return this.waiting.length;
  }
  pass(): Promise<void> {
    return this.closed ? new Promise((r) => this.waiting.push(r)) : Promise.resolve();
  }
}

export interface FakeModel extends ServedModel {
  runs: number;
  released: boolean;
}

export interface FakeOptions {
  name?: string;
  version?: number | null;
  /** regression: y = value + x[0] per row; classifier: one-hot-ish probabilities at classId. */
  kind?: 'regression' | 'classifier';
  value?: number;
  classId?: number;
  width?: number;
  labels?: string[] | null;
  featureNames?: string[] | null;
  gate?: Gate;
  /** Runs fail (a broken model). */
  fail?: boolean;
}

/** A ServedModel without onnxruntime: x float32 [-1, width] → y float32 [-1, 1] or probs float32 [-1, 3]. */
export function fakeModel(o: FakeOptions = {}): FakeModel {
  const width = o.width ?? 3;
  const kind = o.kind ?? 'regression';
  const signature: ModelSignature = {
    inputs: [{ name: 'x', type: 'float32', shape: [-1, width] }],
    outputs: kind === 'regression' ? [{ name: 'y', type: 'float32', shape: [-1, 1] }] : [{ name: 'probs', type: 'float32', shape: [-1, 3] }],
  };
  const model: FakeModel = {
    name: o.name ?? 'clf',
    version: o.version === undefined ? 1 : o.version,
    uri: `models:/${o.name ?? 'clf'}/${o.version ?? 1}`,
    sha256: `sha-${o.name ?? 'clf'}-${o.version ?? 1}`,
    signature,
    labels: o.labels === undefined ? (kind === 'classifier' ? ['low', 'mid', 'high'] : null) : o.labels,
    spec: null,
    featureNames: o.featureNames ?? null,
    dynamicBatch: true,
    instances: 1,
    device: 'cpu',
    deviceReason: 'requested',
    loadSeconds: 0.01,
    runs: 0,
    released: false,
    async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
      model.runs++;
      await o.gate?.pass();
      if (o.fail) throw new Error('the fake model is broken');
      const x = feeds.x;
      const n = x.dims[0];
      const w = x.dims[1];
      if (kind === 'regression') {
        const y = Float32Array.from({ length: n }, (_, i) => (o.value ?? model.version ?? 0) + Number(x.data[i * w]));
        return { y: { type: 'float32', data: y, dims: [n, 1] } };
      }
      const probs = new Float32Array(n * 3).fill(0.05);
      for (let i = 0; i < n; i++) probs[i * 3 + (o.classId ?? 0)] = 0.9;
      return { probs: { type: 'float32', data: probs, dims: [n, 3] } };
    },
    async release() {
      model.released = true;
    },
  };
  return model;
}

/** An inference log that keeps records in memory; feedback matches the request ids it has. */
export class FakeSink implements InferenceSink {
  records: InferenceRecord[] = [];
  feedbacks: FeedbackItem[][] = [];
  closed = false;
  record(r: InferenceRecord): void {
    // A copy, as a sink that buffers would keep: reads every lazy field (getters on the record's prototype too).
    const { requestId, timestamp, route, model, version, variant, shadow, latencyMs, columns, rows, predictions } = r;
    this.records.push({ requestId, timestamp, route, model, version, variant, shadow, latencyMs, columns, rows, predictions });
  }
  async feedback(items: FeedbackItem[]): Promise<FeedbackResult> {
    this.feedbacks.push(items);
    const known = new Set(this.records.map((r) => r.requestId));
    return { matched: items.filter((i) => known.has(i.request_id)).length, unknown: items.filter((i) => !known.has(i.request_id)).map((i) => i.request_id) };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The inference app over a rollout of fake (or real) models, wired as startServer wires it. */
export function rolloutApp(
  main: string,
  flags: RolloutFlags,
  models: Record<string, ServedModel>,
  opts: { seed?: number; sink?: InferenceSink; maxBatchSize?: number; maxQueue?: number } = {},
) {
  const metrics = servingMetrics();
  const variants = new VariantSet(rolloutPlans(main, flags), seededRandom(opts.seed ?? 7));
  const lines: string[] = [];
  // The limits named by mlx serve's flags, as the CLI names them for startServer.
  const names = limitNames();
  const state = rolloutState(variants, metrics, {
    modelName: main,
    mlxVersion: '0.0.0',
    maxBodyBytes: 1024 * 1024,
    limitNames: names,
    sink: opts.sink ?? null,
    log: (line) => lines.push(line),
  });
  const install = installer(metrics, { maxBatchSize: opts.maxBatchSize ?? 32, maxBatchDelayMs: 0, maxQueue: opts.maxQueue, limitNames: names });
  for (const v of variants.all) install(v, models[v.plan.uri]);
  return { app: inferenceApp(state), state, variants, install, metrics, lines };
}

/** A real ONNX model: x float32 [batch, width] → y float32 [batch, 1] = x0 + offset, so each version answers recognisably. */
export function offsetModel(offset: number, width = 3): Uint8Array {
  const w = new Float32Array(width);
  w[0] = 1;
  return new OnnxGraphBuilder('offset')
    .input('x', 'float32', ['batch', width])
    .initializer('W', w, [width, 1])
    .initializer('B', Float32Array.from([offset]), [1])
    .node('MatMul', ['x', 'W'], ['xw'])
    .node('Add', ['xw', 'B'], ['y'])
    .output('y', 'float32', ['batch', 1])
    .toBytes();
}
