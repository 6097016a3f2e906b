import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { loadFixture, materialize, num, relErr, withinTolerance, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { jensenShannonDistance, jensenShannonTest } from './jensenshannon.js';

interface JsCase {
  name: string;
  kind: 'numerical' | 'categorical';
  x: SampleSpec;
  y: SampleSpec;
  statistic: number;
  bins: number;
}

const fixture = loadFixture<JsCase>('jensenshannon');

describe('jensenShannonTest matches Evidently jensenshannon + scipy.spatial.distance.jensenshannon', () => {
  let worst = 0;
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = jensenShannonTest(materialize(c.x), materialize(c.y), { kind: c.kind });
    const expected = num(c.statistic);
    expect(r.referenceShares.length).toBe(c.bins);
    expect(withinTolerance(r.statistic, expected, false), `JS ${r.statistic} vs ${expected}`).toBe(true);
    worst = Math.max(worst, relErr(r.statistic, expected));
  });

  it('reports the worst error', () => {
    console.log(`jensenshannon: ${fixture.cases.length} cases, worst relative error ${worst.toExponential(2)}`);
  });
});

describe('jensenShannonTest behaviour', () => {
  it('is 0 for identical samples and sqrt(ln 2) for disjoint ones', () => {
    expect(jensenShannonTest(['a', 'b'], ['b', 'a'])).toMatchObject({ statistic: 0, drift: false });
    expect(jensenShannonTest(['a'], ['b']).statistic).toBeCloseTo(Math.sqrt(Math.LN2), 15);
  });

  it('never returns NaN for nearly equal distributions', () => {
    const p = Float64Array.from([0.1, 0.2, 0.7]);
    const q = Float64Array.from([0.1 + 1e-17, 0.2, 0.7 - 1e-17]);
    expect(Number.isNaN(jensenShannonDistance(p, q))).toBe(false);
  });

  it('rejects empty samples', () => {
    expect(() => jensenShannonTest(['a'], [])).toThrow(MlxError);
  });
});
