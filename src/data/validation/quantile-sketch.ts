/**
 * Quantiles of a stream in bounded memory. Up to EXACT values are kept as they are and quantiles
 * are exact (linear interpolation between the two nearest ranks, as pandas' `quantile()` and
 * `describe()`). Past that, values go into a DDSketch (Masson, Rim and Lee, VLDB 2019): counts in
 * logarithmic buckets, so a quantile comes back within RELATIVE_ERROR (0.1%) of the value at its
 * rank, whatever the distribution, in at most 2 × MAX_BUCKETS counts per column (values so close
 * to zero that the buckets run out are merged into the lowest bucket, as DDSketch does). Adding a
 * value is a logarithm and an increment: no sorting, which keeps a million-row profile fast.
 */
export const EXACT = 1 << 16;
/** The promised relative error of a quantile past EXACT values (checked by quantile-sketch.test.ts). */
export const RELATIVE_ERROR = 0.001;
export const MAX_BUCKETS = 1 << 15;

const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const INV_LN_GAMMA = 1 / Math.log(GAMMA);
/** Smaller magnitudes count as zero (far below any float32 feature's resolution). */
const MIN_INDEXABLE = 1e-300;

/** Counts by bucket key, dense between the lowest and highest key seen, at most MAX_BUCKETS wide. */
class Store {
  counts = new Float64Array(0);
  offset = 0;

  add(key: number, count: number): void {
    let i = key - this.offset;
    if (i < 0 || i >= this.counts.length) i = this.extend(key);
    this.counts[i] += count;
  }

  private extend(key: number): number {
    if (this.counts.length === 0) {
      this.counts = new Float64Array(64);
      this.offset = key - 32;
      return key - this.offset;
    }
    const lo = Math.min(this.offset, key);
    const hi = Math.max(this.offset + this.counts.length - 1, key);
    let size = this.counts.length;
    while (hi - lo + 1 > size) size *= 2;
    if (size > MAX_BUCKETS) return this.collapse(key, hi);
    const grown = new Float64Array(size);
    // Room on the side that grew, and some on the other.
    const newOffset = key < this.offset ? hi - size + 1 + Math.floor((size - (hi - lo + 1)) / 2) : lo - Math.floor((size - (hi - lo + 1)) / 2);
    grown.set(this.counts, this.offset - newOffset);
    this.counts = grown;
    this.offset = newOffset;
    return key - newOffset;
  }

  /** Past MAX_BUCKETS, the lowest keys (the smallest magnitudes) share one bucket. */
  private collapse(key: number, hi: number): number {
    const size = MAX_BUCKETS;
    const newOffset = hi - size + 1;
    const grown = new Float64Array(size);
    for (let i = 0; i < this.counts.length; i++) {
      const k = this.offset + i;
      grown[Math.max(0, k - newOffset)] += this.counts[i];
    }
    this.counts = grown;
    this.offset = newOffset;
    return Math.max(0, key - newOffset);
  }
}

/** Bucket counts for positive and negative values, and the count of zeros. */
interface Buckets {
  pos: Store;
  neg: Store;
  zeros: number;
}

const noBuckets = (): Buckets => ({ pos: new Store(), neg: new Store(), zeros: 0 });

function bucketInto(s: Buckets, v: number, count: number): void {
  const a = Math.abs(v);
  // One path for both signs (a store picked, not a branch of its own: signs of measurements alternate unpredictably).
  if (a > MIN_INDEXABLE) (v > 0 ? s.pos : s.neg).add(Math.ceil(Math.log(a) * INV_LN_GAMMA), count);
  else s.zeros += count;
}

function addBuckets(to: Buckets, from: Buckets): void {
  to.zeros += from.zeros;
  for (const [a, b] of [
    [to.pos, from.pos],
    [to.neg, from.neg],
  ])
    for (let i = 0; i < b.counts.length; i++) if (b.counts[i] > 0) a.add(b.offset + i, b.counts[i]);
}

/** The bucket counts of the first n values. */
function bucketsOf(values: Float64Array, n: number): Buckets {
  const s = noBuckets();
  for (let i = 0; i < n; i++) bucketInto(s, values[i], 1);
  return s;
}

const reviveBuckets = (b: Buckets | null): Buckets | null =>
  b && { pos: Object.assign(new Store(), b.pos), neg: Object.assign(new Store(), b.neg), zeros: b.zeros };

