import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { ModelSignature, TensorSpec } from '../core/entities.js';
import { invalid, MlxError } from '../core/errors.js';
import { parseModelUri } from '../core/uri.js';
import { readLabels } from '../models/labels.js';
import { sha256 } from '../models/model-storage.js';
import { readModelInfo } from '../models/onnx/model-info.js';
import { checkSpecFits, inferPreprocessSpec, parsePreprocessSpec, type PreprocessSpec } from '../models/preprocess-spec.js';
import { readModelBytes, resolveModel, type ModelLookupStore } from '../models/uri.js';
import { chooseDevice, deviceName, executionProviders, probeCuda, type CudaProbe, type Device, type DeviceRequest } from './device.js';
import { InferenceWorker } from './inference-worker.js';
import { ELEMENT_TYPES, type Tensor } from './tensors.js';

export type { Tensor };

export interface LoadOptions {
  /** For models that are not registered: class names and preprocessing. */
  labelsFile?: string;
  preprocess?: string;
  /** onnxruntime intra-op threads per instance (default: onnxruntime's choice, or the cores shared out between instances). */
  threads?: number;
  /** Sessions of the model, each on its own thread, running batches side by side (Triton's instance count; default 1). */
  instances?: number;
  /** The registry version a model file is (containers serve files): reported by /health, /v2 and headers. */
  modelVersion?: number;
  /** Where inference runs (default auto: CUDA when its provider loads, else the CPU). */
  device?: DeviceRequest;
  /** What the machine offers CUDA (default: probed); tests give their own. */
  cudaProbe?: CudaProbe;
}

