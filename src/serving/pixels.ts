import type { ImageSpec } from '../models/preprocess-spec.js';

/**
 * How 8-bit pixels become the float tensor a model takes: per channel, which source channel
 * (BGR models read them reversed), then value * mul + add (scale, mean, std), in the spec's layout.
 */
export interface PixelScaling {
  layout: 'nchw' | 'nhwc';
  channels: number;
  order: number[];
  mul: number[];
  add: number[];
}

const scalings = new WeakMap<ImageSpec, PixelScaling>();

/** The scaling a spec asks for, worked out once per spec (a served model keeps one spec object). */
export function pixelScaling(spec: ImageSpec): PixelScaling {
  let s = scalings.get(spec);
  if (!s) scalings.set(spec, (s = computeScaling(spec)));
  return s;
}

function computeScaling(spec: ImageSpec): PixelScaling {
  const channels = spec.color === 'gray' ? 1 : 3;
  const order = Array.from({ length: channels }, (_, c) => (spec.color === 'bgr' ? 2 - c : c));
  const mul = order.map((_, c) => spec.scale / spec.std[c]);
  const add = order.map((_, c) => -spec.mean[c] / spec.std[c]);
  return { layout: spec.layout, channels, order, mul, add };
}

/**
 * The float tensor from packed 8-bit pixels (images × height × width × channels) of dims
 * (the model's dims). It runs on the inference thread, straight into the batch's tensor, so it
 * must not refer to anything outside itself (inference-worker.ts embeds its source).
 */
export function scalePixels(data: Uint8Array, dims: number[], p: PixelScaling): Float32Array {
  const C = p.channels;
  const out = new Float32Array(data.length);
  if (p.layout === 'nchw') {
    const hw = dims[2] * dims[3];
    for (let b = 0; b < dims[0]; b++) {
      const base = b * hw * C;
      for (let c = 0; c < C; c++) {
        const mul = p.mul[c];
        const add = p.add[c];
        const o = base + c * hw;
        for (let i = 0, s = base + p.order[c]; i < hw; i++, s += C) out[o + i] = data[s] * mul + add;
      }
    }
  } else {
    for (let c = 0; c < C; c++) {
      const mul = p.mul[c];
      const add = p.add[c];
      for (let j = c, s = p.order[c]; j < data.length; j += C, s += C) out[j] = data[s] * mul + add;
    }
  }
  return out;
}
