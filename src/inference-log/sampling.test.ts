import { describe, expect, it } from 'vitest';
import { checkLogOptions, isSampled, sampleDraw } from './sampling.js';

describe('sampling', () => {
  it('is a fixed draw per request id, so a request is logged whole (shadow and primary) or not at all', () => {
    expect(sampleDraw('abc')).toBe(sampleDraw('abc'));
    const ids = Array.from({ length: 20_000 }, (_, i) => `req-${i}`);
    const share = ids.filter((id) => isSampled(id, 0.25)).length / ids.length;
    expect(Math.abs(share - 0.25)).toBeLessThan(0.02);
    expect(ids.every((id) => isSampled(id, 1))).toBe(true);
    expect(ids.some((id) => isSampled(id, 0))).toBe(false);
  });

  it('refuses a sample rate outside [0, 1] and a row bound below 1', () => {
    expect(() => checkLogOptions({ sampleRate: 0, maxRows: 1 })).not.toThrow();
    expect(() => checkLogOptions({ sampleRate: Number.NaN, maxRows: 10 })).toThrow(/the sample rate NaN/);
    expect(() => checkLogOptions({ sampleRate: 1, maxRows: 2.5 })).toThrow(/the most rows kept, 2.5,/);
  });
});
