// Survival function of the one-sided Kolmogorov–Smirnov statistic D+_n (scipy.special.smirnov),
// following scipy 1.17.1's xsf/cephes/kolmogorov.h (_smirnov) with its special cases and
// early-termination rule. Formula: the Smirnov (1944) / Birnbaum & Tingey (1951) sum
//   Pr(D+_n >= x) = x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1),
// see also van Mulbregt, "Computing the CDF and quantiles of the one-sided Kolmogorov–Smirnov
// statistic", arXiv:1802.06966. scipy evaluates each term in double-double because a power
// a^m with m up to n turns a relative error e of a into m·e; this port does the same where it
// matters: the bases x + v/n and 1 − x − v/n and the binomial coefficient are carried as
// unevaluated sums hi + lo, powers come from Math.pow on hi (correctly rounded to ~1 ulp
// whatever m is) times (1 + lo/hi)^m, and the positive terms are summed with compensation.

import { expm1, MINLOG } from './special/cephes.js';
import { ddDivInt, ddMul, frexp, ldexp, twoProduct, twoSum, type DD } from './float.js';
import { CompensatedSum } from './sample.js';

const SMIRNOV_MAX_COMPUTE_N = 1000000;
const EPS = 2.220446049250313e-16;

/** f^m as mantissa·2^exponent for 0.5 <= f < 1, splitting m so no Math.pow underflows. */
function powMantissa(f: number, m: number): [number, number] {
  const log2f = -Math.log2(f);
  if (m * log2f < 960) return frexp(Math.pow(f, m));
  // f^m = (f^c)^q · f^r with f^c about 2^-960, as kolmogorov.h pow2Scaled_D; each level adds
  // about one ulp, times q, so the error stays near (m / c) ulp.
  const c = Math.max(1, Math.floor(960 / log2f));
  const q = Math.floor(m / c);
  const [pm, pe] = frexp(Math.pow(f, c));
  const [qm, qe] = powMantissa(pm, q);
  const [rm, re] = frexp(Math.pow(f, m - q * c));
  const [mm, me] = frexp(qm * rm);
  return [mm, me + qe + pe * q + re];
}

/** (hi + lo)^m as mantissa·2^exponent, never under- or overflowing (kolmogorov.h pow2Scaled_D). */
function powScaled(base: DD, m: number): [number, number] {
  if (m === 0) return [1, 0];
  const [f, e] = frexp(base[0]);
  const lo = base[1] * 2 ** -e;
  let [man, exp] = powMantissa(f, m);
  // (f + lo)^m = f^m · exp(m·log1p(lo/f)); m·lo/f is below 1e-9, so this is nearly 1 + m·lo/f.
  man += man * expm1(m * Math.log1p(lo / f));
  exp += e * m;
  return [man, exp];
}

/** floor(n·x) and whether n·x is an integer, computed exactly (kolmogorov.h modNX). */
function modNX(n: number, x: number): { nxfloor: number; alpha: number } {
  const [hi, lo] = twoProduct(n, x);
  let nxfloor = Math.floor(hi);
  if (hi === nxfloor && lo < 0) nxfloor -= 1;
  let alpha = hi - nxfloor + lo;
  if (alpha >= 1) {
    nxfloor += 1;
    alpha = 0;
  }
  return { nxfloor, alpha: Math.max(alpha, 0) };
}

const clip01 = (p: number) => Math.min(Math.max(p, 0), 1);

/**
 * scipy.special.smirnov(n, x) = Pr(D+_n >= x). Implements the lower-sum branch, the only one
 * kolmogorovSf reaches (it calls smirnov only for x > 1/n, where scipy's upper sum is never chosen).
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0.0 && x <= 1.0)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0.0) return 1.0;
  if (x === 1.0) return 0.0;
  const { nxfloor: nxfl, alpha } = modNX(n, x);
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) n1mxfl -= 1;
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    return clip01(1 - x * Math.pow(1 + x, n - 1)); // x <= 1/n: cdf = x (1 + x)^(n-1)
  }
  if (-2 * n * x * x < MINLOG) return 0; // the sf underflows
  if (nxfl >= n - 1) return clip01(Math.pow(1 - x, n)); // x >= 1 - 1/n; 1 - x is exact (Sterbenz)
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    // p ~ exp(-(6nx + 1)^2 / 18n) (kolmogorov.h; Smirnov's asymptotic with the 1/6n correction).
    const logp = -Math.pow(6.0 * n * x + 1, 2) / 18.0 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 - -expm1(logp));
  }
  const nTerms = n1mxfl + 1;
  const vmid = Math.floor(n / 2);
  const sum = new CompensatedSum();
  // v = 0: C(n,0) (1 - x)^n / x.
  const [m0, e0] = powScaled(twoSum(1, -x), n);
  sum.add(ldexp(m0, e0) / x);
  let binom: DD = [n, 0]; // C(n, 1)
  let binomExp = 0;
  for (let v = 1; v < nTerms; v++) {
    // A_v = C(n, v) (1 - x - v/n)^(n-v) (x + v/n)^(v-1), bases carried exactly to ~1e-32.
    const q = ddDivInt(v, n);
    const s1 = twoSum(q[0], x);
    const [m1, e1] = powScaled(twoSum(s1[0], s1[1] + q[1]), v - 1);
    const r = ddDivInt(n - v, n);
    const s2 = twoSum(r[0], -x);
    const [m2, e2] = powScaled(twoSum(s2[0], s2[1] + r[1]), n - v);
    const aj = ldexp(binom[0] * m1 * m2, binomExp + e1 + e2);
    if (Number.isFinite(aj) && aj !== 0) sum.add(aj);
    if (aj !== 0) {
      if (4 * (nTerms - v) * Math.abs(aj) < EPS * sum.value() && v !== nTerms - 1) break;
    } else if (v > vmid) {
      break;
    }
    // C(n, v+1) = C(n, v)·(n − v)/(v + 1), rescaled by powers of two (exact) to stay in range.
    binom = ddMul(binom, ddDivInt(n - v, v + 1));
    if (binom[0] > 2 ** 64) {
      binom = [binom[0] * 2 ** -64, binom[1] * 2 ** -64];
      binomExp += 64;
    } else if (binom[0] < 2 ** -64) {
      // Past v = n/2 the coefficient shrinks again; keep it (and its low part) normal.
      binom = [binom[0] * 2 ** 64, binom[1] * 2 ** 64];
      binomExp -= 64;
    }
  }
  return clip01(x * sum.value());
}
