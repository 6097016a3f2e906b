import { invalid } from '../core/errors.js';
import type { ImageSpec } from '../models/preprocess-spec.js';
import { checkImageSize, decodeBudget, maxPixelsFor } from './image-limits.js';
import type { Tensor } from './tensors.js';
import { pilBilinearResize, pilResizeCost } from './pil-resize.js';
import { pixelScaling, scalePixels } from './pixels.js';
import { DecodeFailed, resizeOffThread } from './resize-worker.js';

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

/**
 * Loads sharp and has libvips read one tiny image, as a model is loaded: loading libvips holds the
 * thread for a few hundred milliseconds, which the first upload would otherwise stall /health for.
 */
export async function warmImageDecoding(): Promise<void> {
  const sharp = await loadSharp();
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000000' } })
    .png()
    .toBuffer();
  await sharp(png).raw().toBuffer();
}

const FIT = { stretch: 'fill', cover: 'cover', contain: 'contain' } as const;

/**
 * The exact PIL resize runs in JavaScript at 5-10 ns per multiply-add: up to a millisecond or two
 * of it (an icon, a thumbnail) is done in place, anything longer (the 160×120 sticker enlarged to
 * 224×224 is 7 ms, a 6000×6000 PNG with transparency 1 s) on a resize thread, so the event loop
 * keeps answering.
 */
const INLINE_RESIZE_COST = 1 << 18;

const cannotDecode = (message: string, cause?: unknown) => invalid(`cannot decode image: ${message.split('\n')[0]}; send a JPEG, PNG or WebP file`, cause);

async function decode<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw cannotDecode(String((err as Error).message), err);
  }
}

/** What an image's header says, read without decoding its pixels. */
export interface ImageHeader {
  width: number;
  height: number;
  hasAlpha: boolean;
}

/**
 * The raster formats PIL reads too. libvips also renders SVG and PDF (vector documents that become
 * whatever pixel size they declare, parsed by large libraries) and several scientific formats: none
 * is a photo a classifier is sent, so they are refused before anything is decoded.
 */
const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff']);

/** Reads an image's header (its size), or refuses a file that is not an image in a raster format we take. */
export async function readImageHeader(bytes: Uint8Array): Promise<ImageHeader> {
  const sharp = await loadSharp();
  const meta = await decode(() => sharp(bytes, { failOn: 'error' }).metadata());
  if (!RASTER_FORMATS.has(String(meta.format))) throw cannotDecode(`it is ${String(meta.format).toUpperCase()}, which mlx does not decode`);
  if (!meta.width || !meta.height) throw cannotDecode('it has no width and height');
  return { width: meta.width, height: meta.height, hasAlpha: !!meta.hasAlpha };
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
async function decodeResized(
  bytes: Uint8Array,
  spec: ImageSpec,
  channels: number,
  header: ImageHeader,
  maxPixels: number,
): Promise<{ data: Uint8Array; stride: number }> {
  const sharp = await loadSharp();
  const open = () => {
    const img = sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, ignoreIcc: true });
    return channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
  };
  const enlarging = header.width < spec.width || header.height < spec.height;
  if (spec.resize === 'stretch' && (enlarging || header.hasAlpha)) {
    if (pilResizeCost(header.width, header.height, channels, spec.width, spec.height) > INLINE_RESIZE_COST) {
      try {
        return await resizeOffThread({ bytes, channels, width: spec.width, height: spec.height, maxPixels });
      } catch (err) {
        throw err instanceof DecodeFailed ? cannotDecode(err.message, err) : err;
      }
    }
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
 * Decodes an image whose header was read and checked (checkImageSize) to the model's input size as
 * 8-bit pixels: a float32 tensor of the model's dims whose data are still the packed pixels, with
 * `pixels` saying how to scale them. The batcher concatenates those (4× smaller than floats) and the
 * inference thread scales the whole batch at once (scalePixels); no float tensor is made per request.
 * Decodes wait for room in the process's decode budget; one whose signal is aborted meanwhile is dropped.
 */
export async function decodeImagePixels(bytes: Uint8Array, spec: ImageSpec, header: ImageHeader, maxPixels: number, signal?: AbortSignal): Promise<Tensor> {
  const channels = spec.color === 'gray' ? 1 : 3;
  const { data, stride } = await decodeBudget.run(header.width * header.height, () => {
    signal?.throwIfAborted();
    return decodeResized(bytes, spec, channels, header, maxPixels);
  });
  if (stride < channels) throw invalid(`cannot decode image: it has ${stride} channels, the model wants ${channels}`);
  // A plain view (not sharp's Buffer), so batches concatenate into plain Uint8Arrays.
  const packed = stride === channels ? new Uint8Array(data.buffer, data.byteOffset, data.length) : data.filter((_, i) => i % stride < channels);
  const dims = spec.layout === 'nchw' ? [1, channels, spec.height, spec.width] : [1, spec.height, spec.width, channels];
  return { type: 'float32', data: packed, dims, pixels: pixelScaling(spec) };
}

/** Reads, checks (the pixel limit, default 40 Mpx, named as `limitName` in a refusal) and decodes one image: decodeImagePixels with its header. */
export async function imagePixels(bytes: Uint8Array, spec: ImageSpec, maxImagePixels?: number, limitName?: string): Promise<Tensor> {
  const header = await readImageHeader(bytes);
  const maxPixels = maxPixelsFor(spec, maxImagePixels);
  checkImageSize(header.width, header.height, maxPixels, limitName);
  return decodeImagePixels(bytes, spec, header, maxPixels);
}

/** Decodes an image and turns it into the model's input as the spec says: size, channels, scale, mean/std, layout. */
export async function imageToTensor(bytes: Uint8Array, spec: ImageSpec, maxImagePixels?: number): Promise<Tensor> {
  const t = await imagePixels(bytes, spec, maxImagePixels);
  return { type: 'float32', data: scalePixels(t.data as Uint8Array, t.dims, t.pixels!), dims: t.dims };
}
