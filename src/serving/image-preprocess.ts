import { invalid } from '../core/errors.js';
import type { ImageSpec } from '../models/preprocess-spec.js';
import type { Tensor } from './model-runtime.js';

type Sharp = (typeof import('sharp'))['default'];
let sharpModule: Sharp | undefined;

async function loadSharp(): Promise<Sharp> {
  if (!sharpModule) {
    sharpModule = (await import('sharp')).default;
    // Many small images at once: libvips' cache only costs memory here.
    sharpModule.cache(false);
  }
  return sharpModule;
}

const FIT = { stretch: 'fill', cover: 'cover', contain: 'contain' } as const;

/**
 * Decodes a JPEG/PNG/WebP and turns it into the model's input row as the spec says: resize,
 * channels, scale, mean/std, layout. The resize matches PIL's bilinear filter (what
 * torchvision's Resize uses): libvips' linear kernel, which reduces with the same widened
 * triangle filter, and no JPEG shrink-on-load, which would pre-shrink with a box filter.
 */
export async function imageToTensor(bytes: Uint8Array, spec: ImageSpec): Promise<Tensor> {
  const sharp = await loadSharp();
  const channels = spec.color === 'gray' ? 1 : 3;
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    let img = sharp(bytes, { failOn: 'error', limitInputPixels: 100_000_000 });
    img = spec.color === 'gray' ? img.greyscale() : img.toColourspace('srgb');
    raw = await img
      .flatten({ background: '#000000' })
      .resize(spec.width, spec.height, { fit: FIT[spec.resize], kernel: 'linear', fastShrinkOnLoad: false, background: '#000000' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw invalid(`cannot decode image: ${String((err as Error).message).split('\n')[0]}; send a JPEG, PNG or WebP file`);
  }
  const { data, info } = raw;
  if (info.channels < channels) throw invalid(`cannot decode image: it has ${info.channels} channels, the model wants ${channels}`);
  const hw = spec.width * spec.height;
  const out = new Float32Array(hw * channels);
  const stride = info.channels;
  for (let c = 0; c < channels; c++) {
    // BGR models read the channels in reverse order.
    const src = spec.color === 'bgr' ? 2 - c : c;
    const mul = spec.scale / spec.std[c];
    const add = -spec.mean[c] / spec.std[c];
    if (spec.layout === 'nchw') {
      const base = c * hw;
      for (let i = 0; i < hw; i++) out[base + i] = data[i * stride + src] * mul + add;
    } else {
      for (let i = 0; i < hw; i++) out[i * channels + c] = data[i * stride + src] * mul + add;
    }
  }
  const dims = spec.layout === 'nchw' ? [1, channels, spec.height, spec.width] : [1, spec.height, spec.width, channels];
  return { type: 'float32', data: out, dims };
}
