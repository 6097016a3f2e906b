import { Kind } from './column-stats.js';
import type { CellSource } from './row-view.js';
import { rangeBounds, type Expectation } from './schema.js';
import { UniqueSeen } from './value-sets.js';

export { UniqueSeen } from './value-sets.js';

// The per-cell checks of a column's expectations (type, nulls, range, categories, length, unique):
// the common ones read from fields by one method (a call per cell, not one per expectation), the
// rest as closures.

/** Rows shown per failed expectation. */
export const EXAMPLES = 5;
/** Values held to check a `unique` expectation; past it the check is skipped and says so. */
export const UNIQUE_LIMIT = 20_000_000;

export interface Example {
  line: number;
  value: string;
}

export const show = (v: string) => (v === '' ? '(empty)' : v.length > 80 ? `${v.slice(0, 77)}...` : v);

/** A row-by-row counter of the cells or rows that broke an expectation, keeping the first few. */
export class Tally {
  n = 0;
  examples: Example[] = [];
  hit(line: number, value: string): void {
    if (this.n++ < EXAMPLES) this.examples.push({ line, value: show(value) });
  }
  /** A hit on cell i, its text made only while examples are kept. */
  hitCell(line: number, cells: CellSource, i: number): void {
    if (this.n++ < EXAMPLES) this.examples.push({ line, value: show(cells.text(i)) });
  }
}

/** An int's text is how the number prints (no sign, leading zero or exponent to keep): checked without printing it. */
export function printsAsWritten(text: string): boolean {
  const c = text.charCodeAt(0);
  const d = c === 45 ? text.charCodeAt(1) : c;
  return text.length <= 15 && d >= 49 && d <= 57 ? true : text === '0';
}

type CellTest = (kind: Kind, num: number, cells: CellSource, i: number, line: number) => void;

/** One closure per expectation (the checks ColumnChecks does not do itself, or a second of a kind). */
function cellTest(x: Expectation, t: Tally, uniques: Map<Expectation, UniqueSeen | null>): CellTest[] {
  switch (x.expect) {
    case 'type': {
      const ok =
        x.type === 'int'
          ? (k: Kind) => k === Kind.Int
          : x.type === 'float'
            ? (k: Kind) => k === Kind.Int || k === Kind.Float
            : x.type === 'bool'
              ? (k: Kind) => k === Kind.Bool
              : x.type === 'datetime'
                ? (k: Kind) => k === Kind.Date
                : () => true;
      return [(k, _n, cells, i, line) => k !== Kind.Null && !ok(k) && t.hitCell(line, cells, i)];
    }
    case 'max_null_share':
      return [(k, _n, cells, i, line) => k === Kind.Null && t.hitCell(line, cells, i)];
    case 'range': {
      const { lo, hi } = rangeBounds(x);
      return [(k, n, cells, i, line) => (k === Kind.Int || k === Kind.Float || k === Kind.Date) && (n < lo || n > hi) && t.hitCell(line, cells, i)];
    }
    case 'categories': {
      const allowed = new Set(x.values);
      return [
        (k, _n, cells, i, line) => {
          if (k === Kind.Null) return;
          const text = cells.text(i);
          if (!allowed.has(text)) t.hit(line, text);
        },
      ];
    }
    case 'length': {
      const lo = x.min ?? 0;
      const hi = x.max ?? Infinity;
      return [
        (k, _n, cells, i, line) => {
          if (k === Kind.Null) return;
          const text = cells.text(i);
          if (text.length < lo || text.length > hi) t.hit(line, text);
        },
      ];
    }
    case 'unique': {
      // Numbers held as numbers (cheaper to hash than their text); text as written.
      let seen: UniqueSeen | null = new UniqueSeen();
      uniques.set(x, seen);
      return [
        (k, n, cells, i, line) => {
          if (k === Kind.Null || seen === null) return;
          if (k === Kind.String) {
            const text = cells.text(i);
            if (seen.strs.has(text)) t.hit(line, text);
            else if (seen.size < UNIQUE_LIMIT) seen.strs.set(text, line);
            else uniques.set(x, (seen = null));
          } else if (seen.size < UNIQUE_LIMIT) {
            if (!seen.nums.add(n, line)) t.hitCell(line, cells, i);
            else if (k !== Kind.Int || !cells.printsAsWritten(i)) seen.texts.set(line, cells.text(i));
          } else if (seen.nums.has(n)) t.hitCell(line, cells, i);
          else uniques.set(x, (seen = null));
        },
      ];
    }
    default:
      return [];
  }
}

const TYPE_MASK: Record<string, number> = {
  int: 1 << Kind.Int,
  float: (1 << Kind.Int) | (1 << Kind.Float),
  bool: 1 << Kind.Bool,
  datetime: 1 << Kind.Date,
  string: -1,
};

/** A column's expectations checked cell by cell: its type, null and range checks by fields, the others by closures. */
export class ColumnChecks {
  private typeMask = -1;
  private typeTally: Tally | null = null;
  private nullTally: Tally | null = null;
  private lo = -Infinity;
  private hi = Infinity;
  private rangeTally: Tally | null = null;
  private readonly others: CellTest[] = [];

  constructor(xs: Expectation[], tallies: Map<Expectation, Tally>, uniques: Map<Expectation, UniqueSeen | null>) {
    for (const x of xs) {
      const t = tallies.get(x)!;
      if (x.expect === 'type' && !this.typeTally) {
        this.typeMask = TYPE_MASK[x.type] ?? -1;
        this.typeTally = t;
      } else if (x.expect === 'max_null_share' && !this.nullTally) this.nullTally = t;
      else if (x.expect === 'range' && !this.rangeTally) {
        ({ lo: this.lo, hi: this.hi } = rangeBounds(x));
        this.rangeTally = t;
      } else this.others.push(...cellTest(x, t, uniques));
    }
  }

  /** Checks cell i of a row (its text read from `cells` only where a check needs it). */
  run(k: Kind, n: number, cells: CellSource, i: number, line: number): void {
    if (k === Kind.Null) {
      if (this.nullTally !== null) this.nullTally.hitCell(line, cells, i);
    } else {
      if (this.typeTally !== null && (this.typeMask & (1 << k)) === 0) this.typeTally.hitCell(line, cells, i);
      if (this.rangeTally !== null && (k === Kind.Int || k === Kind.Float || k === Kind.Date) && (n < this.lo || n > this.hi))
        this.rangeTally.hitCell(line, cells, i);
    }
    const others = this.others;
    for (let j = 0; j < others.length; j++) others[j](k, n, cells, i, line);
  }
}
