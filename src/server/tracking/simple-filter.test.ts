import { describe, expect, it } from 'vitest';
import { MlxError } from '../../core/errors.js';
import { likeMatches, parseSimpleFilter } from './simple-filter.js';

describe('likeMatches', () => {
  it.each([
    ['abc', 'abc', false, true],
    ['abc', 'a%', false, true],
    ['abc', '%c', false, true],
    ['abc', '%b%', false, true],
    ['abc', 'a_c', false, true],
    ['abc', 'a_', false, false],
    ['abc', '%%%', false, true],
    ['', '%', false, true],
    ['', '_', false, false],
    ['abc', 'ABC', false, false],
    ['abc', 'A%C', true, true],
    ['ÉCOLE', 'éc%', true, true],
    ['a.c', 'a.c', false, true],
    ['abc', 'a.c', false, false],
    ['a*b[1]?(x)|\\', 'a*b[1]?(x)|\\', false, true],
    ['line1\nline2', 'line1%2', false, true],
    ['😀z', '_z', false, true],
    ['mississippi', '%iss%pi', false, true],
    ['mississippi', '%iss%ippix', false, false],
    ['aaab', '%a%ab', false, true],
    ['ab', '%a%b%', false, true],
  ])('%s LIKE %s (ignoreCase %s) is %s', (value, pattern, ignoreCase, expected) => {
    expect(likeMatches(value, pattern, ignoreCase)).toBe(expected);
  });

  it('agrees with a regular expression on random values and patterns', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[rnd(alphabet.length)]).join('');
    for (let k = 0; k < 2000; k++) {
      const value = pick('ab', rnd(8));
      const pattern = pick('ab%_', rnd(6));
      const re = new RegExp(`^${pattern.replaceAll('%', '.*').replaceAll('_', '.')}$`, 's');
      expect(likeMatches(value, pattern, false), `${value} LIKE ${pattern}`).toBe(re.test(value));
    }
  });
});

describe('parseSimpleFilter limits', () => {
  const refuse = (text: string) => {
    try {
      parseSimpleFilter(text, ['name'], { tags: true });
    } catch (e) {
      expect(e).toBeInstanceOf(MlxError);
      return (e as MlxError).message;
    }
    throw new Error('expected a refusal');
  };
  it('refuses what the run search refuses, quoting at most 200 characters of the filter', () => {
    expect(parseSimpleFilter(Array.from({ length: 1000 }, () => "name = 'x'").join(' AND '), ['name'], { tags: true })).toHaveLength(1000);
    expect(refuse(Array.from({ length: 1001 }, () => "name = 'x'").join(' and '))).toBe('Invalid filter: 1001 conditions, over the limit of 1000');
    expect(parseSimpleFilter(`name LIKE '${'%'.repeat(5000)}'`, ['name'], { tags: true })).toHaveLength(1);
    expect(refuse(`name LIKE '${'%'.repeat(5001)}'`)).toMatch(/LIKE patterns are at most 5000 characters/);
    expect(refuse(`name = '${'x'.repeat(100_000)}'`)).toBe('Invalid filter: 100009 characters, over the limit of 100000');
    expect(refuse(`name = 'x' ${'y'.repeat(50_000)}`).length).toBeLessThan(300);
  });
});
