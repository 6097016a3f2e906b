// The seed's drift features as a customer-value dataset, and a small MLP trained on it in plain
// TypeScript and exported to ONNX, so tests and examples have a real tabular model without downloads.
import { OnnxGraphBuilder } from './builder.js';
import { createRng } from './prng.js';

export const DRIFT_FEATURES = ['age', 'income', 'score', 'clicks', 'time'] as const;
export type DriftFeature = (typeof DRIFT_FEATURES)[number];
/** Customer value tiers, the classifier's labels in output order. */
export const VALUE_CLASSES = ['low', 'medium', 'high'] as const;

export interface TabularData {
  featureNames: string[];
  classNames: string[];
  /** One row per customer, features in DRIFT_FEATURES order. */
  rows: number[][];
  /** Class index into classNames. */
  labels: number[];
}

export interface DriftDataOptions {
  /** Shift of each feature's underlying normal, in standard deviations (one number for all, or per feature). */
  shift?: number | Partial<Record<DriftFeature, number>>;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Deterministic customer data: age (years, ~N(40,12) in 18..90), income (lognormal, median 52k, rises with age),
 * score (0..100, ~N(60,15)), clicks (count, lognormal, median 8), time (minutes on site, lognormal, rises with clicks);
 * label low/medium/high from a latent value = income + score + clicks + time, highest at middle age, plus noise.
 */
export function seedDriftData(n: number, seed: number, opts: DriftDataOptions = {}): TabularData {
  const s = (f: DriftFeature) => (typeof opts.shift === 'number' ? opts.shift : (opts.shift?.[f] ?? 0));
  const rng = createRng(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const zAge = rng.normal() + s('age');
    const zIncome = 0.4 * zAge + Math.sqrt(0.84) * rng.normal() + s('income');
    const zScore = rng.normal() + s('score');
    const zClicks = rng.normal() + s('clicks');
    const zTime = 0.5 * zClicks + Math.sqrt(0.75) * rng.normal() + s('time');
    rows.push([
      clamp(Math.round(40 + 12 * zAge), 18, 90),
      Math.round(52000 * Math.exp(0.45 * zIncome)),
      clamp(round(60 + 15 * zScore, 1), 0, 100),
      Math.round(8 * Math.exp(0.6 * zClicks)),
      round(4 * Math.exp(0.5 * zTime), 2),
    ]);
    // Concept is fixed: shifted inputs change the class mix, not the rule (covariate drift).
    const value = 0.9 * zIncome + 0.7 * zScore + 0.5 * zClicks + 0.3 * zTime - 0.3 * (zAge * zAge - 1) + 0.3 * rng.normal();
    labels.push(value < -0.6 ? 0 : value > 0.6 ? 2 : 1);
  }
  return { featureNames: [...DRIFT_FEATURES], classNames: [...VALUE_CLASSES], rows, labels };
}

/** CSV text of the data (header row; `label` column with class names unless `label: false`). */
export function tabularDataCsv(data: TabularData, opts: { label?: boolean } = {}): string {
  const withLabel = opts.label ?? true;
  const lines = [[...data.featureNames, ...(withLabel ? ['label'] : [])].join(',')];
  data.rows.forEach((r, i) => lines.push([...r, ...(withLabel ? [data.classNames[data.labels[i]]] : [])].join(',')));
  return lines.join('\n') + '\n';
}

export interface TabularModel {
  featureNames: string[];
  classNames: string[];
  hidden: number;
  /** First Gemm with standardization folded in: [hidden, features] row-major (used with transB=1), float32. */
  w1: Float32Array;
  b1: Float32Array;
  /** Second Gemm: [classes, hidden] row-major. */
  w2: Float32Array;
  b2: Float32Array;
  /** Standardization the first layer absorbed (training-set mean and std per feature). */
  mean: number[];
  std: number[];
  /** Per epoch, on the training set. */
  history: { loss: number[]; accuracy: number[] };
}

export interface TrainTabularOptions {
  hidden?: number;
  epochs?: number;
  lr?: number;
  seed?: number;
  batchSize?: number;
}

/** Trains Gemm → Relu → Gemm → Softmax by mini-batch SGD with momentum on cross-entropy; deterministic for a seed. */
export function trainTabularClassifier(data: TabularData, opts: TrainTabularOptions = {}): TabularModel {
  const { hidden = 16, epochs = 60, lr = 0.05, seed = 1, batchSize = 32 } = opts;
  const F = data.featureNames.length;
  const K = data.classNames.length;
  const N = data.rows.length;
  const rng = createRng(seed);
  const mean = new Array<number>(F).fill(0);
  const std = new Array<number>(F).fill(0);
  for (const r of data.rows) for (let f = 0; f < F; f++) mean[f] += r[f] / N;
  for (const r of data.rows) for (let f = 0; f < F; f++) std[f] += (r[f] - mean[f]) ** 2 / N;
  for (let f = 0; f < F; f++) std[f] = Math.sqrt(std[f]) || 1;
  const X = data.rows.map((r) => r.map((v, f) => (v - mean[f]) / std[f]));

  const p = {
    w1: Float64Array.from({ length: hidden * F }, () => rng.normal(0, Math.sqrt(2 / F))),
    b1: new Float64Array(hidden),
    w2: Float64Array.from({ length: K * hidden }, () => rng.normal(0, Math.sqrt(1 / hidden))),
    b2: new Float64Array(K),
  };
  const keys = ['w1', 'b1', 'w2', 'b2'] as const;
  const grad = { w1: new Float64Array(hidden * F), b1: new Float64Array(hidden), w2: new Float64Array(K * hidden), b2: new Float64Array(K) };
  const vel = { w1: new Float64Array(hidden * F), b1: new Float64Array(hidden), w2: new Float64Array(K * hidden), b2: new Float64Array(K) };
  const h = new Float64Array(hidden);
  const prob = new Float64Array(K);
  const dh = new Float64Array(hidden);
  const order = Array.from({ length: N }, (_, i) => i);
  const history = { loss: [] as number[], accuracy: [] as number[] };

  const forward = (x: number[]) => {
    for (let j = 0; j < hidden; j++) {
      let a = p.b1[j];
      for (let f = 0; f < F; f++) a += p.w1[j * F + f] * x[f];
      h[j] = a > 0 ? a : 0;
    }
    for (let k = 0; k < K; k++) {
      let a = p.b2[k];
      for (let j = 0; j < hidden; j++) a += p.w2[k * hidden + j] * h[j];
      prob[k] = a;
    }
    softmaxInPlace(prob);
  };

  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = N - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < N; start += batchSize) {
      const end = Math.min(N, start + batchSize);
      for (const k of keys) grad[k].fill(0);
      for (let b = start; b < end; b++) {
        const x = X[order[b]];
        const y = data.labels[order[b]];
        forward(x);
        dh.fill(0);
        for (let k = 0; k < K; k++) {
          const d = prob[k] - (k === y ? 1 : 0);
          grad.b2[k] += d;
          for (let j = 0; j < hidden; j++) {
            grad.w2[k * hidden + j] += d * h[j];
            dh[j] += d * p.w2[k * hidden + j];
          }
        }
        for (let j = 0; j < hidden; j++) {
          if (h[j] <= 0) continue;
          grad.b1[j] += dh[j];
          for (let f = 0; f < F; f++) grad.w1[j * F + f] += dh[j] * x[f];
        }
      }
      const scale = lr / (end - start);
      for (const k of keys) {
        const v = vel[k];
        const g = grad[k];
        const w = p[k];
        for (let i = 0; i < w.length; i++) {
          v[i] = 0.9 * v[i] - scale * g[i];
          w[i] += v[i];
        }
      }
    }
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < N; i++) {
      forward(X[i]);
      loss -= Math.log(Math.max(prob[data.labels[i]], 1e-12)) / N;
      if (argmax(prob) === data.labels[i]) correct++;
    }
    history.loss.push(loss);
    history.accuracy.push(correct / N);
  }

  // Fold (x - mean) / std into the first layer so the ONNX model takes raw features.
  const w1 = new Float32Array(hidden * F);
  const b1 = new Float32Array(hidden);
  for (let j = 0; j < hidden; j++) {
    let bias = p.b1[j];
    for (let f = 0; f < F; f++) {
      w1[j * F + f] = p.w1[j * F + f] / std[f];
      bias -= (p.w1[j * F + f] * mean[f]) / std[f];
    }
    b1[j] = bias;
  }
  return {
    featureNames: [...data.featureNames],
    classNames: [...data.classNames],
    hidden,
    w1,
    b1,
    w2: Float32Array.from(p.w2),
    b2: Float32Array.from(p.b2),
    mean,
    std,
    history,
  };
}

