/**
 * The search space of `mlx sweep`: `KEY=SPEC` parsing, grid expansion and seeded random
 * sampling. Pure: the same specs and seed give the same trials on every machine.
 */
import { usage } from '../core/errors.js';
import { LIMITS, validateKey } from '../core/validation.js';
import { mulberry32 } from '../core/random.js';

export type ParamSpec =
  | { key: string; text: string; kind: 'choice'; values: string[] }
  | { key: string; text: string; kind: 'int'; low: number; high: number; step: number }
  | { key: string; text: string; kind: 'quniform'; low: number; high: number; q: number }
  | { key: string; text: string; kind: 'uniform' | 'loguniform'; low: number; high: number };

export const DISTRIBUTIONS = ['choice', 'int', 'uniform', 'loguniform', 'quniform'] as const;

/** Examples of the param grammar, for messages. */
export const PARAM_GRAMMAR = 'e.g. lr=0.001,0.01,0.1, lr=loguniform:1e-4:1e-1, dropout=uniform:0:0.5, layers=int:2:8, opt=choice:adam,sgd';
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

// Refusals quote the spec as given; the CLI names its flag (--param).
const refused = (text: string, why: string, cause?: unknown) => usage(`${JSON.stringify(text)}: ${why}`, cause);

function num(text: string, what: string, s: string): number {
  if (!NUMBER_RE.test(s)) throw refused(text, `${what} ${JSON.stringify(s)} is not a number`);
  return Number(s);
}

function int(text: string, what: string, s: string): number {
  const n = num(text, what, s);
  if (!Number.isSafeInteger(n) || !/^[+-]?\d+$/.test(s)) throw refused(text, `${what} ${JSON.stringify(s)} is not an integer`);
  return n;
}

/** Parses one `KEY=SPEC` as typed; throws a USAGE error naming the text. */
export function parseParamSpec(text: string): ParamSpec {
  const eq = text.indexOf('=');
  if (eq < 0) throw refused(text, `not of the form KEY=VALUES (${PARAM_GRAMMAR})`);
  const key = text.slice(0, eq);
  const spec = text.slice(eq + 1);
  if (key === '') throw refused(text, 'the key before "=" is empty');
  try {
    validateKey('param', key);
  } catch (err) {
    throw refused(text, (err as Error).message, err);
  }
  if (spec === '') throw refused(text, `no values after "=" (${PARAM_GRAMMAR})`);
  const m = /^([A-Za-z_]+):(.*)$/s.exec(spec);
  const kind = m?.[1].toLowerCase();
  if (!m || !(DISTRIBUTIONS as readonly string[]).includes(kind!)) {
    // `unifrom:0:1` is a typo, not the literal value a list of one would make it.
    const parts = m?.[2].split(':') ?? [];
    if (parts.length >= 2 && parts.every((p) => NUMBER_RE.test(p)))
      throw refused(text, `unknown distribution ${JSON.stringify(m![1])}; use ${DISTRIBUTIONS.join(', ')} (choice:… for a literal value)`);
    return { key, text, kind: 'choice', values: list(text, spec) };
  }
  const args = m[2];
  if (kind === 'choice') return { key, text, kind, values: list(text, args) };
  const parts = args.split(':');
  const arity = (n: number[], shape: string) => {
    if (!n.includes(parts.length)) throw refused(text, `${kind} takes ${shape}`);
  };
  if (kind === 'int') {
    arity([2, 3], 'LOW:HIGH[:STEP] (integers, both ends included)');
    const [low, high] = [int(text, 'LOW', parts[0]), int(text, 'HIGH', parts[1])];
    const step = parts.length === 3 ? int(text, 'STEP', parts[2]) : 1;
    if (low > high) throw refused(text, `LOW ${low} is greater than HIGH ${high}`);
    if (step < 1) throw refused(text, `STEP ${step} must be at least 1`);
    return { key, text, kind, low, high, step };
  }
  if (kind === 'quniform') {
    arity([3], 'LOW:HIGH:Q (LOW, LOW+Q, … up to HIGH)');
    const [low, high, q] = [num(text, 'LOW', parts[0]), num(text, 'HIGH', parts[1]), num(text, 'Q', parts[2])];
    if (low > high) throw refused(text, `LOW ${low} is greater than HIGH ${high}`);
    if (!(q > 0)) throw refused(text, `Q ${parts[2]} must be greater than 0`);
    return { key, text, kind, low, high, q };
  }
  arity([2], 'LOW:HIGH');
  const [low, high] = [num(text, 'LOW', parts[0]), num(text, 'HIGH', parts[1])];
  if (!(low < high)) throw refused(text, `LOW ${parts[0]} must be less than HIGH ${parts[1]}`);
  if (kind === 'loguniform' && !(low > 0)) throw refused(text, `loguniform needs LOW > 0, got ${parts[0]}`);
  return { key, text, kind: kind as 'uniform' | 'loguniform', low, high };
}

