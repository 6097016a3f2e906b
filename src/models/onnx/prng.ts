// Seeded randomness so sample data and models are byte-for-byte reproducible (Math.random is not seedable).

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Normal(mean, sd) by Box–Muller. */
  normal(mean?: number, sd?: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** mulberry32: a tiny 32-bit PRNG, good enough for synthetic data, same sequence on every platform. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  let spare: number | null = null;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (mean = 0, sd = 1): number => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return mean + sd * z;
    }
    // 1 - next() is in (0, 1], so the log is finite.
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const theta = 2 * Math.PI * next();
    spare = r * Math.sin(theta);
    return mean + sd * r * Math.cos(theta);
  };
  return { next, normal, int: (n) => Math.floor(next() * n) };
}
