// Seeded randomness so sample data and models are byte-for-byte reproducible (Math.random is not seedable).
import { mulberry32 } from '../../core/random.js';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Normal(mean, sd) by Box–Muller. */
  normal(mean?: number, sd?: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** Uniform, normal and integer draws from mulberry32: good enough for synthetic data, the same on every platform. */
export function createRng(seed: number): Rng {
  let spare: number | null = null;
  const next = mulberry32(seed);
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
