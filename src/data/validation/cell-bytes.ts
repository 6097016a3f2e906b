import { ColumnStats, Kind, POW10 } from './column-stats.js';
import type { RowView } from './row-view.js';

// CSV cells classified from their bytes (what ColumnStats.addText does from a string, with the same
// results): integers and plain decimals are read in place, and YYYY-MM-DD dates; any other text is
// made a string once per distinct value while a column repeats its values (categories, booleans, NA
// spellings, dates), looked up by its bytes, and classified once.

/** Distinct texts remembered per column, by a hash of their bytes (one per slot, the newest wins). */
const SLOTS = 1024;

interface Interned {
  bytes: Uint8Array;
  text: string;
  kind: Kind;
  num: number;
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
    if (isDigit(c) || c === 45 || c === 43 || c === 46) {
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
    }
    const cache = this.caches[i] ?? (this.caches[i] = new TextCache());
    if (!cache.on) return this.addText(st, v.text(i));
    let h = 0x811c9dc5;
    for (let j = 0; j < n; j++) h = Math.imul(h ^ b[s + j], 0x01000193);
    const slot = (h ^ (h >>> 16)) & (SLOTS - 1);
    const e = cache.slots[slot];
    if (e !== undefined && e.bytes.length === n && same(e.bytes, b, s, n)) {
      cache.hits++;
      v.remember(i, e.text);
      if (e.kind === Kind.Null) st.nulls++;
      else if (e.kind === Kind.String) st.recordText(e.text, e.text.length);
      else {
        st.num = e.num;
        st.recordNumber(e.kind, e.text.length);
      }
      return e.kind;
    }
    if (++cache.misses > 4096 && cache.misses > 4 * cache.hits) cache.on = false;
    const text = v.text(i);
    const kind = this.addText(st, text);
    cache.slots[slot] = { bytes: Uint8Array.prototype.slice.call(b, s, s + n), text, kind, num: st.num };
    return kind;
  }

  private addText(st: ColumnStats, text: string): Kind {
    return st.addText(text);
  }
}

function same(a: Uint8Array, b: Buffer, s: number, n: number): boolean {
  for (let j = 0; j < n; j++) if (a[j] !== b[s + j]) return false;
  return true;
}
