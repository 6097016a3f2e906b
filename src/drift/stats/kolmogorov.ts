// Survival function of the exact one-sample two-sided Kolmogorov distribution D_n
// (scipy.stats.kstwo.sf), ported from scipy 1.17.1 scipy/stats/_ksstats.py (_kolmogn and helpers).
// The algorithm choice follows Simard & L'Ecuyer, "Computing the Two-Sided Kolmogorov-Smirnov
// Distribution", J. Stat. Software 39(11), 2011, with scipy's cut-offs copied exactly:
//  - Ruben & Gambino closed forms for n·x <= 1 and n·x >= n − 1;
//  - 2·smirnov(n, x) (one-sided, exact) when x >= 0.5 or the upper tail is small;
//  - Durbin's matrix method as Marsaglia, Tsang & Wang evaluate it, "Evaluating Kolmogorov's
//    Distribution", J. Stat. Software 8(18), 2003 (Durbin, Ann. Math. Statist. 39, 1968);
//  - Pomeranz's recursion, "Exact cumulative distribution of the Kolmogorov-Smirnov statistic
//    for small samples (Algorithm 487)", CACM 17(12), 1974;
//  - Pelz & Good's asymptotic series, JRSS B 38(2), 1976.

import { ldexp } from './float.js';
import { smirnovSf } from './smirnov.js';

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const PI_SQUARED = 9.869604401089358; // np.pi ** 2
const PI_FOUR = 97.40909103400242;
const PI_SIX = 961.3891935753043;
const SQRT2PI = 2.5066282746310002;
const LOG_2PI = 1.8378770664093453;
const SQRT3 = 1.7320508075688772;
const MIN_LOG = -708;
// Bernoulli-number coefficients B_2j/(2j(2j-1)) of Stirling's series, j = 8..1 (_ksstats.py).
const STIRLING = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
  -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

const clip01 = (p: number) => Math.min(Math.max(p, 0.0), 1.0);

/** log(n!/n^n) by Stirling's series with n·log(n) removed up front (_log_nfactorial_div_n_pow_n). */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1.0 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c; // np.polyval
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k];
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j] += aik * b[k * m + j];
    }
  }
  return c;
}

/** Pr(D_n <= d) by Durbin's matrix method, MTW form (_kolmogn_DMTW): (n!/n^n)·(H^n)[k,k]. */
export function kolmogorovCdfDurbin(n: number, d: number): number {
  if (d >= 1.0) return 1.0;
  const nd = n * d;
  if (nd <= 0.5) return 0.0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1.0;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1.0 - Math.pow(h, j);
    w[j - 1] = fac;
    fac /= j; // may underflow; harmless
    v[j - 1] *= fac;
  }
  const tt = Math.pow(Math.max(2 * h - 1.0, 0), m) - 2 * Math.pow(h, m);
  v[m - 1] = (1.0 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)];
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let Hpwr: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) Hpwr[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let Hexpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      Hpwr = matmul(Hpwr, H, m);
      expnt += Hexpnt;
    }
    H = matmul(H, H, m);
    Hexpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > E128) {
      for (let i = 0; i < H.length; i++) H[i] /= E128;
      Hexpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = Hpwr[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n <= x) by Pomeranz's recursion (_kolmogn_Pomeranz): rows convolved with Poisson-like weights. */
export function kolmogorovCdfPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = 1.0 * (t - ll);
  const g = Math.min(f, 1.0 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gOverN) / m;
    twogpower[m] = (twogpower[m - 1] * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let expnt = 0;
  let [j1] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  let j2: number;
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0.0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // conv = np.convolve(V0[k1-V0s : k1-V0s+ln2], pwrs[:ln2]); keep conv[j1-k1 : j2-k1+1].
      const a0 = k1 - V0s;
      const la = Math.min(ln2, npwrs - a0);
      const lb = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let vmax = -Infinity;
      for (let c = 0; c < convLen; c++) {
        const idx = convStart + c;
        let s = 0;
        const lo = Math.max(0, idx - lb + 1);
        const hi = Math.min(idx, la - 1);
        for (let q = lo; q <= hi; q++) s += V0[a0 + q] * pwrs[idx - q];
        V1[c] = s;
      }
      for (let c = 0; c < npwrs; c++) if (V1[c] > vmax) vmax = V1[c];
      if (vmax > 0 && vmax < EM128) {
        for (let c = 0; c < npwrs; c++) V1[c] *= E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/** Pr(D_n <= x) by the Pelz–Good asymptotic series in 1/sqrt(n) (_kolmogn_PelzGood). */
export function kolmogorovCdfPelzGood(n: number, x: number): number {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;
  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return 0.0;
  let q = Math.exp(qlog);
  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  // Horner scheme in q over odd integers m = 2k - 1: sum c_m q^(m^2).
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msq = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = Math.pow(q, 8 * k);
    const coeffs = [1.0, k1a + k1b * msq, k2a + k2b * msq + k2c * mfour, k3a + k3b * msq + k3c * mfour + k3d * msix];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qpower + coeffs[i];
  }
  const denom = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT2PI) / denom[i];
  // The remaining sums over all integers k of K_2 and K_3 (no cancellation expected).
  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ksq = k ** 2;
    const kspi = Math.PI * k;
    const qp = Math.pow(q, ksq);
    k2extra += ksq * qp;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
  }
  K[2] += k2extra * ((PI_SQUARED * SQRT2PI) / (-36 * zthree));
  K[3] += k3extra * ((PI_SQUARED * SQRT2PI) / (216 * zsix));
  for (let i = 0; i < 4; i++) K[i] /= Math.pow(n * 1.0, i / 2.0);
  return K[0] + K[1] + K[2] + K[3];
}

/**
 * scipy.stats.kstwo.sf(x, n): Pr(D_n >= x) for the one-sample two-sided Kolmogorov statistic
 * (_kolmogn with cdf=False), the same branch for every (n, x) as scipy 1.17.1.
 */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return NaN;
  if (x >= 1.0) return 0.0;
  if (x <= 0.0) return 1.0;
  const t = n * x;
  if (t <= 1.0) {
    // Ruben–Gambino: 1/(2n) <= x <= 1/n gives cdf = n!/n^n (2t − 1)^n.
    if (t <= 0.5) return 1.0;
    let prob: number;
    if (n <= 140) {
      prob = 1.0;
      for (let i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1.0 - prob);
  }
  if (t >= n - 1) return clip01(2 * Math.pow(1.0 - x, n)); // Ruben–Gambino upper end
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x)); // D+ and D- cannot both exceed 1/2
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clip01(1.0 - kolmogorovCdfDurbin(n, x));
    if (nxsquared <= 4) return clip01(1.0 - kolmogorovCdfPomeranz(n, x));
    return clip01(2 * smirnovSf(n, x)); // Miller's approximation
  }
  if (nxsquared >= 370.0) return 0.0;
  if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, x));
  let cdf: number;
  if (nxsquared >= 18.0) cdf = 1.0;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdf = kolmogorovCdfDurbin(n, x);
  else cdf = kolmogorovCdfPelzGood(n, x);
  return clip01(1.0 - cdf);
}
