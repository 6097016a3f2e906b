// A small image classifier in plain JavaScript, and its export to ONNX:
//
//   image [batch, 3, 32, 32] → AveragePool 4x4 → [batch, 3, 8, 8] → Flatten → 192 numbers
//     → Gemm (hidden units) → Relu → Gemm (5 classes) → logits
//
// The pooling has no weights, so it is done once per image (poolImage); training then fits the two
// dense layers by mini-batch gradient descent with momentum on the cross-entropy loss.
import { OnnxGraphBuilder } from '../../dist/models/onnx/builder.js';
import { argmax, createRng, softmaxInPlace } from '../../dist/models/onnx/sample-models.js';

const POOL = 4;

/** AveragePool(kernel 4, stride 4) then Flatten, as the ONNX graph does: channel, then row, then column. */
export function poolImage(chw, size) {
  const cells = size / POOL;
  const out = new Float64Array(3 * cells * cells);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) out[(c * cells + Math.floor(y / POOL)) * cells + Math.floor(x / POOL)] += chw[(c * size + y) * size + x] / (POOL * POOL);
  return out;
}

/** Random initial weights (He initialization) for `features` inputs, `hidden` units and `classes` outputs. */
export function createModel({ inputSize, classes, hidden, seed }) {
  const rng = createRng(seed);
  const features = 3 * (inputSize / POOL) ** 2;
  return {
    inputSize,
    features,
    hidden,
    classes,
    w1: Float64Array.from({ length: hidden * features }, () => rng.normal(0, Math.sqrt(2 / features))),
    b1: new Float64Array(hidden),
    w2: Float64Array.from({ length: classes * hidden }, () => rng.normal(0, Math.sqrt(2 / hidden))),
    b2: new Float64Array(classes),
  };
}

/** Forward pass for one pooled image: the hidden activations and the class probabilities. */
export function forward(m, x) {
  const h = new Float64Array(m.hidden);
  for (let j = 0; j < m.hidden; j++) {
    let a = m.b1[j];
    for (let f = 0; f < m.features; f++) a += m.w1[j * m.features + f] * x[f];
    h[j] = Math.max(0, a);
  }
  const p = new Float64Array(m.classes);
  for (let k = 0; k < m.classes; k++) {
    let a = m.b2[k];
    for (let j = 0; j < m.hidden; j++) a += m.w2[k * m.hidden + j] * h[j];
    p[k] = a;
  }
  return { h, p: softmaxInPlace(p) };
}

/** Predicted class index and its probability. */
export function predict(m, x) {
  const { p } = forward(m, x);
  const k = argmax(p);
  return { classId: k, confidence: p[k], probabilities: p };
}

/** One pass over the training set in shuffled mini-batches; returns the mean cross-entropy loss. */
export function trainEpoch(m, X, Y, { lr, batchSize, momentum = 0.9, rng, velocity }) {
  const params = ['w1', 'b1', 'w2', 'b2'];
  const order = X.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  let loss = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    const grad = Object.fromEntries(params.map((k) => [k, new Float64Array(m[k].length)]));
    for (const n of batch) {
      const x = X[n];
      const { h, p } = forward(m, x);
      loss -= Math.log(Math.max(p[Y[n]], 1e-12));
      // Backpropagation: d(loss)/d(logit k) = p_k - [k is the true class].
      const dh = new Float64Array(m.hidden);
      for (let k = 0; k < m.classes; k++) {
        const d = p[k] - (k === Y[n] ? 1 : 0);
        grad.b2[k] += d;
        for (let j = 0; j < m.hidden; j++) {
          grad.w2[k * m.hidden + j] += d * h[j];
          dh[j] += d * m.w2[k * m.hidden + j];
        }
      }
      for (let j = 0; j < m.hidden; j++) {
        if (h[j] <= 0) continue; // Relu passes no gradient where it was off
        grad.b1[j] += dh[j];
        for (let f = 0; f < m.features; f++) grad.w1[j * m.features + f] += dh[j] * x[f];
      }
    }
    for (const k of params) {
      velocity[k] ??= new Float64Array(m[k].length);
      for (let i = 0; i < m[k].length; i++) {
        velocity[k][i] = momentum * velocity[k][i] - (lr / batch.length) * grad[k][i];
        m[k][i] += velocity[k][i];
      }
    }
  }
  return loss / X.length;
}

/** The trained model as ONNX bytes: input 'image' float32 [batch, 3, S, S], output 'logits' float32 [batch, classes]. */
export function toOnnx(m, labels) {
  const s = m.inputSize;
  return new OnnxGraphBuilder('image_classifier')
    .input('image', 'float32', ['batch', 3, s, s])
    .initializer('W1', Float32Array.from(m.w1), [m.hidden, m.features])
    .initializer('B1', Float32Array.from(m.b1), [m.hidden])
    .initializer('W2', Float32Array.from(m.w2), [m.classes, m.hidden])
    .initializer('B2', Float32Array.from(m.b2), [m.classes])
    .node('AveragePool', ['image'], ['pooled'], { kernel_shape: [POOL, POOL], strides: [POOL, POOL] })
    .node('Flatten', ['pooled'], ['flat'], { axis: 1 })
    .node('Gemm', ['flat', 'W1', 'B1'], ['hidden_pre'], { transB: 1 })
    .node('Relu', ['hidden_pre'], ['hidden'])
    .node('Gemm', ['hidden', 'W2', 'B2'], ['logits'], { transB: 1 })
    .output('logits', 'float32', ['batch', m.classes])
    .toBytes({
      docString: `Image classifier (${labels.join(', ')}) trained by examples/image-classifier; outputs logits`,
      metadata: { labels: labels.join(','), output: 'logits', layout: 'nchw' },
    });
}