export class QuantileSketch {
  private exact = new Float64Array(1024);
  private n = 0;
  private sketch: Buckets | null = null;
  /** A sealed exact sketch's values bucketed as well, on the thread that read them: what a merge whose total outgrows EXACT adds. */
  private bucketed: Buckets | null = null;

  /** Values seen (NaN is never added). */
  get count(): number {
    return this.n;
  }

  /** True while every value is held (quantiles are exact). */
  get isExact(): boolean {
    return this.sketch === null;
  }

  add(v: number): void {
    if (this.sketch === null) {
      const n = this.n;
      if (n < EXACT) {
        if (n === this.exact.length) {
          const grown = new Float64Array(n * 2);
          grown.set(this.exact);
          this.exact = grown;
        }
        this.exact[n] = v;
        this.n = n + 1;
        return;
      }
      this.toBuckets();
    }
    this.n++;
    bucketInto(this.sketch!, v, 1);
  }

  /** The values as bucket counts from now on (the held values bucketed, unless sealing did it already). */
  private toBuckets(): Buckets {
    if (this.sketch === null) {
      this.sketch = this.bucketed ?? bucketsOf(this.exact, this.n);
      this.bucketed = null;
      this.exact = new Float64Array(0);
    }
    return this.sketch;
  }

  /** Done reading (a file segment handed on to be merged): held values are bucketed here too, so the merge need not. */
  seal(): void {
    if (this.sketch === null && this.n > 0 && this.bucketed === null) this.bucketed = bucketsOf(this.exact, this.n);
  }

  /** A sketch from its fields copied between threads (structured clone keeps the data, not the class). */
  static revive(plain: QuantileSketch): QuantileSketch {
    const s = Object.assign(new QuantileSketch(), plain);
    s.sketch = reviveBuckets(plain.sketch);
    s.bucketed = reviveBuckets(plain.bucketed);
    return s;
  }

  /** Adds another sketch's values (a later segment of the same column): exact while the total fits, else bucket counts added. */
  merge(o: QuantileSketch): void {
    if (o.sketch === null && this.sketch === null && this.n + o.n <= EXACT) {
      // Still exact; the bucketed copy, if both have one, stays the values' own.
      const both = this.bucketed !== null && o.bucketed !== null;
      if (both) addBuckets(this.bucketed!, o.bucketed!);
      else this.bucketed = null;
      for (let i = 0; i < o.n; i++) this.add(o.exact[i]);
      return;
    }
    const s = this.toBuckets();
    const from = o.sketch ?? o.bucketed;
    if (from) addBuckets(s, from);
    else for (let i = 0; i < o.n; i++) bucketInto(s, o.exact[i], 1);
    this.n += o.n;
  }

  /** Adds a value `count` times (a category's count, when a column stops being counted by value). */
  addCount(v: number, count: number): void {
    for (; count > 0 && this.sketch === null; count--) this.add(v);
    if (count > 0) {
      this.n += count;
      bucketInto(this.sketch!, v, count);
    }
  }

  /** The q-quantiles (0 ≤ q ≤ 1) of the values seen; null when there are none. */
  quantiles(qs: number[]): (number | null)[] {
    if (this.n === 0) return qs.map(() => null);
    if (this.sketch === null) {
      const sorted = this.exact.slice(0, this.n).sort();
      return qs.map((q) => {
        const pos = q * (sorted.length - 1);
        const lo = Math.floor(pos);
        const hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
      });
    }
    const { pos, neg, zeros } = this.sketch;
    const value = (key: number) => (2 * GAMMA ** key) / (GAMMA + 1);
    return qs.map((q) => {
      const rank = q * (this.n - 1);
      let cum = 0;
      // Negative values from the most negative (the highest key) up.
      for (let i = neg.counts.length - 1; i >= 0; i--) {
        cum += neg.counts[i];
        if (cum > rank) return -value(neg.offset + i);
      }
      cum += zeros;
      if (cum > rank) return 0;
      for (let i = 0; i < pos.counts.length; i++) {
        cum += pos.counts[i];
        if (cum > rank) return value(pos.offset + i);
      }
      return value(pos.offset + pos.counts.length - 1);
    });
  }
}