/** A model loaded into onnxruntime with everything serving needs to know about it. */
export interface ServedModel {
  name: string;
  /** The registry version, or null for a model served from a file or run artifact. */
  version: number | null;
  uri: string;
  sha256: string;
  signature: ModelSignature;
  labels: string[] | null;
  spec: PreprocessSpec | null;
  /** Column names for tabular inputs, from the model's metadata (feature_names), if any. */
  featureNames: string[] | null;
  /** True when every input and output has a dynamic first (batch) dimension. */
  dynamicBatch: boolean;
  /** Sessions running side by side: the batcher keeps up to this many runs in flight. */
  instances: number;
  /** Where inference runs: cpu or cuda:N. */
  device: string;
  /** Why that device: "requested", or why CUDA was not used ("no NVIDIA GPU is visible…"). */
  deviceReason: string;
  loadSeconds: number;
  /** Runs feeds on the inference thread; owned feeds (nobody else holds them) move there instead of being copied. */
  run(feeds: Record<string, Tensor>, owned?: boolean): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

const dynamicFirst = (t: TensorSpec) => t.shape.length > 0 && t.shape[0] === -1;

/** A model found, read and checked, not yet in onnxruntime: what can fail fast before a port opens. */
export interface ModelSource {
  uri: string;
  opts: LoadOptions;
  resolved: Awaited<ReturnType<typeof resolveModel>>;
  started: bigint;
}

/** Resolves a model URI (and its options) without loading it: unknown models fail here, at once. */
export async function findModel(store: ModelLookupStore, uri: string, opts: LoadOptions = {}): Promise<ModelSource> {
  const started = process.hrtime.bigint();
  const resolved = await resolveModel(store, parseModelUri(uri));
  if (opts.labelsFile) readLabels(opts.labelsFile);
  if (opts.preprocess) parsePreprocessSpec(opts.preprocess);
  return { uri, opts, resolved, started };
}

/** Resolves a model URI through the store, verifies its bytes, and loads it into an onnxruntime session. */
export async function loadServedModel(store: ModelLookupStore, uri: string, opts: LoadOptions = {}): Promise<ServedModel> {
  return loadFoundModel(await findModel(store, uri, opts));
}

/** Verifies a found model's bytes, loads it into onnxruntime and warms it up. */
export async function loadFoundModel(src: ModelSource): Promise<ServedModel> {
  const { uri, opts, resolved, started } = src;
  const bytes = readModelBytes(resolved);
  const info = readModelInfo(bytes, resolved.label);
  const signature: ModelSignature = { inputs: info.inputs, outputs: info.outputs };
  const v = resolved.version;
  const labels = opts.labelsFile ? readLabels(opts.labelsFile) : (v?.labels ?? splitMeta(info.metadata.labels));
  let spec: PreprocessSpec | null;
  if (opts.preprocess) {
    spec = parsePreprocessSpec(opts.preprocess);
    checkSpecFits(spec, signature, opts.preprocess);
  } else spec = v?.preprocess ? parsePreprocessSpec(v.preprocess) : inferPreprocessSpec(signature);

  const instances = opts.instances ?? 1;
  const threads = opts.threads ?? (instances > 1 ? Math.max(1, Math.floor(availableParallelism() / instances)) : undefined);
  const start = (device: Device) =>
    Promise.all(
      Array.from({ length: instances }, () =>
        InferenceWorker.start(bytes, {
          graphOptimizationLevel: 'all',
          executionProviders: executionProviders(device),
          ...(threads ? { intraOpNumThreads: threads } : {}),
          // Idle intra-op threads would busy-wait after each run, taking the cores that decode
          // images and parse requests meanwhile.
          extra: { session: { intra_op: { allow_spinning: '0' } } },
        }),
      ),
    );
  const request = opts.device ?? { kind: 'auto' };
  let choice = chooseDevice(request, opts.cudaProbe ?? probeCuda());
  const firstLine = (err: unknown) => String((err as Error).message).split('\n')[0];
  let sessions: InferenceWorker[];
  try {
    sessions = await start(choice.device);
  } catch (err) {
    if (choice.device.kind !== 'cuda') throw invalid(`onnxruntime cannot load ${resolved.label}: ${firstLine(err)}`, err);
    if (request.kind === 'cuda')
      throw new MlxError(
        'INVALID_STATE',
        `cannot run ${resolved.label} on ${deviceName(choice.device)}: onnxruntime's CUDA provider failed: ${firstLine(err)}`,
        {
          cause: err,
        },
      );
    // auto: the provider and a GPU were there but CUDA would not start (driver or cuDNN mismatch): serve on the CPU.
    choice = { device: { kind: 'cpu' }, reason: `CUDA failed to start: ${firstLine(err)}` };
    try {
      sessions = await start(choice.device);
    } catch (e) {
      throw invalid(`onnxruntime cannot load ${resolved.label}: ${firstLine(e)}`, e);
    }
  }
  // Each run goes to the session with the fewest runs in flight.
  const run = (feeds: Record<string, Tensor>, owned = false): Promise<Record<string, Tensor>> =>
    sessions.reduce((a, b) => (b.inFlight < a.inFlight ? b : a)).run(feeds, owned);
  const served: ServedModel = {
    name: v?.name ?? path.basename(resolved.file).replace(/\.onnx$/i, ''),
    version: v?.version ?? opts.modelVersion ?? null,
    uri,
    sha256: v?.sha256 ?? sha256(bytes),
    signature,
    labels,
    spec,
    featureNames: splitMeta(info.metadata.feature_names),
    dynamicBatch: signature.inputs.every(dynamicFirst) && signature.outputs.every((o) => o.shape.length === 0 || dynamicFirst(o)),
    instances,
    device: deviceName(choice.device),
    deviceReason: choice.reason,
    loadSeconds: 0,
    run,
    release: async () => void (await Promise.all(sessions.map((s) => s.release()))),
  };
  await warmUp(served);
  if (spec?.kind === 'image') await (await import('./image-preprocess.js')).warmImageDecoding();
  served.loadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return served;
}

function splitMeta(text: string | undefined): string[] | null {
  return text ? text.split(',').map((s) => s.trim()) : null;
}

/** One inference on zeros, so the first real request does not pay for onnxruntime's lazy setup. */
async function warmUp(model: ServedModel): Promise<void> {
  const feeds: Record<string, Tensor> = {};
  for (const input of model.signature.inputs) {
    const t = ELEMENT_TYPES[input.type];
    if (!t) return;
    const dims = input.shape.map((d) => (d < 0 ? 1 : d));
    feeds[input.name] = { type: input.type, data: new t.array(dims.reduce((a, b) => a * b, 1)), dims };
  }
  try {
    await model.run(feeds);
  } catch {
    // A model whose dynamic dimensions cannot all be 1 still serves; it just is not warmed up.
  }
}

/** Refuses a tensor that does not match the signature, naming the expected type and shape. */
export function checkTensor(spec: TensorSpec, t: Tensor): void {
  const expected = `${spec.type} [${spec.shape.join(', ')}]`;
  const got = `${t.type} [${t.dims.join(', ')}]`;
  if (t.type !== spec.type) throw invalid(`input "${spec.name}" expects ${expected}, got ${got}`);
  if (t.dims.length !== spec.shape.length || spec.shape.some((d, i) => d >= 0 && d !== t.dims[i]))
    throw invalid(`input "${spec.name}" expects shape [${spec.shape.join(', ')}] (-1 = any), got [${t.dims.join(', ')}]`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw invalid(`input "${spec.name}" has ${t.data.length} values but shape [${t.dims.join(', ')}] needs ${n}`);
}
