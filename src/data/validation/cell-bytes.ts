import { ColumnStats, Kind, POW10, type Holder } from './column-stats.js';
import type { RowView } from './row-view.js';

// CSV cells classified from their bytes (what ColumnStats.addText does from a string, with the same
// results): integers and plain decimals are read in place, and YYYY-MM-DD dates; any other text is
// made a string once per distinct value while a column repeats its values (categories, booleans, NA
// spellings, dates), looked up by its bytes, and classified once. A date column's cells go by these
// remembered values first (dates repeat): a cell seen before is neither parsed nor looked up in the
// column's counts again.

/** Distinct texts remembered per column, by a hash of their bytes: in one of two neighbouring slots (when both are taken, the first is replaced). */
const SLOTS = 2048;

interface Interned {
  bytes: Uint8Array;
  text: string;
  kind: Kind;
  num: number;
  /** Its count in the column's cats when it was remembered (valid while cats is kept: it is never replaced). */
  held: Holder | undefined;
}

/** A column's remembered texts; off once misses far outnumber hits (the column's texts rarely repeat). */
class TextCache {
  slots: (Interned | undefined)[] = new Array<Interned | undefined>(SLOTS);
  hits = 0;
  misses = 0;
  on = true;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Date.UTC(y, m - 1, d) for a year from 1000, in integer steps (days from the civil date, H. Hinnant's algorithm): a quarter of its cost. */
export function utcMs(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = (yy / 400) | 0;
  const yoe = yy - era * 400;
  const doy = (((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) | 0) + d - 1;
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy;
  return (era * 146097 + doe - 719468) * 86_400_000;
}

export class ByteCells {
  private caches: TextCache[] = [];

  /** Classifies field i of the row, records it in the column's statistics, and returns its kind (its number in `st.num`). */
  add(st: ColumnStats, v: RowView, i: number): Kind {
    const b = v.buf;
    const s = v.offs[2 * i];
    const n = v.offs[2 * i + 1] - s;
    if (n === 0) {
      st.nulls++;
      return Kind.Null;
    }
    const c = b[s];
    const numberLike = isDigit(c) || c === 45 || c === 43 || c === 46;
    if (numberLike && st.type !== Kind.Date) {
      const kind = this.number(st, v, i, s, n);
      if (kind !== -1) return kind;
    }
    const cache = this.caches[i] ?? (this.caches[i] = new TextCache());
    if (!cache.on) {
      const kind = numberLike && st.type === Kind.Date ? this.number(st, v, i, s, n) : -1;
      return kind !== -1 ? kind : this.addText(st, v.text(i));
    }
    let h = 0x811c9dc5;
    for (let j = 0; j < n; j++) h = Math.imul(h ^ b[s + j], 0x01000193);
    let slot = (h ^ (h >>> 16)) & (SLOTS - 1);
    let e = cache.slots[slot];
    let hit = e !== undefined && e.bytes.length === n && same(e.bytes, b, s, n);
    if (!hit && e !== undefined) {
      // Taken by another text: the neighbouring slot holds this one, or is where it goes.
      const other = cache.slots[slot ^ 1];
      hit = other !== undefined && other.bytes.length === n && same(other.bytes, b, s, n);
      if (hit || other === undefined) {
        slot ^= 1;
        e = other;
      }
    }
    if (hit) {
      const x = e!;
      cache.hits++;
      v.remember(i, x.text);
      const held = st.cats !== null ? x.held : undefined;
      if (x.kind === Kind.Null) st.nulls++;
      else if (x.kind === Kind.String) st.recordText(x.text, x.text.length, held);
      else {
        st.num = x.num;
        st.recordNumber(x.kind, x.text.length, held);
      }
      return x.kind;
    }
    if (++cache.misses > 4096 && cache.misses > 4 * cache.hits) cache.on = false;
    const parsed = numberLike && st.type === Kind.Date ? this.number(st, v, i, s, n) : -1;
    const text = v.text(i);
    const kind = parsed !== -1 ? parsed : this.addText(st, text);
    const held = kind === Kind.Null ? undefined : st.cats?.get(kind === Kind.String ? text : st.num);
    cache.slots[slot] = { bytes: Uint8Array.prototype.slice.call(b, s, s + n), text, kind, num: st.num, held };
    return kind;
  }

  /**
   * A cell that starts like a number (a digit, sign or point): read and recorded as an int, a plain
   * decimal or a YYYY-MM-DD date, or through the string path when it is another number (an exponent,
   * long digits, another date form); -1, with nothing recorded, when it is not a number.
   */
  private number(st: ColumnStats, v: RowView, i: number, s: number, n: number): Kind | -1 {
    const b = v.buf;
    const c = b[s];
    // The same scan as ColumnStats.classify (it sets the rules: read there), on bytes: a byte >= 0x80
    // is not a number character, as a character >= U+0080 is not.
    const signed = c === 45 || c === 43;
    let j = signed ? 1 : 0;
    let val = 0;
    let int = j < n;
    let numeric = true;
    let point = -1;
    let plain = true;
    for (; j < n; j++) {
      const d = b[s + j];
      if (d >= 48 && d <= 57) val = val * 10 + (d - 48);
      else {
        int = false;
        if (d === 46 && point < 0) point = j;
        else if (d === 46 || d === 101 || d === 69 || d === 45 || d === 43) plain = false;
        else {
          numeric = false;
          break;
        }
      }
    }
    if (int && n <= 16) {
      st.num = c === 45 ? -val : val;
      st.recordNumber(Kind.Int, n);
      return Kind.Int;
    }
    if (numeric && plain && n <= 16 && point >= 0 && n - (signed ? 2 : 1) > 0) {
      const q = val / POW10[n - point - 1];
      st.num = c === 45 ? -q : q;
      st.recordNumber(Kind.Float, n);
      return Kind.Float;
    }
    // YYYY-MM-DD with a day every month has: Date.parse's value, without the string.
    if (numeric && !plain && n === 10 && b[s + 4] === 45 && b[s + 7] === 45 && isDigit(c)) {
      const y = (c - 48) * 1000 + (b[s + 1] - 48) * 100 + (b[s + 2] - 48) * 10 + (b[s + 3] - 48);
      const m = (b[s + 5] - 48) * 10 + (b[s + 6] - 48);
      const d = (b[s + 8] - 48) * 10 + (b[s + 9] - 48);
      if (isDigit(b[s + 1]) && isDigit(b[s + 2]) && isDigit(b[s + 3]) && isDigit(b[s + 5]) && isDigit(b[s + 6]) && isDigit(b[s + 8]) && isDigit(b[s + 9]))
        if (y >= 1000 && m >= 1 && m <= 12 && d >= 1 && d <= 28) {
          st.num = utcMs(y, m, d);
          st.recordNumber(Kind.Date, n);
          return Kind.Date;
        }
    }
    // Exponents, long digits, other dates: the string path, exact by construction.
    if (numeric) return this.addText(st, v.text(i));
    return -1;
  }

  private addText(st: ColumnStats, text: string): Kind {
    return st.addText(text);
  }
}

function same(a: Uint8Array, b: Buffer, s: number, n: number): boolean {
  for (let j = 0; j < n; j++) if (a[j] !== b[s + j]) return false;
  return true;
}
