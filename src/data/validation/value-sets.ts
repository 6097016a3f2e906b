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

  constructor(withLines: boolean, capacity = 1024) {
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
 * Sorted numbers a and b (each without repeats) as one sorted array without repeats, calling `dup` with
 * each number of b that a holds too; null, at the first such number, when `dup` returns false.
 */
export function mergeSorted(a: Float64Array, b: Float64Array, dup: (v: number) => boolean): Float64Array | null {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x < y) out[k++] = a[i++];
    else if (y < x) out[k++] = b[j++];
    else {
      if (!dup(y)) return null;
      out[k++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return k === out.length ? out : out.slice(0, k);
}

/** A column's distinct values while it may be a key: numbers in a NumberSet while reading (sorted once sealed), text in a Set. */
export class KeySet {
  nums: NumberSet | null = new NumberSet(false);
  sorted: Float64Array | null = null;
  strs = new Set<string>();

  static revive(plain: KeySet): KeySet {
    const s = Object.assign(new KeySet(), plain);
    s.nums = plain.nums && NumberSet.revive(plain.nums);
    return s;
  }

  get size(): number {
    return (this.nums ? this.nums.size : this.sorted!.length) + this.strs.size;
  }

  /** Adds a value while reading; false when it was there already. */
  add(key: string | number): boolean {
    if (typeof key === 'number') return this.nums!.add(key);
    const n = this.strs.size;
    return this.strs.add(key).size !== n;
  }

  /** Its numbers as a sorted array, its table dropped: done reading, handed to the merge. */
  seal(): void {
    if (this.nums) this.sorted = this.nums.sorted();
    this.nums = null;
  }

  /** Adds the values of a later segment (both sealed); false, adding nothing, when a value is in both. */
  union(o: KeySet): boolean {
    for (const s of o.strs) if (this.strs.has(s)) return false;
    const merged = mergeSorted(this.sorted!, o.sorted!, () => false);
    if (!merged) return false;
    this.sorted = merged;
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
  strs = new Map<string, number>();
  texts = new Map<number, string>();

  static revive(plain: UniqueSeen): UniqueSeen {
    const s = Object.assign(new UniqueSeen(), plain);
    s.nums = NumberSet.revive(plain.nums);
    return s;
  }

  get size(): number {
    return (this.sorted ? this.sorted.length : this.nums.size) + this.strs.size;
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
