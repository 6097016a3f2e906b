import { describe, expect, it } from 'vitest';
import { parsePreprocessSpec, type ImageSpec } from '../models/preprocess-spec.js';
import { pixelScaling, scalePixels } from './pixels.js';

/** The obvious per-element formula, image by image. */
function reference(data: Uint8Array, images: number, h: number, w: number, spec: ImageSpec): number[] {
  const C = spec.color === 'gray' ? 1 : 3;
  const out: number[] = [];
  for (let b = 0; b < images; b++) {
    const at = (y: number, x: number, c: number) => {
      const src = spec.color === 'bgr' ? 2 - c : c;
      return Math.fround((data[((b * h + y) * w + x) * C + src] * spec.scale - spec.mean[c]) / spec.std[c]);
    };
    if (spec.layout === 'nchw') for (let c = 0; c < C; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.push(at(y, x, c));
    else for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < C; c++) out.push(at(y, x, c));
  }
  return out;
}

describe('scalePixels', () => {
  const cases = [
    'image:5x3,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw',
    'image:5x3,bgr,scale=1,mean=103.9/116.8/123.7,layout=nchw',
    'image:5x3,rgb,scale=1/127.5,mean=1/1/1,layout=nhwc',
    'image:5x3,bgr,layout=nhwc',
    'image:5x3,gray,scale=1/255,mean=0.5,std=0.5,layout=nchw',
  ];
  for (const text of cases)
    it(`matches the per-element formula for ${text.split(',').slice(1).join(',')}, a batch of 2`, () => {
      const spec = parsePreprocessSpec(text) as ImageSpec;
      const C = spec.color === 'gray' ? 1 : 3;
      const data = Uint8Array.from({ length: 2 * 3 * 5 * C }, (_, i) => (i * 37 + 11) % 256);
      const dims = spec.layout === 'nchw' ? [2, C, 3, 5] : [2, 3, 5, C];
      const got = Array.from(scalePixels(data, dims, pixelScaling(spec)));
      const want = reference(data, 2, 3, 5, spec);
      expect(got.length).toBe(want.length);
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    });

  it('is self-contained, so the inference thread can run its source', () => {
    const spec = parsePreprocessSpec('image:2x1,bgr,scale=2,layout=nchw') as ImageSpec;
    const rebuilt = new Function(`${scalePixels.toString()}; return scalePixels;`)() as typeof scalePixels;
    expect(Array.from(rebuilt(Uint8Array.from([1, 2, 3, 4, 5, 6]), [1, 3, 1, 2], pixelScaling(spec)))).toEqual([6, 12, 4, 10, 2, 8]);
  });
});
