import { mulberry32 } from '../../core/random.js';

/**
 * Quantiles of a stream in bounded memory. Up to EXACT values are kept as they are and quantiles
 * are exact (linear interpolation between the two nearest ranks, as pandas' `quantile()` and
 * `describe()`); past that the values go into a KLL sketch (Karnin, Lang and Liberty, 2016) of
 * about 3k values whatever the stream's length, whose rank error is about 1.7/k with high
 * probability: with k = 2048, a quantile q comes back as the value at a rank within ±0.1% of q
 * (quantile-sketch.test.ts measures it on a million values). Compaction is seeded, so the same
 * input gives the same answer on every run.
 */
export const EXACT = 1 << 16;
export const SKETCH_K = 2048;
/** The rank error promised past EXACT values (a share of the count), checked by the tests. */
export const RANK_ERROR = 0.002;

export class QuantileSketch {
  private exact = new Float64Array(1024);
  private n = 0;
  private levels: Float64Array[] = [];
  private sizes: number[] = [];
  private held = 0;
  private maxHeld = 0;
  private readonly random = mulberry32(0x6d6c78);

  constructor(private readonly k = SKETCH_K) {}

  /** Values seen (NaN is never added). */
  get count(): number {
    return this.n;
  }

  /** True while every value is held (quantiles are exact). */
  get isExact(): boolean {
    return this.levels.length === 0;
  }

  add(v: number): void {
    const n = this.n++;
    if (this.levels.length === 0) {
      if (n < EXACT) {
        if (n === this.exact.length) {
          const grown = new Float64Array(n * 2);
          grown.set(this.exact);
          this.exact = grown;
        }
        this.exact[n] = v;
        return;
      }
      this.startSketch();
    }
    this.push(0, v);
    if (++this.held >= this.maxHeld) this.compress();
  }

  /** The q-quantiles (0 ≤ q ≤ 1) of the values seen; null when there are none. */
  quantiles(qs: number[]): (number | null)[] {
    if (this.n === 0) return qs.map(() => null);
    if (this.levels.length === 0) {
      const sorted = this.exact.slice(0, this.n).sort();
      return qs.map((q) => {
        const pos = q * (sorted.length - 1);
        const lo = Math.floor(pos);
        const hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
      });
    }
    // Weighted items: an item at level h stands for 2^h values.
    const items: { v: number; w: number }[] = [];
    this.levels.forEach((level, h) => {
      for (let i = 0; i < this.sizes[h]; i++) items.push({ v: level[i], w: 2 ** h });
    });
    items.sort((a, b) => a.v - b.v);
    const total = items.reduce((s, it) => s + it.w, 0);
    return qs.map((q) => {
      const target = q * total;
      let cum = 0;
      for (const it of items) {
        cum += it.w;
        if (cum >= target) return it.v;
      }
      return items[items.length - 1].v;
    });
  }

  private startSketch(): void {
    this.grow();
    const held = this.exact.subarray(0, EXACT);
    this.exact = new Float64Array(0);
    for (const v of held) {
      this.push(0, v);
      if (++this.held >= this.maxHeld) this.compress();
    }
  }

  private capacity(h: number): number {
    return Math.ceil(this.k * (2 / 3) ** (this.levels.length - h - 1)) + 1;
  }

  private grow(): void {
    this.levels.push(new Float64Array(64));
    this.sizes.push(0);
    this.maxHeld = 0;
    for (let h = 0; h < this.levels.length; h++) this.maxHeld += this.capacity(h);
  }

  private push(h: number, v: number): void {
    let level = this.levels[h];
    if (this.sizes[h] === level.length) {
      const grown = new Float64Array(level.length * 2);
      grown.set(level);
      this.levels[h] = level = grown;
    }
    level[this.sizes[h]++] = v;
  }

  /** Halves the first level over its capacity: sorted, every other value (from a random offset) moves up with twice the weight. */
  private compress(): void {
    for (let h = 0; h < this.levels.length; h++) {
      if (this.sizes[h] < this.capacity(h)) continue;
      if (h + 1 === this.levels.length) this.grow();
      const size = this.sizes[h];
      const sorted = this.levels[h].subarray(0, size).sort();
      // An odd value out stays at this level.
      const pairs = Math.floor(size / 2);
      const offset = this.random() < 0.5 ? 0 : 1;
      const start = size - pairs * 2;
      const keep = start === 1 ? sorted[0] : NaN;
      for (let i = 0; i < pairs; i++) this.push(h + 1, sorted[start + 2 * i + offset]);
      this.sizes[h] = 0;
      if (start === 1) this.push(h, keep);
      this.held = this.sizes.reduce((s, x) => s + x, 0);
      return;
    }
  }
}
