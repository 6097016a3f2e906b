// Shared input checks and the few numpy reductions whose exact rounding the fixtures depend on.

import { MlxError } from '../../core/errors.js';

/** A numeric sample: a Float64Array (preferred) or any array-like of numbers. */
export type NumericSample = Float64Array | ArrayLike<number>;

/** One categorical value; numbers and strings are different categories (1 !== '1'). */
export type CategoryValue = string | number;

/** A categorical sample. */
export type CategoricalSample = ArrayLike<CategoryValue>;

/** Checks a numeric sample (length >= minSize, no NaN, optionally finite) and returns it as a Float64Array. */
export function numericSample(name: string, values: NumericSample, opts: { minSize?: number; finite?: boolean; test?: string } = {}): Float64Array {
  const minSize = opts.minSize ?? 1;
  const where = opts.test ? ` for ${opts.test}` : '';
  if (values.length === 0) {
    throw new MlxError('INVALID_PARAMETER_VALUE', `the ${name} sample is empty${where}: it needs at least ${minSize} value${minSize === 1 ? '' : 's'}`);
  }
  if (values.length < minSize) {
    throw new MlxError(
      'INVALID_PARAMETER_VALUE',
      `the ${name} sample has ${values.length} value${values.length === 1 ? '' : 's'}${where}: it needs at least ${minSize}`,
    );
  }
  const out = values instanceof Float64Array ? values : Float64Array.from(values);
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (Number.isNaN(v)) {
      throw new MlxError('INVALID_PARAMETER_VALUE', `the ${name} sample has a missing value (NaN) at index ${i}${where}: drop missing values before testing`);
    }
    if (opts.finite && !Number.isFinite(v)) {
      throw new MlxError('INVALID_PARAMETER_VALUE', `the ${name} sample has an infinite value at index ${i}${where}: only finite numbers can be tested`);
    }
  }
  return out;
}

/** Checks a categorical sample (non-empty, no null/undefined/NaN). */
export function categoricalSample(name: string, values: CategoricalSample, test?: string): CategoricalSample {
  const where = test ? ` for ${test}` : '';
  if (values.length === 0) {
    throw new MlxError('INVALID_PARAMETER_VALUE', `the ${name} sample is empty${where}: it needs at least 1 value`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as unknown;
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      throw new MlxError('INVALID_PARAMETER_VALUE', `the ${name} sample has a missing value at index ${i}${where}: drop missing values before testing`);
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new MlxError('INVALID_PARAMETER_VALUE', `the ${name} sample has a ${typeof v} at index ${i}${where}: categories must be strings or numbers`);
    }
  }
  return values;
}

/** A sorted copy (ascending; the input is never mutated). */
export function sortedCopy(x: Float64Array): Float64Array {
  return Float64Array.from(x).sort();
}

/** Round half to even, as numpy's np.round / Python's round on floats. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; numpy rounds it to the even neighbour.
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src pairwise_sum), same rounding. */
export function pairwiseSum(a: Float64Array, start = 0, n = a.length - start): number {
  if (n < 8) {
    // numpy starts from -0.0 so that an all -0.0 sum stays -0.0; the value is the same otherwise.
    let res = -0.0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i: number;
    for (i = 8; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k] += a[start + i + k];
    }
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** Population standard deviation (ddof = 0) with numpy's rounding (np.std: pairwise mean, then pairwise sum of squares). */
export function populationStd(x: Float64Array): number {
  const n = x.length;
  const mean = pairwiseSum(x) / n;
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    sq[i] = d * d;
  }
  return Math.sqrt(pairwiseSum(sq) / n);
}

/** Neumaier-compensated running sum, for long sums whose reference is a BLAS dot product. */
export class CompensatedSum {
  private sum = 0;
  private c = 0;
  add(v: number): void {
    const t = this.sum + v;
    if (Math.abs(this.sum) >= Math.abs(v)) this.c += this.sum - t + v;
    else this.c += v - t + this.sum;
    this.sum = t;
  }
  value(): number {
    return this.sum + this.c;
  }
}
