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
  for (const fn of Object.keys(impl) as SpecialCase['fn'][]) {
    const cases = fixture.cases.filter((c) => c.fn === fn);
    it(`${fn}: ${cases.length} points against ${scipyName[fn]}`, () => {
      let worst = 0;
      const bad: string[] = [];
      for (const c of cases) {
        const expected = num(c.value);
        const actual = impl[fn](c.n, c.x);
        if (!withinTolerance(actual, expected, true)) bad.push(`${fn}(${c.n}, ${c.x}) = ${actual}, scipy ${expected}`);
        if (expected >= 1e-10) worst = Math.max(worst, relErr(actual, expected));
      }
      console.log(`${fn}: ${cases.length} points, worst relative error ${worst.toExponential(2)}`);
      expect(bad).toEqual([]);
    });
  }
});
