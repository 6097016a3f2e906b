// A tiny convolutional image classifier with the seed's labels. The conv filters are hand-designed
// colour and edge detectors; only the final Gemm is trained (softmax regression on pooled features),
// which keeps training under a second and the model at a few KB while the graph is a real CNN.
import { OnnxGraphBuilder } from './builder.js';
import { createRng } from './prng.js';
import { argmax, softmaxInPlace } from './tabular-model.js';

/** The seed's image classes, in output order. */
export const SEED_LABELS = ['cat', 'dog', 'bird', 'fish', 'other'] as const;
export type SeedLabel = (typeof SEED_LABELS)[number];

export interface SyntheticImage {
  label: SeedLabel;
  height: number;
  width: number;
  /** Float32 CHW in [0, 1]: exactly rgb / 255, what `scale=1/255,layout=nchw` preprocessing produces. */
  chw: Float32Array;
  /** 8-bit RGB, HWC (row-major pixels), ready to encode as PNG. */
  rgb: Uint8Array;
}

/**
 * A synthetic image whose class is its colour pattern: cat = mostly red, dog = mostly green, bird = mostly blue
 * (each with pixel noise and a blob of another shade), fish = horizontal light/dark stripes, other = RGB noise.
 */
export function syntheticImage(label: SeedLabel, seed: number, height = 32, width = 32): SyntheticImage {
  const cls = SEED_LABELS.indexOf(label);
  const rng = createRng((Math.imul(seed, 0x9e3779b1) + cls * 7919) >>> 0);
  const px = new Float64Array(height * width * 3);
  if (cls <= 2) {
    const base = [0, 1, 2].map((c) => (c === cls ? 0.55 + 0.35 * rng.next() : 0.05 + 0.35 * rng.next()));
    const cy = rng.next() * height,
      cx = rng.next() * width;
    const ry = (0.15 + 0.25 * rng.next()) * height,
      rx = (0.15 + 0.25 * rng.next()) * width;
    const shade = 0.7 + 0.5 * rng.next();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inBlob = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 < 1;
        for (let c = 0; c < 3; c++) px[(y * width + x) * 3 + c] = base[c] * (inBlob ? shade : 1) + rng.normal(0, 0.06);
      }
    }
  } else if (cls === 3) {
    const period = 4 + 2 * rng.int(3);
    const phase = rng.int(period);
    const light = 0.7 + 0.25 * rng.next();
    const dark = 0.05 + 0.2 * rng.next();
    const tint = [0, 1, 2].map(() => rng.normal(0, 0.04));
    for (let y = 0; y < height; y++) {
      const v = (y + phase) % period < period / 2 ? light : dark;
      for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) px[(y * width + x) * 3 + c] = v + tint[c] + rng.normal(0, 0.04);
    }
  } else {
    for (let i = 0; i < px.length; i++) px[i] = rng.next();
  }
  const rgb = new Uint8Array(px.length);
  const chw = new Float32Array(px.length);
  const plane = height * width;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const b = Math.round(Math.min(1, Math.max(0, px[i * 3 + c])) * 255);
      rgb[i * 3 + c] = b;
      chw[c * plane + i] = b / 255;
    }
  }
  return { label, height, width, chw, rgb };
}

export interface ImageModel {
  labels: string[];
  height: number;
  width: number;
  /** Conv weights [8, 3, 3, 3] (out, in, ky, kx) and bias [8]. */
  convWeight: Float32Array;
  convBias: Float32Array;
  /** Final Gemm [5, 8] (used with transB=1) and bias [5], feature standardization folded in. */
  fcWeight: Float32Array;
  fcBias: Float32Array;
  trainAccuracy: number;
}

export interface TrainImageOptions {
  height?: number;
  width?: number;
  seed?: number;
  samplesPerClass?: number;
  epochs?: number;
  lr?: number;
}

const CONV_OUT = 8;

