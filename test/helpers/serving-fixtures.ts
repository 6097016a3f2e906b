// Models, images and a /metrics reader shared by the serving tests (in-process and spawned).
import sharp from 'sharp';
import { expect } from 'vitest';
import { OnnxGraphBuilder } from '../../src/models/onnx/builder.js';
import { createRng } from '../../src/models/onnx/prng.js';
import {
  SEED_LABELS,
  VALUE_CLASSES,
  argmax,
  imageClassifierOnnx,
  predictImage,
  predictTabular,
  seedDriftData,
  softmaxInPlace,
  syntheticImage,
  tabularClassifierOnnx,
  trainImageClassifier,
  trainTabularClassifier,
  type ImageModel,
  type SeedLabel,
  type TabularModel,
} from '../../src/models/onnx/sample-models.js';

export { SEED_LABELS, VALUE_CLASSES };

/** The tabular sample model's columns, as its feature_names metadata records them. */
export const FEATURES = ['age', 'income', 'score', 'clicks', 'time'] as const;

let tab: TabularModel | undefined;
let img: ImageModel | undefined;

/** The trained tabular classifier: features float32 [batch, 5] → probabilities float32 [batch, 3]. */
export function tabularModel(): TabularModel {
  return (tab ??= trainTabularClassifier(seedDriftData(300, 1)));
}

export function tabularBytes(opts: { logits?: boolean } = {}): Uint8Array {
  return tabularClassifierOnnx(tabularModel(), opts);
}

/** Rows of customer data the model has not seen. */
export function tabularRows(n: number, seed = 7): number[][] {
  return seedDriftData(n, seed).rows;
}

/** What the tabular model itself computes for rows (float64 over its float32 weights). */
export function tabularExpected(rows: number[][]): number[][] {
  return predictTabular(tabularModel(), rows);
}

/** The conv image classifier: image float32 [batch, 3, 32, 32] → logits float32 [batch, 5]. */
export function imageModel(): ImageModel {
  return (img ??= trainImageClassifier());
}

export function imageBytes(): Uint8Array {
  return imageClassifierOnnx(imageModel());
}

export const IMAGE_SPEC = 'image:32x32,rgb,scale=1/255,layout=nchw';
export const IMAGE_LABELS = `${SEED_LABELS.join('\n')}\n`;
export const TABULAR_LABELS = `${VALUE_CLASSES.join('\n')}\n`;

/** A synthetic 32x32 image encoded as PNG, JPEG or WebP, with the probabilities the model gives its exact pixels. */
export async function encodedImage(label: SeedLabel, seed: number, format: 'png' | 'jpeg' | 'webp' = 'png') {
  const image = syntheticImage(label, seed);
  const s = sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } });
  const bytes =
    format === 'png' ? await s.png().toBuffer() : format === 'jpeg' ? await s.jpeg({ quality: 95 }).toBuffer() : await s.webp({ quality: 95 }).toBuffer();
  const probs = Array.from(softmaxInPlace(Float64Array.from(predictImage(imageModel(), image.chw))));
  return { bytes, probs, classId: argmax(probs), label };
}

/** A multipart form with one "file" field per image. */
export function imageForm(...images: Uint8Array[]): FormData {
  const form = new FormData();
  images.forEach((bytes, i) => form.append('file', new Blob([bytes]), `image-${i}.png`));
  return form;
}

/**
 * Two inputs of two types, two outputs: a float32 [batch, 3] and b int64 [batch, 3] → sum = a + b float32 [batch, 3]
 * and argmax = ArgMax(sum) int64 [batch].
 */
export function pairModelBytes(): Uint8Array {
  return new OnnxGraphBuilder('pair')
    .input('a', 'float32', ['batch', 3])
    .input('b', 'int64', ['batch', 3])
    .node('Cast', ['b'], ['b_float'], { to: 1 })
    .node('Add', ['a', 'b_float'], ['sum'])
    .node('ArgMax', ['sum'], ['argmax'], { axis: 1, keepdims: 0 })
    .output('sum', 'float32', ['batch', 3])
    .output('argmax', 'int64', ['batch'])
    .toBytes();
}

/** A classifier with a fixed batch size: x float32 [1, 4] → softmax(x W + B) float32 [1, 3]. */
export function fixedBatchModel() {
  const W = Float32Array.from([0.5, -1, 0.25, 1, 0.5, -0.5, -0.25, 0.75, 1, 0.1, -0.2, 0.3]);
  const B = Float32Array.from([0.1, -0.1, 0.05]);
  const bytes = new OnnxGraphBuilder('fixed')
    .input('x', 'float32', [1, 4])
    .initializer('W', W, [4, 3])
    .initializer('B', B, [3])
    .node('MatMul', ['x', 'W'], ['xw'])
    .node('Add', ['xw', 'B'], ['logits'])
    .node('Softmax', ['logits'], ['probs'], { axis: -1 })
    .output('probs', 'float32', [1, 3])
    .toBytes();
  const predict = (x: number[]) => {
    const logits = [0, 1, 2].map((k) => B[k] + x.reduce((a, v, i) => a + Math.fround(v) * W[i * 3 + k], 0));
    return Array.from(softmaxInPlace(Float64Array.from(logits)));
  };
  return { bytes, predict };
}

/**
 * A compute-bound MLP: x float32 [batch, width] → `layers` times Tanh(h W) with one shared W → y float32 [batch, 10]
 * (or [batch, width] with `wide`, for large answers). One shared weight keeps the file small while each row costs
 * layers × width² multiply-adds.
 */
export function mlpBytes(width = 512, layers = 16, opts: { wide?: boolean } = {}): Uint8Array {
  const rng = createRng(42);
  const scale = Math.sqrt(1 / width);
  const b = new OnnxGraphBuilder('mlp').input('x', 'float32', ['batch', width]).initializer(
    'W',
    Float32Array.from({ length: width * width }, () => rng.normal(0, scale)),
    [width, width],
  );
  let h = 'x';
  for (let i = 0; i < layers; i++) {
    b.node('MatMul', [h, 'W'], [`mm${i}`]).node('Tanh', [`mm${i}`], [`h${i}`]);
    h = `h${i}`;
  }
  if (opts.wide) return b.node('Identity', [h], ['y']).output('y', 'float32', ['batch', width]).toBytes();
  return b
    .initializer(
      'Wout',
      Float32Array.from({ length: width * 10 }, () => rng.normal(0, scale)),
      [width, 10],
    )
    .node('MatMul', [h, 'Wout'], ['y'])
    .output('y', 'float32', ['batch', 10])
    .toBytes();
}

/** A response's JSON body, untyped (tests check its shape). */
export async function json(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}

/** The value of a sample in Prometheus text (summed over series matching the given labels), or undefined. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let found: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) found = (found ?? 0) + Number(m[3].replace('+Inf', 'Infinity'));
  }
  return found;
}

/** Every value of a and b (nested number arrays) within tol. */
export function expectClose(a: unknown, b: unknown, tol: number, where = ''): void {
  if (Array.isArray(b)) {
    expect(Array.isArray(a), `${where} should be a list`).toBe(true);
    expect((a as unknown[]).length, `${where} length`).toBe(b.length);
    b.forEach((v, i) => expectClose((a as unknown[])[i], v, tol, `${where}[${i}]`));
    return;
  }
  expect(typeof a, `${where} should be a number`).toBe('number');
  expect(Math.abs((a as number) - (b as number)), `${where}: ${a} vs ${b}`).toBeLessThanOrEqual(tol);
}
