// The exact PIL resize moved to a resize thread for large images must give the very bytes it gives
// on the main thread; the header check refuses before decoding; decode errors stay 400s.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { parsePreprocessSpec, type ImageSpec } from '../models/preprocess-spec.js';
import { ImageTooLarge } from './image-limits.js';
import { imagePixels } from './image-preprocess.js';
import { pilBilinearResize, pilResizeCost } from './pil-resize.js';

/** Deterministic noise with a varying alpha channel: every pixel differs, so any resampling slip shows. */
async function noisePng(width: number, height: number, channels: 1 | 2 | 3 | 4): Promise<Buffer> {
  const px = Buffer.alloc(width * height * channels);
  let s = 12345;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    px[i] = s >>> 24;
  }
  return sharp(px, { raw: { width, height, channels } }).png().toBuffer();
}

/** What the main thread computes: sharp's raw decode (no alpha) and pilBilinearResize. */
async function onMainThread(png: Buffer, spec: ImageSpec): Promise<Uint8Array> {
  const img = sharp(png, { ignoreIcc: true }).toColourspace(spec.color === 'gray' ? 'b-w' : 'srgb');
  const raw = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return pilBilinearResize(raw.data, raw.info.width, raw.info.height, raw.info.channels, spec.width, spec.height);
}

describe('imagePixels', () => {
  it.each([
    ['a large RGBA image shrunk', 1600, 1200, 4, 'image:224x224,rgb'],
    ['a small RGBA image enlarged', 160, 120, 4, 'image:1024x768,rgb'],
    ['a small RGB image enlarged, greyscale model', 100, 80, 3, 'image:900x900,gray'],
    ['a wide greyscale+alpha strip', 20000, 40, 2, 'image:64x64,rgb'],
  ] as const)('%s on the resize thread: byte for byte what the main thread gives', async (_, w, h, c, specText) => {
    const spec = parsePreprocessSpec(specText) as ImageSpec;
    const channels = spec.color === 'gray' ? 1 : 3;
    expect(pilResizeCost(w, h, channels, spec.width, spec.height), 'big enough to leave the main thread').toBeGreaterThan(1 << 18);
    const png = await noisePng(w, h, c);
    const ours = await imagePixels(png, spec);
    expect(ours.dims).toEqual([1, channels, spec.height, spec.width]);
    expect(Buffer.from(ours.data as Uint8Array).equals(Buffer.from(await onMainThread(png, spec)))).toBe(true);
  });

  it('many at once on the resize threads: each gets its own answer', async () => {
    const spec = parsePreprocessSpec('image:256x256,rgb') as ImageSpec;
    const pngs = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => noisePng(1000 + i * 7, 900 - i * 5, 4)));
    const ours = await Promise.all(pngs.map((p) => imagePixels(p, spec)));
    for (const [i, p] of pngs.entries())
      expect(Buffer.from(ours[i].data as Uint8Array).equals(Buffer.from(await onMainThread(p, spec))), `image ${i}`).toBe(true);
  });

  it("refuses from the header: over the pixel limit, a side over 65,535, never below the model's own input", async () => {
    const spec = parsePreprocessSpec('image:64x64,rgb') as ImageSpec;
    const png = await noisePng(100, 100, 3);
    await expect(imagePixels(png, spec, 9_999)).rejects.toThrow(ImageTooLarge);
    await expect(imagePixels(png, spec, 9_999, '--max-image-pixels')).rejects.toThrow(
      'image is 100×100 pixels (10,000), over the limit of 9,999 pixels (--max-image-pixels)',
    );
    expect((await imagePixels(png, spec, 10_000)).dims).toEqual([1, 3, 64, 64]);
    // The limit is never below what the model takes: a 64×64 image fits a 64×64 model whatever the flag says.
    expect((await imagePixels(await noisePng(64, 64, 3), spec, 1)).dims).toEqual([1, 3, 64, 64]);
    const wide = await sharp({ create: { width: 70_000, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    await expect(imagePixels(wide, spec)).rejects.toThrow('image is 70000×1 pixels: a side over 65,535 pixels is refused');
  });

  it('a file whose header reads but whose pixels do not: 400 "cannot decode image", from the resize thread too', async () => {
    const png = await noisePng(1600, 1200, 4);
    const broken = Buffer.concat([png.subarray(0, 4000), Buffer.alloc(4000, 7), png.subarray(8000)]);
    const err = await imagePixels(broken, parsePreprocessSpec('image:224x224,rgb') as ImageSpec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlxError);
    expect((err as MlxError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as MlxError).message).toMatch(/^cannot decode image: .*; send a JPEG, PNG or WebP file$/);
  });
});