// Filters 0-2: "this channel minus the mean of the other two" (red/green/blue-ness); 3: brightness;
// 4/5: horizontal edges of either sign (Sobel y on luminance); 6/7: vertical edges. ReLU keeps one sign each.
function handDesignedFilters(): Float32Array {
  const w = new Float32Array(CONV_OUT * 27);
  const at = (o: number, c: number, ky: number, kx: number) => ((o * 3 + c) * 3 + ky) * 3 + kx;
  for (let o = 0; o < 3; o++) for (let c = 0; c < 3; c++) w[at(o, c, 1, 1)] = c === o ? 1 : -0.5;
  for (let c = 0; c < 3; c++) w[at(3, c, 1, 1)] = 1 / 3;
  const sobel = [
    [-1, -2, -1],
    [0, 0, 0],
    [1, 2, 1],
  ];
  for (let c = 0; c < 3; c++) {
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        w[at(4, c, a, b)] = sobel[a][b] / 12;
        w[at(5, c, a, b)] = -sobel[a][b] / 12;
        w[at(6, c, a, b)] = sobel[b][a] / 12;
        w[at(7, c, a, b)] = -sobel[b][a] / 12;
      }
    }
  }
  return w;
}

/** Conv(pad 1) → Relu → GlobalAveragePool: the 8 pooled features, in float64 over float32 weights. */
export function imageFeatures(convWeight: Float32Array, convBias: Float32Array, chw: Float32Array, height: number, width: number): number[] {
  const plane = height * width;
  const out = new Array<number>(CONV_OUT).fill(0);
  for (let o = 0; o < CONV_OUT; o++) {
    let sum = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let a = convBias[o];
        for (let c = 0; c < 3; c++) {
          for (let ky = 0; ky < 3; ky++) {
            const yy = y + ky - 1;
            if (yy < 0 || yy >= height) continue;
            for (let kx = 0; kx < 3; kx++) {
              const xx = x + kx - 1;
              if (xx < 0 || xx >= width) continue;
              a += convWeight[((o * 3 + c) * 3 + ky) * 3 + kx] * chw[c * plane + yy * width + xx];
            }
          }
        }
        if (a > 0) sum += a;
      }
    }
    out[o] = sum / plane;
  }
  return out;
}

/** Logits of the exported model for one CHW image: the same math as the ONNX graph. */
export function predictImage(model: ImageModel, chw: Float32Array): number[] {
  const feats = imageFeatures(model.convWeight, model.convBias, chw, model.height, model.width);
  const K = model.labels.length;
  return Array.from({ length: K }, (_, k) => {
    let a = model.fcBias[k];
    for (let f = 0; f < CONV_OUT; f++) a += model.fcWeight[k * CONV_OUT + f] * feats[f];
    return a;
  });
}

