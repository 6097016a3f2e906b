import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/random.js';
import { ColumnStats, KeyBudget, Kind } from './column-stats.js';

describe('ColumnStats.classify', () => {
  it('reads plain decimals to the same double as Number(text), sign and zeros included', () => {
    const c = new ColumnStats('x', new KeyBudget());
    const rand = mulberry32(3);
    const texts = ['-0.0', '0.5', '.5', '-.5', '+.25', '1.', '007.250', '123456789012.345', '-9007199254.740993', '0.1', '0.3', '-3.14159', '99999999999999.9'];
    for (let i = 0; i < 50_000; i++) {
      const digits = 1 + Math.floor(rand() * 15);
      const text = (rand() * 10 ** Math.floor(rand() * 12) * (rand() < 0.5 ? -1 : 1)).toFixed(Math.floor(rand() * 8));
      texts.push(text.slice(0, digits + 2));
    }
    for (const t of texts) {
      const kind = c.classify(t);
      expect([Kind.Int, Kind.Float], t).toContain(kind);
      expect(Object.is(c.num, Number(t)), `${t}: ${c.num} vs ${Number(t)}`).toBe(true);
    }
    for (const t of ['.', '-.', '1.2.3', '1e5', '-1.5e-3', '12-3']) {
      const kind = c.classify(t);
      if (kind === Kind.Float || kind === Kind.Int) expect(c.num).toBe(Number(t));
      else expect(Number.isNaN(Number(t)), t).toBe(true);
    }
  });
});
