import { PANDAS_NA } from '../../core/missing-values.js';
import { QuantileSketch } from './quantile-sketch.js';
import { KeySet } from './value-sets.js';

/** The types a column can have, as the schema file names them. */
export type DataType = 'int' | 'float' | 'bool' | 'string' | 'datetime';

/** What one cell is: numbers as their value in `ColumnStats.num` (datetimes as epoch ms). */
export const Kind = { Null: 0, Int: 1, Float: 2, Bool: 3, Date: 4, String: 5 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export const KIND_NAMES: Record<Kind, DataType | 'null'> = ['null', 'int', 'float', 'bool', 'datetime', 'string'];

/** Distinct values counted exactly up to here; past it a column has no category set. */
export const CATEGORY_TRACK = 1000;
/** Whole numbers below this are counted by value through an array as well as the map (ages, counts, codes, booleans): one index, not a hash lookup. */
const SMALL = 1024;
/** ISO 8601 dates and date-times (what pandas' to_datetime reads without a format). */
const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const INF = /^[+-]?inf(inity)?$/i;
export const POW10 = Float64Array.from({ length: 16 }, (_, i) => Number(`1e${i}`));

/** A JSON value as text (what categories and lengths count): booleans as pandas prints them. */
export function cellText(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** A value's count in ColumnStats.cats (an object, so a value seen before costs one lookup). */
export interface Holder {
  n: number;
}

/** Shared budget of values held to find candidate keys (unique columns), so memory stays bounded with many columns. */
export class KeyBudget {
  constructor(public left = 4_000_000) {}
}

/**
 * One column's statistics, gathered value by value in one pass: the type (widened as values
 * arrive: int and float make float, anything else mixed makes string), nulls, min/max, mean and
 * std (shifted sums), quantiles (a bounded sketch), category counts while there are at most
 * CATEGORY_TRACK distinct values, text lengths, and whether every value differs (a candidate key).
 */
export class ColumnStats {
  type: Kind = Kind.Null;
  count = 0;
  nulls = 0;
  /** The number of the last cell classified (Int, Float, Date, Bool as 0/1). */
  num = 0;
  min = Infinity;
  max = -Infinity;
  // Read and written by stats-merge.ts (statistics of file segments merged in order): not private.
  shift = NaN;
  s1 = 0;
  s2 = 0;
  sketch = new QuantileSketch();
  /** Finite numbers seen (what mean, std and quantiles are of). */
  finite = 0;
  minLen = Infinity;
  maxLen = -Infinity;
  trues = 0;
  /** Counts by value: numbers by their value (1 and 1.0 are one category, as in pandas), text as written. */
  // Counts in holders, so a value seen before costs one lookup.
  cats: Map<string | number, Holder> | null = new Map();
  /** The holders of `cats` for whole numbers 0 to SMALL-1, by value (dropped with cats, and when a segment is handed on). */
  small: (Holder | undefined)[] | null = new Array<Holder | undefined>(SMALL);
  keys: KeySet | null = new KeySet();
  duplicate = false;
  /** Numbers gathered so far are of a type the column no longer has (it became a string column). */
  numeric = true;

  constructor(
    readonly name: string,
    readonly budget: KeyBudget,
    /** Rows read before the column appeared (JSON lines): nulls. */
    nullsBefore = 0,
  ) {
    this.nulls = nullsBefore;
  }

  /** Classifies a CSV cell, records it, and returns its kind (its number in `num`). */
  addText(s: string): Kind {
    const kind = this.classify(s);
    if (kind !== Kind.Null) this.record(kind, kind === Kind.String ? s : this.num, s.length);
    else this.nulls++;
    return kind;
  }

  /** Classifies a JSON value (strings are text, never parsed as numbers), records it, and returns its kind. */
  addValue(v: unknown): Kind {
    let kind: Kind;
    const text = cellText(v);
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      this.nulls++;
      return Kind.Null;
    }
    if (typeof v === 'number') {
      kind = Number.isInteger(v) ? Kind.Int : Kind.Float;
      this.num = v;
    } else if (typeof v === 'boolean') {
      kind = Kind.Bool;
      this.num = v ? 1 : 0;
    } else if (typeof v === 'string') {
      kind = DATE.test(v) && !Number.isNaN((this.num = Date.parse(v))) ? Kind.Date : Kind.String;
    } else kind = Kind.String;
    this.record(kind, kind === Kind.String ? text : this.num, text.length);
    return kind;
  }

  /** What a CSV cell is, as pandas' read_csv would read it. */
  classify(s: string): Kind {
    const n = s.length;
    if (n === 0) return Kind.Null;
    const c = s.charCodeAt(0);
    // Digits, signs and '.': most cells of most files, so numbers first, in one scan: an integer of up to
    // 15 digits is summed on the way; anything else that is all number characters goes to the parser.
    if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
      let i = c === 45 || c === 43 ? 1 : 0;
      let v = 0;
      let int = i < n;
      let numeric = true;
      // A plain decimal (digits and one point, no exponent): its digits after the point.
      let point = -1;
      let plain = true;
      for (; i < n; i++) {
        const d = s.charCodeAt(i);
        if (d >= 48 && d <= 57) v = v * 10 + (d - 48);
        else {
          int = false;
          if (d === 46 && point < 0) point = i;
          else if (d === 46 || d === 101 || d === 69 || d === 45 || d === 43) plain = false;
          else {
            numeric = false;
            break;
          }
        }
      }
      if (int && n <= 16) {
        this.num = c === 45 ? -v : v;
        return Kind.Int;
      }
      // Up to 15 digits divided by an exact power of ten is the correctly rounded value (Clinger's fast
      // path), the same double `+s` gives, without parsing the text again.
      if (numeric && plain && n <= 16 && point >= 0 && n - (c === 45 || c === 43 ? 2 : 1) > 0) {
        const x = v / POW10[n - point - 1];
        this.num = c === 45 ? -x : x;
        return Kind.Float;
      }
      if (numeric) {
        const x = +s;
        if (x === x) {
          this.num = x;
          return int ? Kind.Int : Kind.Float;
        }
      } else if (n === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
        // YYYY-MM-DD, the most common date, without Date.parse.
        const y = +s.slice(0, 4);
        const m = +s.slice(5, 7);
        const d = +s.slice(8, 10);
        if (y === y && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
          const ms = Date.UTC(y, m - 1, d);
          if (new Date(ms).getUTCDate() === d) return ((this.num = ms), Kind.Date);
        }
      }
    }
    if (n <= 8 && PANDAS_NA.has(s)) return Kind.Null;
    const t = s.trim();
    if (t === '') return Kind.Null;
    if (INF.test(t)) {
      this.num = t.startsWith('-') ? -Infinity : Infinity;
      return Kind.Float;
    }
    if (t === 'True' || t === 'true' || t === 'TRUE') return ((this.num = 1), Kind.Bool);
    if (t === 'False' || t === 'false' || t === 'FALSE') return ((this.num = 0), Kind.Bool);
    if (c >= 48 && c <= 57 && DATE.test(t)) {
      const ms = Date.parse(t.length === 10 ? `${t}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`);
      if (!Number.isNaN(ms)) return ((this.num = ms), Kind.Date);
    }
    return Kind.String;
  }

  /** Records a classified non-null cell: a number (Int, Float, Bool, Date: its value in `num`) or a string, of `len` UTF-16 units. */
  record(kind: Kind, key: string | number, len: number): void {
    if (kind === Kind.String) this.recordText(key as string, len);
    else this.recordNumber(kind, len);
  }

  /**
   * Records a cell whose number is in `num`. (Numbers and text take separate paths, each with one type of
   * key.) `held` is the value's count holder in `cats` when the caller knows it (a cell seen before).
   */
  recordNumber(kind: Kind, len: number, held?: Holder): void {
    this.count++;
    if (this.type !== kind) this.widen(kind);
    const v = this.num;
    // Counted by value first: while a column has few distinct values, its quantiles come exactly from
    // the counts and the sketch is not fed (it is given the counts if the column outgrows them).
    const cats = this.cats;
    if (cats !== null) {
      const small = this.small;
      const indexed = small !== null && v >>> 0 === v && v < SMALL;
      const c = held ?? (indexed ? small[v] : cats.get(v));
      if (c === undefined) {
        if (cats.size === CATEGORY_TRACK) this.dropCats();
        else {
          const h = { n: 1 };
          cats.set(v, h);
          if (indexed) small[v] = h;
        }
      } else c.n++;
    }
    if (this.numeric) {
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      if (kind === Kind.Bool) this.trues += v;
      else if (v - v === 0) {
        if (this.shift !== this.shift) this.shift = v;
        const d = v - this.shift;
        this.s1 += d;
        this.s2 += d * d;
        this.finite++;
        if (this.cats === null) this.sketch.add(v);
      }
    }
    if (len < this.minLen) this.minLen = len;
    if (len > this.maxLen) this.maxLen = len;
    const keys = this.keys;
    if (keys !== null) this.keyAdded(keys.addNumber(v));
  }

  /** Records a cell of text (`held` as for recordNumber). */
  recordText(text: string, len: number, held?: Holder): void {
    this.count++;
    if (this.type !== Kind.String) this.widen(Kind.String);
    const cats = this.cats;
    if (cats !== null) {
      const c = held ?? cats.get(text);
      if (c === undefined) {
        if (cats.size === CATEGORY_TRACK) this.dropCats();
        else cats.set(text, { n: 1 });
      } else c.n++;
    }
    if (len < this.minLen) this.minLen = len;
    if (len > this.maxLen) this.maxLen = len;
    const keys = this.keys;
    if (keys !== null) this.keyAdded(keys.addText(text));
  }

  /** After a value went to the candidate-key set: a repeat ends it, and so does the shared budget. */
  private keyAdded(isNew: boolean): void {
    if (!isNew) {
      this.duplicate = true;
      this.dropKeys();
    } else if (this.budget.left-- <= 0) this.dropKeys();
  }

  /** Done reading (a segment handed on to be merged): the per-value lookup aids go, key numbers are sorted, held quantile values bucketed. */
  seal(): void {
    this.small = null;
    this.keys?.seal();
    this.sketch.seal();
  }

  dropCats(): void {
    if (this.numeric) for (const [k, c] of this.cats!) if (typeof k === 'number' && k - k === 0) this.sketch.addCount(k, c.n);
    this.cats = null;
    this.small = null;
  }

  /** The q-quantiles of the finite numbers: exact from the counts by value while they are kept, else the sketch's. */
  quantiles(qs: number[]): { values: (number | null)[]; exact: boolean } {
    if (!this.cats) return { values: this.sketch.quantiles(qs), exact: this.sketch.isExact };
    const pairs = [...this.cats]
      .filter((e): e is [number, { n: number }] => typeof e[0] === 'number' && e[0] - e[0] === 0)
      .map(([v, c]) => [v, c.n] as const)
      .sort((a, b) => a[0] - b[0]);
    const n = pairs.reduce((s, p) => s + p[1], 0);
    if (n === 0) return { values: qs.map(() => null), exact: true };
    // The value at a 0-based rank, walking the cumulative counts.
    const at = (rank: number) => {
      let cum = 0;
      for (const [v, c] of pairs) if ((cum += c) > rank) return v;
      return pairs[pairs.length - 1][0];
    };
    const values = qs.map((q) => {
      const pos = q * (n - 1);
      const lo = Math.floor(pos);
      const a = at(lo);
      return a + (at(Math.min(lo + 1, n - 1)) - a) * (pos - lo);
    });
    return { values, exact: true };
  }

  private widen(kind: Kind): void {
    const type = this.type;
    if (type === Kind.Null) this.type = kind;
    else if ((type === Kind.Int && kind === Kind.Float) || (type === Kind.Float && kind === Kind.Int)) this.type = Kind.Float;
    else if (type !== Kind.String) {
      this.type = Kind.String;
      this.numeric = false;
    }
    // Floats are measurements, not identifiers: not worth holding to find a key.
    if (this.type === Kind.Float || this.type === Kind.Bool) this.dropKeys();
  }

  dropKeys(): void {
    if (this.keys) this.budget.left += this.keys.size;
    this.keys = null;
  }

  /** Distinct non-null values when known (at most CATEGORY_TRACK, or all of them for a key), else null. */
  get distinct(): number | null {
    if (this.cats) return this.cats.size;
    if (this.keys && !this.duplicate) return this.count;
    return null;
  }

  /** True when every non-null value differs (known while a key set is held), false on a duplicate, null when not tracked. */
  get unique(): boolean | null {
    if (this.duplicate) return false;
    if (this.keys) return true;
    if (this.cats) return this.cats.size === this.count;
    return null;
  }

  get typeName(): DataType {
    const t = KIND_NAMES[this.type];
    // A column of nulls only: nothing says what it holds.
    return t === 'null' ? 'string' : t;
  }

  get isNumeric(): boolean {
    return this.type === Kind.Int || this.type === Kind.Float;
  }

  get mean(): number | null {
    const n = this.finite;
    return n === 0 ? null : this.shift + this.s1 / n;
  }

  /** Sample standard deviation (ddof 1, as pandas). */
  get std(): number | null {
    const n = this.finite;
    if (n < 2) return null;
    return Math.sqrt(Math.max(0, (this.s2 - (this.s1 * this.s1) / n) / (n - 1)));
  }
}
