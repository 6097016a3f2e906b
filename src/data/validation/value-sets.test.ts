import { describe, expect, it } from 'vitest';
import { KeySet, NumberSet, SortedRun, UniqueSeen } from './value-sets.js';

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

describe('SortedRun', () => {
  it('merges sorted numbers in place: the union, each number once, calling back with each number already there', () => {
    const run = new SortedRun(Float64Array.of(-5, 1, 3, 9));
    const seen: number[] = [];
    expect(run.add(Float64Array.of(-6, 1, 4, 9, 12), (v) => (seen.push(v), true))).toBe(true);
    expect([...run.numbers]).toEqual([-6, -5, 1, 3, 4, 9, 12]);
    expect(seen.sort((a, b) => a - b)).toEqual([1, 9]);
    // Rising numbers (the usual ids), growing past the spare room many times.
    for (let k = 0; k < 50; k++)
      expect(
        run.add(
          Float64Array.from({ length: 500 }, (_, i) => 100 + k * 500 + i),
          () => true,
        ),
      ).toBe(true);
    expect(run.length).toBe(7 + 25_000);
    expect(run.numbers.every((v, i, a) => i === 0 || a[i - 1] < v)).toBe(true);
  });

  it('matches a Set on random segments with repeats, and stops at the first repeat when told to', () => {
    const run = new SortedRun(new Float64Array(0));
    const ref = new Set<number>();
    let repeats = 0;
    let seed = 1;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let k = 0; k < 30; k++) {
      const seg = [...new Set(Array.from({ length: 300 }, () => Math.floor(rand() * 5000) - 2500))].sort((a, b) => a - b);
      for (const v of seg) if (ref.has(v)) repeats++;
      for (const v of seg) ref.add(v);
      run.add(Float64Array.from(seg), () => true);
    }
    expect([...run.numbers]).toEqual([...ref].sort((a, b) => a - b));
    expect(repeats).toBeGreaterThan(0);
    expect(new SortedRun(Float64Array.of(1, 2)).add(Float64Array.of(2, 3), () => false)).toBe(false);
  });

  it('owns its numbers: the array it starts from (shared with another set) is never written', () => {
    const shared = Float64Array.of(1, 2, 3);
    const run = new SortedRun(shared);
    run.add(Float64Array.of(0, 4), () => true);
    expect([...shared]).toEqual([1, 2, 3]);
    expect([...run.numbers]).toEqual([0, 1, 2, 3, 4]);
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

  it('unites segments while no value repeats across them, and refuses when one does', () => {
    const a = sealed([3, 1, 'x']);
    expect(a.union(sealed([2, 'y']))).toBe(true);
    expect(a.size).toBe(5);
    expect([...a.run!.numbers]).toEqual([1, 2, 3]);
    expect(a.union(sealed([7, 'x']))).toBe(false);
    expect(sealed([1, 4]).union(sealed([9, 4]))).toBe(false);
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
