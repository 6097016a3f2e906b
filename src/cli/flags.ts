import { invalid } from '../core/errors.js';
import { parseInteger } from '../core/validation.js';

/** A numeric flag within [min, max] (integers unless float), else an error naming the flag and value. */
export function numberFlag(name: string, text: string, opts: { min?: number; max?: number; float?: boolean } = {}): number {
  const n = opts.float ? Number(text) : parseInteger(name, text);
  const min = opts.min ?? 1;
  if (!Number.isFinite(n) || n < min || (opts.max !== undefined && n > opts.max))
    throw invalid(`${name} ${JSON.stringify(text)} must be ${opts.float ? 'a number' : 'an integer'} from ${min}${opts.max !== undefined ? ` to ${opts.max}` : ''}`);
  return n;
}

/** The most --max-image-pixels may be: 1 Gpx decodes to 3-4 GB, near what one Node.js buffer can hold. */
export const MAX_IMAGE_PIXELS_FLAG = 1_000_000_000;
