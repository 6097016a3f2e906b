// Exact null distribution of the two-sample, two-sided Kolmogorov–Smirnov statistic, ported
// from scipy 1.17.1 (scipy/stats/_stats_py.py _attempt_exact_2kssamp and
// _compute_prob_outside_square; scipy/stats/_stats_pythran.py _compute_outer_prob_inside_method).
// Every floating-point operation is done in scipy's order so the p-values agree to the last bits.
//
// References: Hodges, J.L. Jr. (1958), "The significance probability of the Smirnov two-sample
// test", Arkiv för Matematik 3(43), 469–486 (lattice-path counting, Drion/Gnedenko/Korolyuk);
// Viehmann, T. (2021), "Numerically more stable computation of the p-values for the two-sample
// Kolmogorov–Smirnov test", arXiv:2102.08037 (recursion computing 1 - p directly).

import { roundHalfEven } from './sample.js';

/** Greatest common divisor of two non-negative integers. */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * Pr(D_{n,n} >= h/n) for two samples of equal size n (scipy _compute_prob_outside_square).
 * Gnedenko–Korolyuk reflection sum 2·Σ_k (-1)^k C(2n, n-kh)/C(2n, n), each term divided by
 * C(2n, n) and nested Horner-like to avoid subtractive cancellation:
 * P = 2·A0·(1 − A1·(1 − A2·(1 − …))).
 */
export function probOutsideSquare(n: number, h: number): number {
  let p = 0.0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1.0;
    for (let j = 0; j < h; j++) {
      p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    }
    p = p1 * (1.0 - p);
    k -= 1;
  }
  return 2 * p;
}

/**
 * Pr(D_{m,n} >= h/lcm(m,n)) for m != n (scipy _compute_outer_prob_inside_method): walks the
 * lattice column by column keeping only the band |x/m − y/n| < h/lcm, with Viehmann's
 * recursion for the proportion of paths that leave the band.
 */
export function outerProbInsideMethod(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m]; // symmetric in (m, n); the band walk assumes m >= n
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1.0);
  for (let j = minj; j < maxj && j < lenA; j++) A[j] = 0.0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1.0;
    // A[jj] is overwritten left to right while A[jj + minj - lastminj] (never to its left) is read.
    let val = minj === 0 ? 0.0 : 1.0;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      // Cells that just left the band are "already outside": probability 1 (numpy slice clips at lenA).
      const end = Math.min(maxj - minj + (lastlen - curlen), lenA);
      for (let t = maxj - minj; t < end; t++) A[t] = 1;
    }
  }
  return A[maxj - minj - 1];
}

/** Outcome of scipy's _attempt_exact_2kssamp for the two-sided alternative. */
export interface ExactAttempt {
  /** False when the computation left [0, 1] (scipy then switches to the asymptotic distribution). */
  success: boolean;
  /** D rounded to the lattice: h / lcm(n1, n2), which scipy also reports as the statistic. */
  d: number;
  /** Pr(D >= d) when success. */
  p: number;
}

/** Exact two-sided p-value of D for sample sizes n1, n2 (scipy _attempt_exact_2kssamp). */
export function attemptExactTwoSided(n1: number, n2: number, g: number, d: number): ExactAttempt {
  const lcm = (n1 / g) * n2;
  // d is i/n1 − j/n2 in floating point; rounding d·lcm recovers the integer lattice distance h.
  const h = roundHalfEven(d * lcm);
  const dLattice = (h * 1.0) / lcm;
  if (h === 0) return { success: true, d: dLattice, p: 1.0 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return { success: false, d: dLattice, p };
  return { success: true, d: dLattice, p };
}
