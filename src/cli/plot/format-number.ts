/** Short, human-readable number labels for tables and chart axes. */

const SUFFIXES: { unit: number; suffix: string }[] = [
  { unit: 1e12, suffix: 'T' },
  { unit: 1e9, suffix: 'G' },
  { unit: 1e6, suffix: 'M' },
  { unit: 1e3, suffix: 'k' },
];

/** A number in at most `significant` digits: 0.3585, 12.35k, 1.5e-5; NaN and ±Infinity spelled out. */
export function formatNumber(v: number, significant = 4): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e15 || abs < 1e-4) return trimExponent(v.toExponential(significant - 1));
  if (abs >= 1e4) {
    for (let i = SUFFIXES.length - 1; i >= 0; i--) {
      const { unit, suffix } = SUFFIXES[i];
      const mantissa = Number((v / unit).toPrecision(significant));
      // 999.96k rounds to 1000k: let the next unit up take it.
      if (Math.abs(mantissa) < 1000 || i === 0) return `${mantissa}${suffix}`;
    }
  }
  return String(Number(v.toPrecision(significant)));
}

/**
 * Labels for the ticks of one axis, `step` apart. The unit and the decimals are chosen once for
 * the whole axis, so labels line up (9.5k, 10.0k) and never show float noise (0.30000000000000004).
 */
export function formatTicks(values: number[], step: number): string[] {
  const finite = values.filter(Number.isFinite);
  const maxAbs = Math.max(0, ...finite.map(Math.abs));
  const spacing = step > 0 && Number.isFinite(step) ? step : maxAbs || 1;
  const stepExp = Math.floor(Math.log10(spacing) + 1e-9);
  const cap = (d: number) => Math.min(Math.max(0, d), 20);
  return values.map((v) => {
    if (!Number.isFinite(v)) return formatNumber(v);
    const abs = Math.abs(v);
    // A tick that is zero up to float error would otherwise print as 1e-17.
    if (abs < spacing * 1e-9) return '0';
    if (maxAbs >= 1e15 || maxAbs < 1e-3) {
      // Untrimmed mantissas, so 1.30e-5 sits under 1.35e-5 with the same number of digits.
      const [mantissa, exp] = v.toExponential(cap(Math.floor(Math.log10(abs) + 1e-9) - stepExp)).split('e');
      return `${mantissa}e${Number(exp)}`;
    }
    if (maxAbs >= 1e4) {
      const { unit, suffix } = SUFFIXES.find((s) => maxAbs >= s.unit) ?? SUFFIXES[SUFFIXES.length - 1];
      return `${(v / unit).toFixed(cap(Math.round(Math.log10(unit)) - stepExp))}${suffix}`;
    }
    return v.toFixed(cap(-stepExp));
  });
}

// "1.500e-5" → "1.5e-5", "2.000e+20" → "2e20": shorter and still exact for the digits shown.
function trimExponent(s: string): string {
  const [mantissa, exp] = s.split('e');
  const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return `${m}e${Number(exp)}`;
}
