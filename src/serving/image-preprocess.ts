import { invalid } from '../core/errors.js';
import type { ImageSpec } from '../models/preprocess-spec.js';
import type { Tensor } from './model-runtime.js';
import { pilBilinearResize } from './pil-resize.js';
import { pixelScaling, scalePixels } from './pixels.js';

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

async function decode<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw invalid(`cannot decode image: ${String((err as Error).message).split('\n')[0]}; send a JPEG, PNG or WebP file`);
  }
}

/**
 * Decodes a JPEG/PNG/WebP and resizes it to the spec's size, matching what the seed's
 * torchvision pipeline does with PIL: embedded colour profiles are ignored (PIL ignores them),
 * transparency is dropped keeping the colours beneath (PIL's convert("RGB")), and the resize
 * is PIL's bilinear. Downscales of opaque images use libvips' linear kernel, which reduces with
 * the same widened triangle filter (within a grey level or two of PIL, and fast, off the main
 * thread); enlargements and images with transparency use our port of PIL's resampler
 * (pil-resize.ts), which is exact.
 */
async function decodeResized(bytes: Uint8Array, spec: ImageSpec, channels: number): Promise<{ data: Uint8Array; stride: number }> {
  const sharp = await loadSharp();
  const open = () => {
    const img = sharp(bytes, { failOn: 'error', limitInputPixels: 100_000_000, ignoreIcc: true });
    return channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
  };
  const meta = await decode(() => sharp(bytes, { failOn: 'error' }).metadata());
  const enlarging = (meta.width ?? 0) < spec.width || (meta.height ?? 0) < spec.height;
  if (spec.resize === 'stretch' && (enlarging || meta.hasAlpha)) {
    const raw = await decode(() => open().removeAlpha().raw().toBuffer({ resolveWithObject: true }));
    const { width, height, channels: c } = raw.info;
    return { data: pilBilinearResize(raw.data, width, height, c, spec.width, spec.height), stride: c };
  }
  const raw = await decode(() =>
    open()
      .flatten({ background: '#000000' })
      .resize(spec.width, spec.height, { fit: FIT[spec.resize], kernel: 'linear', background: '#000000' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  return { data: raw.data, stride: raw.info.channels };
}

/**
 * Decodes an image to the model's input size as 8-bit pixels: a float32 tensor of the model's
 * dims whose data are still the packed pixels, with `pixels` saying how to scale them.
 * The batcher concatenates those (4× smaller than floats) and the inference thread scales
 * the whole batch at once (scalePixels); no float tensor is made per request.
 */
export async function imagePixels(bytes: Uint8Array, spec: ImageSpec): Promise<Tensor> {
  const channels = spec.color === 'gray' ? 1 : 3;
  const { data, stride } = await decodeResized(bytes, spec, channels);
  if (stride < channels) throw invalid(`cannot decode image: it has ${stride} channels, the model wants ${channels}`);
  // A plain view (not sharp's Buffer), so batches concatenate into plain Uint8Arrays.
  const packed = stride === channels ? new Uint8Array(data.buffer, data.byteOffset, data.length) : data.filter((_, i) => i % stride < channels);
  const dims = spec.layout === 'nchw' ? [1, channels, spec.height, spec.width] : [1, spec.height, spec.width, channels];
  return { type: 'float32', data: packed, dims, pixels: pixelScaling(spec) };
}

/** Decodes an image and turns it into the model's input as the spec says: size, channels, scale, mean/std, layout. */
export async function imageToTensor(bytes: Uint8Array, spec: ImageSpec): Promise<Tensor> {
  const t = await imagePixels(bytes, spec);
  return { type: 'float32', data: scalePixels(t.data as Uint8Array, t.dims, t.pixels!), dims: t.dims };
}