/** Logits of the exported model for raw feature rows, in float64 over the model's float32 weights. */
export function tabularLogits(model: TabularModel, rows: number[][]): number[][] {
  const F = model.featureNames.length;
  const K = model.classNames.length;
  const H = model.hidden;
  const h = new Float64Array(H);
  return rows.map((row) => {
    const x = row.map(Math.fround);
    for (let j = 0; j < H; j++) {
      let a = model.b1[j];
      for (let f = 0; f < F; f++) a += model.w1[j * F + f] * x[f];
      h[j] = a > 0 ? a : 0;
    }
    return Array.from({ length: K }, (_, k) => {
      let a = model.b2[k];
      for (let j = 0; j < H; j++) a += model.w2[k * H + j] * h[j];
      return a;
    });
  });
}

/** Class probabilities for raw feature rows: the same math as the ONNX model. */
export function predictTabular(model: TabularModel, rows: number[][]): number[][] {
  return tabularLogits(model, rows).map((l) => Array.from(softmaxInPlace(Float64Array.from(l))));
}

/** Accuracy and mean cross-entropy of the model on labelled data. */
export function evaluateTabular(model: TabularModel, data: TabularData): { accuracy: number; loss: number } {
  const probs = predictTabular(model, data.rows);
  let correct = 0;
  let loss = 0;
  probs.forEach((p, i) => {
    if (argmax(p) === data.labels[i]) correct++;
    loss -= Math.log(Math.max(p[data.labels[i]], 1e-12));
  });
  return { accuracy: correct / probs.length, loss: loss / probs.length };
}