/** Builds the conv filters and trains the final Gemm by softmax regression on synthetic images; deterministic for a seed. */
export function trainImageClassifier(opts: TrainImageOptions = {}): ImageModel {
  const { height = 32, width = 32, seed = 1, samplesPerClass = 40, epochs = 400, lr = 0.5 } = opts;
  const convWeight = handDesignedFilters();
  const convBias = new Float32Array(CONV_OUT);
  const K = SEED_LABELS.length;
  const X: number[][] = [];
  const Y: number[] = [];
  for (let i = 0; i < samplesPerClass; i++) {
    SEED_LABELS.forEach((label, k) => {
      const img = syntheticImage(label, seed * 100_003 + i, height, width);
      X.push(imageFeatures(convWeight, convBias, img.chw, height, width));
      Y.push(k);
    });
  }
  const N = X.length;
  const mean = new Array<number>(CONV_OUT).fill(0);
  const std = new Array<number>(CONV_OUT).fill(0);
  for (const x of X) for (let f = 0; f < CONV_OUT; f++) mean[f] += x[f] / N;
  for (const x of X) for (let f = 0; f < CONV_OUT; f++) std[f] += (x[f] - mean[f]) ** 2 / N;
  for (let f = 0; f < CONV_OUT; f++) std[f] = Math.sqrt(std[f]) || 1;
  const Z = X.map((x) => x.map((v, f) => (v - mean[f]) / std[f]));

  // Full-batch gradient descent; a little L2 keeps logits moderate so float32 and float64 agree closely.
  const W = new Float64Array(K * CONV_OUT);
  const B = new Float64Array(K);
  const p = new Float64Array(K);
  const l2 = 1e-2;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gW = new Float64Array(K * CONV_OUT);
    const gB = new Float64Array(K);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        let a = B[k];
        for (let f = 0; f < CONV_OUT; f++) a += W[k * CONV_OUT + f] * Z[n][f];
        p[k] = a;
      }
      softmaxInPlace(p);
      for (let k = 0; k < K; k++) {
        const d = p[k] - (k === Y[n] ? 1 : 0);
        gB[k] += d / N;
        for (let f = 0; f < CONV_OUT; f++) gW[k * CONV_OUT + f] += (d * Z[n][f]) / N;
      }
    }
    for (let i = 0; i < W.length; i++) W[i] -= lr * (gW[i] + l2 * W[i]);
    for (let k = 0; k < K; k++) B[k] -= lr * gB[k];
  }

  const fcWeight = new Float32Array(K * CONV_OUT);
  const fcBias = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    let bias = B[k];
    for (let f = 0; f < CONV_OUT; f++) {
      fcWeight[k * CONV_OUT + f] = W[k * CONV_OUT + f] / std[f];
      bias -= (W[k * CONV_OUT + f] * mean[f]) / std[f];
    }
    fcBias[k] = bias;
  }
  const model: ImageModel = { labels: [...SEED_LABELS], height, width, convWeight, convBias, fcWeight, fcBias, trainAccuracy: 0 };
  let correct = 0;
  for (let n = 0; n < N; n++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let k = 0; k < K; k++) {
      let a = fcBias[k];
      for (let f = 0; f < CONV_OUT; f++) a += fcWeight[k * CONV_OUT + f] * X[n][f];
      if (a > bestScore) [best, bestScore] = [k, a];
    }
    if (best === Y[n]) correct++;
  }
  model.trainAccuracy = correct / N;
  return model;
}

/** The predicted label of one CHW image. */
export function classifyImage(model: ImageModel, chw: Float32Array): string {
  return model.labels[argmax(predictImage(model, chw))];
}

/**
 * ONNX model: input 'image' float32 [batch, 3, H, W], Conv(3→8, 3x3, pad 1) → Relu → GlobalAveragePool → Flatten →
 * Gemm(8→5), output 'logits' float32 [batch, 5] (no softmax: consumers apply it). Trains the default model if none is given.
 */
export function imageClassifierOnnx(model: ImageModel = trainImageClassifier()): Uint8Array {
  const K = model.labels.length;
  return new OnnxGraphBuilder('image_classifier')
    .input('image', 'float32', ['batch', 3, model.height, model.width])
    .initializer('conv_W', model.convWeight, [CONV_OUT, 3, 3, 3])
    .initializer('conv_B', model.convBias, [CONV_OUT])
    .initializer('fc_W', model.fcWeight, [K, CONV_OUT])
    .initializer('fc_B', model.fcBias, [K])
    .node('Conv', ['image', 'conv_W', 'conv_B'], ['conv'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] })
    .node('Relu', ['conv'], ['conv_relu'])
    .node('GlobalAveragePool', ['conv_relu'], ['pooled'])
    .node('Flatten', ['pooled'], ['flat'], { axis: 1 })
    .node('Gemm', ['flat', 'fc_W', 'fc_B'], ['logits'], { transB: 1 })
    .output('logits', 'float32', ['batch', K])
    .toBytes({
      docString: `Synthetic-image classifier (${model.labels.join(', ')}); outputs logits; mlx sample model`,
      metadata: { labels: model.labels.join(','), output: 'logits', input_range: '0..1', layout: 'nchw' },
    });
}
