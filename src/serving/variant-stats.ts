/** What /variants reports per variant: latency percentiles from a fixed histogram, and shadow agreement. */

const BASE_MS = 0.01;
const GROWTH = 1.04;
const LOG_GROWTH = Math.log(GROWTH);
// 0.01 ms to 10 minutes in steps of 4%: about 460 counters, whatever the traffic.
const BUCKETS = Math.ceil(Math.log(600_000 / BASE_MS) / LOG_GROWTH) + 1;

/**
 * Latencies in log-spaced buckets, each 4% wider than the last: constant memory and O(1) per
 * observation; a percentile is its bucket's upper edge, so it is within 4% of the true value.
 */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;

  /** Counts one latency in milliseconds. */
  record(ms: number): void {
    const i = ms <= BASE_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH));
    this.counts[i]++;
    this.count++;
  }

  /** The q-quantile (0 < q ≤ 1) in milliseconds, or null before any observation. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= target) return Math.round(BASE_MS * GROWTH ** i * 1000) / 1000;
    }
    return null;
  }

  /** p50, p90 and p99 in milliseconds (null without data). */
  percentiles(): { p50: number | null; p90: number | null; p99: number | null } {
    return { p50: this.quantile(0.5), p90: this.quantile(0.9), p99: this.quantile(0.99) };
  }
}

/** One row's prediction as the inference log and shadow comparison see it. */
export type Prediction = string | number | number[];

/** Relative tolerance for numbers: within 1% of the primary's value, or 1e-6 absolute near zero. */
export const AGREEMENT_RTOL = 0.01;
export const AGREEMENT_ATOL = 1e-6;

const close = (primary: number, other: number) => Math.abs(primary - other) <= Math.max(AGREEMENT_ATOL, AGREEMENT_RTOL * Math.abs(primary));

/** True when a shadow's prediction agrees with the primary's: the same label, or numbers within the tolerance. */
export function agrees(primary: Prediction, other: Prediction): boolean {
  if (typeof primary === 'string' || typeof other === 'string') return primary === other;
  if (typeof primary === 'number' && typeof other === 'number') return close(primary, other);
  if (Array.isArray(primary) && Array.isArray(other)) return primary.length === other.length && primary.every((v, i) => close(v, other[i]));
  return false;
}

/** Rows compared and rows that agreed; a row only one side has counts as compared and not agreed. */
export function agreement(primary: Prediction[], other: Prediction[]): { compared: number; agreed: number } {
  const compared = Math.max(primary.length, other.length);
  let agreed = 0;
  for (let i = 0; i < Math.min(primary.length, other.length); i++) if (agrees(primary[i], other[i])) agreed++;
  return { compared, agreed };
}
