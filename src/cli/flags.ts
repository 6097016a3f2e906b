// The one set of flag parsers. The CLI owns flag names: domain code takes typed options and words its
// refusals in its own terms ("\"abc\" must be a CPU quantity…"); the CLI says which flag it was
// ("--cpu \"abc\" must be a CPU quantity…"). A bad flag value is a usage error: exit 2.
import { quoteJson } from '../core/control-chars.js';
import { MlxError, usage } from '../core/errors.js';

export { usage };

/** A flag's value as messages quote it: control characters escaped, so the message stays one visible line. */
export const shown = (text: string) => quoteJson(text);

export interface Range {
  /** Default 1; -Infinity for no lower bound. */
  min?: number;
  /** Default: no upper bound. */
  max?: number;
}

function rangeText(kind: string, r: Range): string {
  const min = r.min ?? 1;
  if (min === -Infinity) return `must be ${kind}${r.max !== undefined ? ` up to ${r.max}` : ''}`;
  return `must be ${kind} from ${min}${r.max !== undefined ? ` to ${r.max}` : ''}`;
}

/** An integer flag within [min, max] (decimal digits, an optional sign), else a usage error naming the flag and value. */
export function intFlag(flag: string, text: string, r: Range = {}): number {
  const t = text.trim();
  const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < (r.min ?? 1) || (r.max !== undefined && n > r.max)) throw usage(`${flag} ${shown(text)} ${rangeText('an integer', r)}`);
  return n;
}

/** A decimal number flag within [min, max] (no hex, no exponents, no Infinity), else a usage error naming the flag and value. */
export function numberFlag(flag: string, text: string, r: Range = {}): number {
  const t = text.trim();
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n) || n < (r.min ?? 1) || (r.max !== undefined && n > r.max)) throw usage(`${flag} ${shown(text)} ${rangeText('a number', r)}`);
  return n;
}

/** An optional flag: undefined stays undefined, else parse(flag, text). */
export function optional<T>(flag: string, text: string | undefined, parse: (flag: string, text: string) => T): T | undefined {
  return text === undefined ? undefined : parse(flag, text);
}

/** An error from domain code about a flag's value, worded with the flag: "command not found: x" → "--on-drift command not found: x". */
export function withFlag(flag: string, err: unknown, code?: 'USAGE'): unknown {
  return err instanceof MlxError ? new MlxError(code ?? err.code, `${flag} ${err.message}`, { cause: err }) : err;
}

/** A domain parser's refusal of a flag's value, worded with the flag, as a usage error (exit 2): `flagValue('--cpu', () => parseCpu(text))`. */
export function flagValue<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw withFlag(flag, err, 'USAGE');
  }
}

/** A domain check of a flag's value whose message already says what the value is ("image tag … is not valid"), as a usage error. */
export function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw err instanceof MlxError ? new MlxError('USAGE', err.message, { cause: err }) : err;
  }
}

/** Runs fn (sync or async) for a flag's value, wording its errors with the flag and keeping their codes (a command that fails to start is exit 1). */
export function forFlag<T>(flag: string, fn: () => T): T {
  let out: T;
  try {
    out = fn();
  } catch (err) {
    throw withFlag(flag, err);
  }
  return (out instanceof Promise ? out.catch((err: unknown) => Promise.reject(withFlag(flag, err))) : out) as T;
}

/** Throws a usage error for the first flag given that does not apply, saying why. */
export function refuseFlags(given: [flag: string, value: unknown][], why: string): void {
  for (const [flag, v] of given) if (v !== undefined && v !== false) throw usage(`${flag} ${why}`);
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The most --max-image-pixels may be: 1 Gpx decodes to 3-4 GB, near what one Node.js buffer can hold. */
export const MAX_IMAGE_PIXELS_FLAG = 1_000_000_000;
