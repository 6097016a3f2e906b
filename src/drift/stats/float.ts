// Exact floating-point building blocks: power-of-two scaling and double-double arithmetic
// (Dekker, "A floating-point technique for extending the available precision", Numer. Math. 18,
// 1971; Knuth, TAOCP vol. 2, §4.2.2), used where scipy computes in double-double.

/** x · 2^e without intermediate overflow (C ldexp). */
export function ldexp(x: number, e: number): number {
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  return x * 2 ** e;
}

/** A double-double hi + lo, |lo| <= ulp(hi)/2. */
export type DD = [number, number];

/** Exact a + b as hi + lo (Knuth's two-sum). */
export function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

/** Exact a·b as hi + lo (Dekker's product with Veltkamp splitting). */
export function twoProduct(a: number, b: number): DD {
  const p = a * b;
  const split = (v: number): DD => {
    const c = 134217729 * v; // 2^27 + 1
    const hi = c - (c - v);
    return [hi, v - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

/** a/b for integers a, b < 2^53 as a double-double (the remainder a − q·b is exact). */
export function ddDivInt(a: number, b: number): DD {
  const q = a / b;
  const [ph, pl] = twoProduct(q, b);
  return twoSum(q, (a - ph - pl) / b);
}

/** Double-double product, accurate to ~1e-32 relative. */
export function ddMul(a: DD, b: DD): DD {
  const [ph, pl] = twoProduct(a[0], b[0]);
  return twoSum(ph, pl + (a[0] * b[1] + a[1] * b[0]));
}

const bits = new DataView(new ArrayBuffer(8));

/** frexp: v = f·2^e with 0.5 <= |f| < 1, read off the IEEE 754 bits (exact). */
export function frexp(v: number): [number, number] {
  if (v === 0 || !Number.isFinite(v)) return [v, 0];
  let shift = 0;
  bits.setFloat64(0, v);
  if (((bits.getUint32(0) >>> 20) & 0x7ff) === 0) {
    // Subnormal: scale into the normal range first (exact).
    shift = 64;
    bits.setFloat64(0, v * 2 ** 64);
  }
  const hi = bits.getUint32(0);
  const e = ((hi >>> 20) & 0x7ff) - 1022 - shift;
  bits.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [bits.getFloat64(0), e];
}
