import { MlxError } from '../core/errors.js';
import { DEFAULT_MAX_IMAGE_PIXELS, LIMIT_WORDS } from './defaults.js';

export { DEFAULT_MAX_IMAGE_PIXELS, DEFAULT_MAX_IMAGES } from './defaults.js';
import type { ImageSpec } from '../models/preprocess-spec.js';

/**
 * The longest side an image may have, whatever its pixel count: JPEG's own limit (WebP's is 16,383).
 * libvips holds a few rows per thread while it decodes, so a 40,000,000×1 PNG, within the pixel
 * limit, took 1.5 GB; a 1×40,000,000 one took 18 s. At 65,535 a row is at most 256 KB.
 */
export const MAX_IMAGE_SIDE = 65_535;

/**
 * Pixels being decoded at once in this process, over every request: memory stays near 4 bytes ×
 * this (320 MB) however many large images arrive together. An image over the budget (when
 * --max-image-pixels is raised past half of it) is decoded alone.
 */
export const DECODE_BUDGET_PIXELS = 2 * DEFAULT_MAX_IMAGE_PIXELS;

/** An image too large to decode: 413 over HTTP (the body was within its limit, what it decodes to is not). */
export class ImageTooLarge extends MlxError {
  constructor(message: string, cause?: unknown) {
    super('INVALID_PARAMETER_VALUE', message, { cause });
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/** The pixel limit for a model: the one set, but never below the model's own input size. */
export function maxPixelsFor(spec: ImageSpec, maxImagePixels = DEFAULT_MAX_IMAGE_PIXELS): number {
  return Math.max(maxImagePixels, spec.width * spec.height);
}

/** Refuses an image whose header says it is too large, naming its size, the limit and the flag. */
export function checkImageSize(width: number, height: number, maxPixels: number, name = LIMIT_WORDS.maxImagePixels): void {
  if (width * height > maxPixels)
    throw new ImageTooLarge(
      `image is ${width}×${height} pixels (${count(width * height)}), over the limit of ${count(maxPixels)} pixels (${name}); send a smaller image, or raise ${name}`,
    );
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE)
    throw new ImageTooLarge(
      `image is ${width}×${height} pixels: a side over ${count(MAX_IMAGE_SIDE)} pixels is refused (the most a JPEG can have); send a smaller image`,
    );
}

/** The same error with a prefix saying which image it was ("image 2 of 10 ("cat.png")", a file name). */
export function relabel(err: unknown, label: string): unknown {
  if (err instanceof ImageTooLarge) return new ImageTooLarge(`${label}: ${err.message}`, err);
  if (err instanceof MlxError) return new MlxError(err.code, `${label}: ${err.message}`, { cause: err });
  return err;
}

/**
 * A counting semaphore over pixels, first come first served: work of `weight` pixels starts once
 * the pixels in flight leave room for it, or at once when nothing is in flight (so an image over
 * the budget still gets decoded, alone).
 */
export class PixelBudget {
  private inUse = 0;
  private readonly waiting: { weight: number; start: () => void }[] = [];

  constructor(readonly budget: number) {}

  /** Pixels being worked on now. */
  get pixels(): number {
    return this.inUse;
  }

  async run<T>(weight: number, work: () => Promise<T>): Promise<T> {
    if (this.waiting.length > 0 || !this.fits(weight)) await new Promise<void>((start) => this.waiting.push({ weight, start }));
    else this.inUse += weight;
    try {
      return await work();
    } finally {
      this.inUse -= weight;
      this.next();
    }
  }

  private fits(weight: number): boolean {
    return this.inUse === 0 || this.inUse + weight <= this.budget;
  }

  private next(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0].weight)) {
      const w = this.waiting.shift()!;
      this.inUse += w.weight;
      w.start();
    }
  }
}

/** The budget every image decode of this process goes through. */
export const decodeBudget = new PixelBudget(DECODE_BUDGET_PIXELS);
