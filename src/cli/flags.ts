import { invalid, MlxError } from '../core/errors.js';
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

/** An error from domain code about a flag's value, worded with the flag: "command not found: x" → "--on-drift command not found: x". */
export function withFlag(flag: string, err: unknown): unknown {
  return err instanceof MlxError ? new MlxError(err.code, `${flag} ${err.message}`, { cause: err }) : err;
}

/** Runs fn (sync or async) for a flag's value, wording its errors with the flag (withFlag). */
export function forFlag<T>(flag: string, fn: () => T): T {
  let out: T;
  try {
    out = fn();
  } catch (err) {
    throw withFlag(flag, err);
  }
  return (out instanceof Promise ? out.catch((err: unknown) => Promise.reject(withFlag(flag, err))) : out) as T;
}