function list(text: string, s: string): string[] {
  const values = s.split(',');
  if (values.some((v) => v === '')) throw refused(text, 'has an empty value (two commas in a row, or one at an end)');
  const long = values.find((v) => v.length > LIMITS.paramValueLength);
  if (long) throw refused(text, `a value is ${long.length} characters long; the limit is ${LIMITS.paramValueLength}`);
  return values;
}

/** The environment variable a param travels in: MLX_PARAM_ + the key upper-cased, other characters as `_`. */
export function envName(key: string): string {
  return `MLX_PARAM_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Parses every param spec; refuses none at all, a key given twice, and keys that would share an environment variable. */
export function parseParamSpecs(texts: string[]): ParamSpec[] {
  if (texts.length === 0) throw usage(`give at least one param KEY=VALUES (${PARAM_GRAMMAR})`);
  const specs = texts.map(parseParamSpec);
  const env = new Map<string, string>();
  for (const s of specs) {
    const name = envName(s.key);
    const other = env.get(name);
    if (other === s.key) throw refused(s.text, `param ${JSON.stringify(s.key)} is given twice; give each key once`);
    if (other !== undefined) throw refused(s.text, `params ${JSON.stringify(other)} and ${JSON.stringify(s.key)} would both be passed as ${name}; rename one`);
    env.set(name, s.key);
  }
  return specs;
}

/** How many values a grid takes from this param, or null for a continuous distribution. */
export function discreteCount(s: ParamSpec): number | null {
  if (s.kind === 'choice') return s.values.length;
  if (s.kind === 'int') return Math.floor((s.high - s.low) / s.step) + 1;
  if (s.kind === 'quniform') return Math.floor((s.high - s.low) / s.q + 1e-9) + 1;
  return null;
}

const tidy = (x: number, digits: number) => String(Number(x.toPrecision(digits)));

function valueAt(s: ParamSpec, i: number): string {
  if (s.kind === 'choice') return s.values[i];
  if (s.kind === 'int') return String(s.low + i * s.step);
  if (s.kind === 'quniform') return tidy(s.low + i * s.q, 12);
  throw new Error(`${s.kind} has no discrete values`);
}

/** The number of grid combinations (Infinity when a param is continuous). */
export function gridSize(specs: ParamSpec[]): number {
  return specs.reduce((n, s) => n * (discreteCount(s) ?? Infinity), 1);
}

/** Combination `index` of the grid, the first param varying slowest (as itertools.product). */
export function gridPoint(specs: ParamSpec[], index: number): Record<string, string> {
  const values: Record<string, string> = {};
  let rest = index;
  for (let i = specs.length - 1; i >= 0; i--) {
    const n = discreteCount(specs[i])!;
    values[specs[i].key] = valueAt(specs[i], rest % n);
    rest = Math.floor(rest / n);
  }
  return Object.fromEntries(specs.map((s) => [s.key, values[s.key]]));
}

/** `count` independent random draws from the space; a prefix of a longer draw with the same seed. */
export function sampleRandom(specs: ParamSpec[], count: number, seed: number): Record<string, string>[] {
  const rnd = mulberry32(seed);
  const out: Record<string, string>[] = [];
  for (let t = 0; t < count; t++) {
    const values: Record<string, string> = {};
    for (const s of specs) {
      const u = rnd();
      const n = discreteCount(s);
      if (n !== null) values[s.key] = valueAt(s, Math.min(n - 1, Math.floor(u * n)));
      else if (s.kind === 'uniform') values[s.key] = tidy(s.low + u * (s.high - s.low), 6);
      else if (s.kind === 'loguniform') values[s.key] = tidy(Math.exp(Math.log(s.low) + u * (Math.log(s.high) - Math.log(s.low))), 6);
    }
    out.push(values);
  }
  return out;
}

/** Replaces `{key}` in each argument by the trial's value (and `{trial}` by its number); other braces stay. */
export function substitute(args: string[], values: Record<string, string>, trial: number): string[] {
  return args.map((a) =>
    a.replace(/\{([^{}]+)\}/g, (whole, k: string) => (Object.prototype.hasOwnProperty.call(values, k) ? values[k] : k === 'trial' ? String(trial) : whole)),
  );
}