/**
 * ONNX model: input 'features' float32 [batch, 5] (raw values, DRIFT_FEATURES order), output 'probabilities'
 * float32 [batch, 3] (softmax). With `logits: true` a second output 'logits' exposes the pre-softmax scores.
 */
export function tabularClassifierOnnx(model: TabularModel, opts: { logits?: boolean } = {}): Uint8Array {
  const F = model.featureNames.length;
  const K = model.classNames.length;
  const b = new OnnxGraphBuilder('tabular_classifier')
    .input('features', 'float32', ['batch', F])
    .initializer('W1', model.w1, [model.hidden, F])
    .initializer('B1', model.b1, [model.hidden])
    .initializer('W2', model.w2, [K, model.hidden])
    .initializer('B2', model.b2, [K])
    .node('Gemm', ['features', 'W1', 'B1'], ['hidden_pre'], { transB: 1 })
    .node('Relu', ['hidden_pre'], ['hidden'])
    .node('Gemm', ['hidden', 'W2', 'B2'], ['logits'], { transB: 1 })
    .node('Softmax', ['logits'], ['probabilities'], { axis: -1 })
    .output('probabilities', 'float32', ['batch', K]);
  if (opts.logits) b.output('logits', 'float32', ['batch', K]);
  return b.toBytes({
    docString: 'Customer value tier (low/medium/high) from age, income, score, clicks, time; mlx sample model',
    metadata: { feature_names: model.featureNames.join(','), labels: model.classNames.join(',') },
  });
}

/** Numerically stable softmax, in place. */
export function softmaxInPlace<T extends Float64Array | number[]>(v: T): T {
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) if (v[i] > max) max = v[i];
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] = Math.exp(v[i] - max);
  for (let i = 0; i < v.length; i++) v[i] /= sum;
  return v;
}

/** Index of the largest value (first on ties). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
