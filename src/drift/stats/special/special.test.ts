import { describe, expect, it } from 'vitest';
import { loadFixture, num, relErr, withinTolerance } from '../../../../test/fixtures/drift/data.js';
import { kolmogorovSf } from '../kolmogorov.js';
import { smirnovSf } from '../smirnov.js';
import { chi2Sf } from './igam.js';
import { normalSf } from './ndtr.js';

interface SpecialCase {
  fn: 'kstwo_sf' | 'smirnov' | 'chi2_sf' | 'norm_sf';
  n: number;
  x: number;
  value: number | string;
}

const fixture = loadFixture<SpecialCase>('special');
const scipyName: Record<SpecialCase['fn'], string> = {
  kstwo_sf: 'scipy.stats.kstwo.sf',
  smirnov: 'scipy.special.smirnov',
  chi2_sf: 'scipy.stats.chi2.sf',
  norm_sf: 'scipy.stats.norm.sf',
};
const impl: Record<SpecialCase['fn'], (n: number, x: number) => number> = {
  kstwo_sf: kolmogorovSf,
  smirnov: smirnovSf,
  chi2_sf: chi2Sf,
  norm_sf: (_n, x) => normalSf(x),
};

describe('special functions match scipy on grids', () => {
  const worst = new Map<string, number>();
  // One test per function and n, so that no single test carries all the O(n) Smirnov sums.
  const groups = new Map<string, SpecialCase[]>();
  for (const c of fixture.cases) {
    const key = `${c.fn} n=${c.n}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  it.each([...groups].map(([key, cases]) => [key, cases.length, cases] as const))('%s: %i points', (_key, _count, cases) => {
    const fn = cases[0].fn;
    const bad: string[] = [];
    for (const c of cases) {
      const expected = num(c.value);
      const actual = impl[fn](c.n, c.x);
      if (!withinTolerance(actual, expected, true)) bad.push(`${fn}(${c.n}, ${c.x}) = ${actual}, scipy ${expected}`);
      if (expected >= 1e-10) worst.set(fn, Math.max(worst.get(fn) ?? 0, relErr(actual, expected)));
    }
    expect(bad).toEqual([]);
  });

  it('reports the worst errors', () => {
    for (const fn of Object.keys(impl) as SpecialCase['fn'][]) {
      const count = fixture.cases.filter((c) => c.fn === fn).length;
      console.log(`${fn}: ${count} points against ${scipyName[fn]}, worst relative error ${(worst.get(fn) ?? 0).toExponential(2)}`);
    }
  });
});
