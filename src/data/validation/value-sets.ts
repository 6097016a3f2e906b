/**
 * The sets of values that find duplicates: a column's candidate-key values (ColumnStats.keys) and the
 * values a `unique` expectation has seen, with the line each was first seen on. While a file (or a
 * segment of it) is read, numbers (ids, dates as epoch ms) go into an open-addressing hash table of typed
 * arrays rather than a JS Set or Map: no entry objects, a fraction of the cost per value. A segment read on
 * another thread is handed back sealed: its numbers also as one sorted array, so the thread that merges
 * the segments in order finds values repeated across them by merging sorted arrays (a sequential pass)
 * rather than by a million hash lookups, and copies a few arrays rather than a million entries. Text stays
 * in a Set or Map. Equality is a JS Set's for numbers that are not NaN (-0 is 0), and 12 and "12" are two
 * values. (A cell's number is never NaN: classification makes NaN a null.)
 */

const EMPTY = 0;
const FULL = 1;
const scratch = new Float64Array(1);
const bits = new Uint32Array(scratch.buffer);

/** A number's slot hash (murmur3's finaliser over both halves of its bits); -0 hashes as 0. */
function hashOf(v: number): number {
  scratch[0] = v === 0 ? 0 : v;
  let h = bits[0] ^ Math.imul(bits[1], 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Numbers, each with the line it was first added with (0 when lines are not kept). Kept at most half full. */
export class NumberSet {
  keys: Float64Array;
  state: Uint8Array;
  lines: Float64Array | null;
  size = 0;

  constructor(withLines: boolean, capacity = 16) {
    this.keys = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.lines = withLines ? new Float64Array(capacity) : null;
  }

  /** A set from its fields copied between threads (structured clone keeps the data, not the class). */
  static revive(plain: NumberSet): NumberSet {
    return Object.assign(Object.create(NumberSet.prototype) as NumberSet, plain);
  }

  private slotOf(v: number): number {
    const keys = this.keys;
    const state = this.state;
    const mask = keys.length - 1;
    let i = hashOf(v) & mask;
    while (state[i] === FULL && keys[i] !== v) i = (i + 1) & mask;
    return i;
  }

  has(v: number): boolean {
    return this.state[this.slotOf(v)] === FULL;
  }

  /** The line v was first added with, or -1. */
  lineOf(v: number): number {
    const i = this.slotOf(v);
    return this.state[i] === FULL && this.lines ? this.lines[i] : -1;
  }

  /** Adds v, first seen on `line`; false when it was there already (its line kept). */
  add(v: number, line = 0): boolean {
    let i = this.slotOf(v);
    if (this.state[i] === FULL) return false;
    if (2 * (this.size + 1) > this.keys.length) {
      this.grow();
      i = this.slotOf(v);
    }
    this.state[i] = FULL;
    this.keys[i] = v === 0 ? 0 : v;
    if (this.lines) this.lines[i] = line;
    this.size++;
    return true;
  }

  /** The numbers in ascending order. */
  sorted(): Float64Array {
    const { keys, state } = this;
    const out = new Float64Array(this.size);
    let k = 0;
    for (let i = 0; i < keys.length; i++) if (state[i] === FULL) out[k++] = keys[i];
    return out.sort();
  }

  private grow(size = this.keys.length * 2): void {
    const { keys, state, lines } = this;
    this.keys = new Float64Array(size);
    this.state = new Uint8Array(size);
    this.lines = lines ? new Float64Array(size) : null;
    for (let j = 0; j < keys.length; j++)
      if (state[j] !== EMPTY) {
        const i = this.slotOf(keys[j]);
        this.state[i] = FULL;
        this.keys[i] = keys[j];
        if (lines) this.lines![i] = lines[j];
      }
  }
}

/**
 * Sorted numbers without repeats that later segments' sorted numbers are merged into, in place (from
 * the back, into spare room that doubles): ids that rise through a file make each merge a copy of the
 * new numbers only, and a million of them take a few allocations, not one per segment.
 */
export class SortedRun {
  values: Float64Array;
  length: number;

  /** A run of its own holding a copy of `sorted` (which may be shared with another set). */
  constructor(sorted: Float64Array) {
    this.values = new Float64Array(Math.max(1024, 2 * sorted.length));
    this.values.set(sorted);
    this.length = sorted.length;
  }

  /**
   * Merges the sorted numbers b in, calling `dup` with each number of b already here (highest first); false,
   * leaving the run unusable, at the first one `dup` returns false for.
   */
  add(b: Float64Array, dup: (v: number) => boolean): boolean {
    const m = this.length;
    const n = b.length;
    if (m + n > this.values.length) {
      const grown = new Float64Array(Math.max(2 * this.values.length, m + n));
      grown.set(this.values.subarray(0, m));
      this.values = grown;
    }
    const a = this.values;
    let i = m - 1;
    let j = n - 1;
    let k = m + n - 1;
    while (j >= 0) {
      const y = b[j];
      if (i >= 0 && a[i] > y) a[k--] = a[i--];
      else if (i >= 0 && a[i] === y) {
        if (!dup(y)) return false;
        a[k--] = a[i--];
        j--;
      } else {
        a[k--] = y;
        j--;
      }
    }
    // Each number of b already here left a gap between a's untouched head and the merged tail.
    const gap = k - i;
    if (gap > 0) a.copyWithin(i + 1, k + 1, m + n);
    this.length = m + n - gap;
    return true;
  }

  /** The numbers (a view, valid until the next add). */
  get numbers(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

/**
 * A column's distinct values while it may be a key: numbers in a NumberSet while reading, a sorted array
 * once sealed (handed on), a SortedRun once later segments are merged in; text in a Set.
 */
export class KeySet {
  nums: NumberSet | null = new NumberSet(false);
  sorted: Float64Array | null = null;
  run: SortedRun | null = null;
  strs = new Set<string>();

  static revive(plain: KeySet): KeySet {
    const s = Object.assign(new KeySet(), plain);
    s.nums = plain.nums && NumberSet.revive(plain.nums);
    return s;
  }

  get size(): number {
    return (this.nums ? this.nums.size : this.run ? this.run.length : this.sorted!.length) + this.strs.size;
  }

  /** Adds a value while reading; false when it was there already. */
  add(key: string | number): boolean {
    return typeof key === 'number' ? this.addNumber(key) : this.addText(key);
  }

  addNumber(v: number): boolean {
    return this.nums!.add(v);
  }

  addText(s: string): boolean {
    const n = this.strs.size;
    return this.strs.add(s).size !== n;
  }

  /** Its numbers as a sorted array, its table dropped: done reading, handed to the merge. */
  seal(): void {
    if (this.nums) this.sorted = this.nums.sorted();
    this.nums = null;
  }

  /** Adds the values of a later segment (both sealed); false, the set then unusable, when a value is in both. */
  union(o: KeySet): boolean {
    for (const s of o.strs) if (this.strs.has(s)) return false;
    this.run ??= new SortedRun(this.sorted!);
    this.sorted = null;
    if (!this.run.add(o.sorted!, () => false)) return false;
    for (const s of o.strs) this.strs.add(s);
    return true;
  }
}

/**
 * The values a `unique` expectation has seen, each with the line it was first seen on: numbers (held as
 * numbers, cheaper than their text) and text; `texts` holds the text of a number seen on a line when it
 * does not print as written (007, 1e3, a date), which is what an example shows. Sealed, its numbers are
 * also a sorted array (the table stays, for the lines of numbers a later merge finds repeated).
 */
export class UniqueSeen {
  nums = new NumberSet(true);
  sorted: Float64Array | null = null;
  /** The numbers of every segment so far (the whole file's set, as segments are merged in). */
  run: SortedRun | null = null;
  strs = new Map<string, number>();
  texts = new Map<number, string>();

  static revive(plain: UniqueSeen): UniqueSeen {
    const s = Object.assign(new UniqueSeen(), plain);
    s.nums = NumberSet.revive(plain.nums);
    return s;
  }

  get size(): number {
    return (this.run ? this.run.length : this.sorted ? this.sorted.length : this.nums.size) + this.strs.size;
  }

  /** Its numbers as a sorted array too (given when another set holds the same numbers sorted). */
  seal(sorted = this.nums.sorted()): void {
    this.sorted = sorted;
  }

  /** The text an example shows for the number first seen on `line`. */
  numberText(v: number, line: number): string {
    return this.texts.get(line) ?? String(v);
  }
}
