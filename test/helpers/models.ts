// Shared by the registry e2e tests: real ONNX files from the sample models, and what a user
// can see of a store's registry (for "nothing was registered" assertions).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { OnnxGraphBuilder } from '../../src/models/onnx/builder.js';
import {
  brokenModels,
  imageClassifierOnnx,
  seedDriftData,
  tabularClassifierOnnx,
  trainImageClassifier,
  trainTabularClassifier,
} from '../../src/models/onnx/sample-models.js';
import { expectError, mlx, mlxJson, tempProject, type CliResult } from './cli.js';
import { storeRows } from './store-rows.js';

export { expectError };

export const T = 60_000;

/** The seed's torchvision pipeline, as the README and issue give it. */
export const SEED_SPEC = 'image:224x224,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw';

export interface SampleModels {
  /** Tabular classifier: features float32 [batch, 5] → probabilities float32 [batch, 3]. */
  tabular: Uint8Array;
  /** Conv image classifier: image float32 [batch, 3, 32, 32] → logits float32 [batch, 5]. */
  image: Uint8Array;
  /** The same architecture at 224x224. */
  image224: Uint8Array;
  broken: ReturnType<typeof brokenModels>;
  /** Relu over [batch, 2, 3]: the output is not [batch, classes]. */
  rank3: Uint8Array;
  /** Relu over a 1-D [n] tensor. */
  rank1: Uint8Array;
}

let cached: SampleModels | undefined;

/** Builds the sample models once per test file (they are deterministic). */
export function sampleModels(): SampleModels {
  if (cached) return cached;
  const relu = (name: string, shape: (string | number)[]) =>
    new OnnxGraphBuilder(name).input('x', 'float32', shape).node('Relu', ['x'], ['y']).output('y', 'float32', shape).toBytes();
  cached = {
    tabular: tabularClassifierOnnx(trainTabularClassifier(seedDriftData(300, 1))),
    image: imageClassifierOnnx(),
    // Few samples and epochs: the weights do not matter here, only the graph's shapes.
    image224: imageClassifierOnnx(trainImageClassifier({ height: 224, width: 224, samplesPerClass: 2, epochs: 20 })),
    broken: brokenModels(),
    rank3: relu('rank3', ['batch', 2, 3]),
    rank1: relu('rank1', ['n']),
  };
  return cached;
}

/** Writes bytes into dir/file and returns the path. */
export function writeFile(dir: string, file: string, bytes: Uint8Array | string): string {
  const p = path.join(dir, file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, bytes);
  return p;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The content-addressed model files of the project's store. */
export function storedModels(dir: string): string[] {
  const root = path.join(dir, '.mlx', 'models', 'sha256');
  return fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
}

/** Every file under .mlx/models (model bytes and cards). */
export function modelFiles(dir: string): string[] {
  const root = path.join(dir, '.mlx', 'models');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).map(String).sort();
}

/** A fresh project with tabular.onnx and image.onnx in it. */
export function project(prefix = 'mlx-reg-'): string {
  const dir = tempProject(prefix);
  const m = sampleModels();
  writeFile(dir, 'tabular.onnx', m.tabular);
  writeFile(dir, 'image.onnx', m.image);
  return dir;
}

/** Runs mlx and insists it succeeded. */
export function ok(dir: string, args: string[], env?: Record<string, string | undefined>): CliResult {
  const r = mlx(dir, args, { env });
  expect(r.code, `mlx ${args.join(' ')} failed: ${r.stderr}`).toBe(0);
  return r;
}

/** `mlx register … --json` → the new model version. */
export function register(dir: string, args: string[]): any {
  return mlxJson(dir, ['register', ...args]).model_version;
}

/** A run with a param and a metric, with PATH logged under the artifact path `model`. */
export function runWithModel(dir: string, file: string, artifactPath = 'model'): string {
  const run = ok(dir, ['runs', 'start', '--name', 'train']).stdout.trim();
  expect(run).toMatch(/^[0-9a-f]{32}$/);
  ok(dir, ['log', 'param', 'lr', '0.05', '--run', run]);
  ok(dir, ['log', 'metric', 'accuracy', '0.5', '--run', run, '--step', '1']);
  ok(dir, ['log', 'metric', 'accuracy', '0.875', '--run', run, '--step', '2']);
  ok(dir, ['log', 'artifact', file, '--run', run, '--artifact-path', artifactPath]);
  return run;
}

/** Everything a refused registry command could have changed: every row of the store, the files under .mlx/models. */
export function registrySnapshot(dir: string) {
  return { rows: storeRows(dir), files: modelFiles(dir) };
}

/** Runs a command that must be refused, and checks that the registry did not change. */
export function refused(dir: string, args: string[], code: number, ...mentions: (string | RegExp)[]): string {
  const before = registrySnapshot(dir);
  const line = expectError(mlx(dir, args), code, ...mentions);
  expect(registrySnapshot(dir), `mlx ${args.join(' ')} changed the registry`).toEqual(before);
  return line;
}
