import { describe, expect, it } from 'vitest';
import { KeySet, mergeSorted, NumberSet, UniqueSeen } from './value-sets.js';

describe('NumberSet', () => {
  it('holds what a Set of numbers holds, through many growths, with the line each was first added on', () => {
    const ours = new NumberSet(true, 4);
    const ref = new Map<number, number>();
    // Sequential ids, their negatives, large dates in ms, fractions, and repeats of each.
    const values = [
      ...Array.from({ length: 5000 }, (_, i) => i),
      ...Array.from({ length: 500 }, (_, i) => -i * 3),
      ...Array.from({ length: 500 }, (_, i) => Date.UTC(2020, 0, 1) + i * 86_400_000),
      ...Array.from({ length: 500 }, (_, i) => i / 7),
      Infinity,
      -Infinity,
      Number.MAX_SAFE_INTEGER,
    ];
    values.forEach((v, line) => {
      const isNew = !ref.has(v);
      if (isNew) ref.set(v, line + 1);
      expect(ours.add(v, line + 1)).toBe(isNew);
    });
    expect(ours.size).toBe(ref.size);
    for (const [v, line] of ref) {
      expect(ours.has(v)).toBe(true);
      expect(ours.lineOf(v)).toBe(line);
    }
    expect(ours.has(0.5)).toBe(false);
    expect(ours.lineOf(0.5)).toBe(-1);
    expect([...ours.sorted()]).toEqual([...ref.keys()].sort((a, b) => a - b));
  });

  it('takes -0 as 0, as a Set does', () => {
    const s = new NumberSet(false);
    expect(s.add(-0)).toBe(true);
    expect(s.add(0)).toBe(false);
    expect(s.has(-0) && s.has(0)).toBe(true);
    expect(Object.is(s.sorted()[0], 0)).toBe(true);
  });

  it('survives a copy between threads (structured clone) and keeps answering', () => {
    const s = new NumberSet(true);
    for (let i = 0; i < 3000; i++) s.add(i * 2, i + 10);
    const copy = NumberSet.revive(structuredClone(s));
    expect(copy.size).toBe(3000);
    expect(copy.lineOf(200)).toBe(110);
    expect(copy.add(201, 1)).toBe(true);
    expect(copy.add(200, 1)).toBe(false);
  });
});

describe('mergeSorted', () => {
  it('is the union, each number once, calling back with each number of the second already in the first', () => {
    const seen: number[] = [];
    const out = mergeSorted(Float64Array.of(-5, 1, 3, 9), Float64Array.of(-6, 1, 4, 9, 12), (v) => (seen.push(v), true));
    expect([...out!]).toEqual([-6, -5, 1, 3, 4, 9, 12]);
    expect(seen).toEqual([1, 9]);
  });

  it('stops at the first repeat when told to, and handles empty sides', () => {
    expect(mergeSorted(Float64Array.of(1, 2), Float64Array.of(2, 3), () => false)).toBeNull();
    expect([...mergeSorted(new Float64Array(0), Float64Array.of(2, 3), () => false)!]).toEqual([2, 3]);
    expect([...mergeSorted(Float64Array.of(1), new Float64Array(0), () => false)!]).toEqual([1]);
  });
});

describe('KeySet', () => {
  const sealed = (values: (string | number)[]) => {
    const k = new KeySet();
    for (const v of values) expect(k.add(v)).toBe(true);
    k.seal();
    return k;
  };

  it('tells a repeated value while reading; 12 and "12" are two values', () => {
    const k = new KeySet();
    expect(k.add(12)).toBe(true);
    expect(k.add('12')).toBe(true);
    expect(k.add(12)).toBe(false);
    expect(k.add('12')).toBe(false);
    expect(k.size).toBe(2);
  });

  it('unites segments while no value repeats across them, and refuses (unchanged) when one does', () => {
    const a = sealed([3, 1, 'x']);
    expect(a.union(sealed([2, 'y']))).toBe(true);
    expect(a.size).toBe(5);
    expect([...a.sorted!]).toEqual([1, 2, 3]);
    expect(a.union(sealed([7, 'x']))).toBe(false);
    expect(a.union(sealed([2]))).toBe(false);
    expect(a.size).toBe(5);
  });
});

describe('UniqueSeen', () => {
  it('shows a number as written where it does not print so, and counts sorted numbers once sealed', () => {
    const u = new UniqueSeen();
    u.nums.add(7, 4);
    u.texts.set(4, '007');
    u.nums.add(8, 5);
    u.strs.set('a', 6);
    u.seal();
    expect(u.size).toBe(3);
    expect(u.numberText(7, 4)).toBe('007');
    expect(u.numberText(8, 5)).toBe('8');
    const copy = UniqueSeen.revive(structuredClone(u));
    expect([...copy.sorted!]).toEqual([7, 8]);
    expect(copy.nums.lineOf(8)).toBe(5);
  });
});
