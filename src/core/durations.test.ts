import { describe, expect, it } from 'vitest';
import { parseDuration, parseTimeFlag } from './durations.js';

describe('parseDuration', () => {
  it('takes s, m, h and d, decimals included', () => {
    expect(parseDuration('--every', '1s')).toBe(1000);
    expect(parseDuration('--every', '10m')).toBe(600_000);
    expect(parseDuration('--every', '1.5h')).toBe(5_400_000);
    expect(parseDuration('--every', '2d')).toBe(172_800_000);
  });

  it.each(['', '10', '0s', '-5m', '5 minutes', '1w', 'm', '1e3s'])('refuses %j as a usage error naming the flag', (text) => {
    expect(() => parseDuration('--every', text)).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining(`--every ${JSON.stringify(text)}`) }),
    );
  });
});

describe('parseTimeFlag', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('reads a duration as that long ago, a date-time as local time unless zoned', () => {
    expect(parseTimeFlag('--since', '30m', now)).toBe(now - 1_800_000);
    expect(parseTimeFlag('--since', '2026-11-26T10:00Z', now)).toBe(Date.parse('2026-11-26T10:00:00Z'));
    expect(parseTimeFlag('--since', '2026-11-26T10:00', now)).toBe(new Date(2026, 10, 26, 10, 0).getTime());
    expect(parseTimeFlag('--since', '2026-11-26', now)).toBe(new Date(2026, 10, 26).getTime());
    expect(parseTimeFlag('--since', '2026-11-26 10:00:30+01:00', now)).toBe(Date.parse('2026-11-26T09:00:30Z'));
  });

  it.each(['yesterday', '2026-13-45', '26/11/2026', '1700000000000'])('refuses %j', (text) => {
    expect(() => parseTimeFlag('--until', text, now)).toThrow(/--until .* is neither a duration ago/);
  });
});
