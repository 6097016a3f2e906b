import { describe, expect, it } from 'vitest';
import { painted, printable, renderTable } from './output.js';

describe('printable', () => {
  it('writes out every terminal control character: C0 (ESC, CR, BEL, …), DEL and C1 (CSI U+009B)', () => {
    expect(printable('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    expect(printable('x\r\ny\tz')).toBe('x\\r\\ny\\tz');
    expect(printable('\u0007\u007f\u009b\u0085')).toBe('\\x07\\x7f\\x9b\\x85');
    expect(printable('one\ntwo\r', { newlines: true })).toBe('one\ntwo\\r');
  });

  it('leaves other text alone, including non-ASCII letters and marks', () => {
    for (const t of ['plain', 'é λ 中文 🙂', '\u00a0nbsp', 'back\\slash']) expect(printable(t)).toBe(t);
  });
});

describe('renderTable', () => {
  it('escapes control characters in every cell and header; painted cells keep their text', async () => {
    const out = await renderTable(['col\u001b[31m'], [['\u001b]0;title\u0007'], [painted('ok\r', (s) => `<${s}>`)]]);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('col\\x1b[31m');
    expect(out).toContain('\\x1b]0;title\\x07');
    expect(out).toContain('<ok\\r>');
  });
});
