/**
 * Pillow's bilinear resize (libImaging/Resample.c: precompute_coeffs, ImagingResampleHorizontal/
 * Vertical_8bpc), ported with its fixed-point arithmetic so results are bit-identical to
 * PIL's `Image.resize(size, BILINEAR)`, which torchvision's Resize uses on PIL images.
 * Used where libvips differs visibly from PIL: enlargements (libvips samples half a source
 * pixel off PIL's grid) and images with transparency.
 */
const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

function coefficients(inSize: number, outSize: number) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  // The bilinear (triangle) filter has support 1, widened by the downscale factor: antialiasing.
  const support = filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Int32Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    let ww = 0;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      k[x] = t < 1 ? 1 - t : 0;
      ww += k[x];
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x] / ww : k[x];
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, kk, bounds };
}

// As Pillow's clip8: sums stay below 2^31 for 8-bit input, so the shift is exact.
const clip8 = (v: number) => (v < 0 ? 0 : v >= 1 << 30 ? 255 : v >> PRECISION_BITS);

/** Resizes interleaved 8-bit pixels (any channel count) from w×h to ow×oh exactly as PIL's BILINEAR does. */
export function pilBilinearResize(src: Uint8Array, w: number, h: number, channels: number, ow: number, oh: number): Uint8Array {
  const H = coefficients(w, ow);
  const V = coefficients(h, oh);
  // Only the source rows the vertical pass reads need the horizontal pass (as Pillow does).
  const yFirst = V.bounds[0];
  const yLast = V.bounds[oh * 2 - 2] + V.bounds[oh * 2 - 1];
  let img = src;
  let rowOffset = 0;
  if (ow !== w) {
    const rows = yLast - yFirst;
    const tmp = new Uint8Array(ow * rows * channels);
    for (let y = 0; y < rows; y++) {
      const row = (y + yFirst) * w * channels;
      for (let xx = 0; xx < ow; xx++) {
        const xmin = H.bounds[xx * 2];
        const xmax = H.bounds[xx * 2 + 1];
        const kb = xx * H.ksize;
        for (let c = 0; c < channels; c++) {
          let s = HALF;
          for (let x = 0, p = row + xmin * channels + c; x < xmax; x++, p += channels) s += src[p] * H.kk[kb + x];
          tmp[(y * ow + xx) * channels + c] = clip8(s);
        }
      }
    }
    img = tmp;
    rowOffset = yFirst;
  } else if (oh === h) return src.slice();
  if (oh === h) return img;
  const stride = ow * channels;
  const out = new Uint8Array(stride * oh);
  for (let yy = 0; yy < oh; yy++) {
    const ymin = V.bounds[yy * 2] - rowOffset;
    const ymax = V.bounds[yy * 2 + 1];
    const kb = yy * V.ksize;
    for (let i = 0; i < stride; i++) {
      let s = HALF;
      for (let y = 0, p = ymin * stride + i; y < ymax; y++, p += stride) s += img[p] * V.kk[kb + y];
      out[yy * stride + i] = clip8(s);
    }
  }
  return out;
}

/** Multiply-adds pilBilinearResize does for a w×h image to ow×oh: how long it would hold the thread it runs on. */
export function pilResizeCost(w: number, h: number, channels: number, ow: number, oh: number): number {
  const taps = (inSize: number, outSize: number) => Math.ceil(Math.max(inSize / outSize, 1)) * 2 + 1;
  const horizontal = ow !== w ? h * ow * channels * taps(w, ow) : 0;
  const vertical = oh !== h ? oh * ow * channels * taps(h, oh) : 0;
  return horizontal + vertical;
}

/**
 * This module's resampler as script text, for the resize thread (resize-worker.ts): a worker
 * evaluated from source needs no file next to the compiled module, so it runs from dist/ and from
 * the TypeScript sources alike, and the code it runs is this very code, byte for byte in output.
 */
export function pilResizeSource(): string {
  return [
    `const PRECISION_BITS = ${PRECISION_BITS};`,
    `const HALF = ${HALF};`,
    `const clip8 = ${clip8.toString()};`,
    coefficients.toString(),
    pilBilinearResize.toString(),
  ].join('\n');
}
