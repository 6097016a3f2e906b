import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { materialize, num, type SampleSpec } from '../../../test/fixtures/drift/data.js';
import { describeFixture } from '../../../test/fixtures/drift/suite.js';
import { jensenShannonDistance, jensenShannonTest } from './jensenshannon.js';

interface JsCase {
  name: string;
  kind: 'numerical' | 'categorical';
  x: SampleSpec;
  y: SampleSpec;
  statistic: number;
  bins: number;
}

describeFixture<JsCase>('jensenShannonTest matches Evidently jensenshannon + scipy.spatial.distance.jensenshannon', 'jensenshannon', (c) => {
  const r = jensenShannonTest(materialize(c.x), materialize(c.y), { kind: c.kind });
  expect(r.referenceShares.length).toBe(c.bins);
  return [{ what: 'JS', actual: r.statistic, expected: num(c.statistic) }];
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
