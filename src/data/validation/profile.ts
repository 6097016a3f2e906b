import { invalid } from '../../core/errors.js';
import { ColumnStats, KeyBudget, Kind, type DataType } from './column-stats.js';
import { ByteCells } from './cell-bytes.js';
import type { RowView } from './row-view.js';
import { readTable, type TableFormat, type TableVisitor } from './table-reader.js';

/** The quantiles a profile records (pandas' describe() gives 0.25, 0.5, 0.75). */
export const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

export interface ColumnProfile {
  name: string;
  type: DataType;
  count: number;
  nulls: number;
  null_share: number;
  /** Distinct non-null values, when counted exactly (up to 1,000, or a key's every value); else null. */
  distinct: number | null;
  /** Every non-null value differs (a candidate key); null when not tracked (floats, or over the memory budget). */
  unique: boolean | null;
  min?: number | string | boolean | null;
  max?: number | string | boolean | null;
  mean?: number | null;
  std?: number | null;
  /** Keys "0.25", "0.5"…; exact up to 65,536 values, then a sketch with the stated rank error. */
  quantiles?: Record<string, number | null>;
  quantiles_exact?: boolean;
  true_share?: number;
  length?: { min: number; max: number };
  /** Values and counts, most frequent first, when there are at most `maxCategories` distinct values. */
  categories?: { value: string; count: number }[];
  top?: { value: string; count: number };
}

export interface DataProfile {
  source: string;
  format: TableFormat | 'serving';
  rows: number;
  columns: ColumnProfile[];
}

export interface ProfileOptions {
  /** Most distinct values a column lists as its categories (default 20). */
  maxCategories?: number;
}

const round = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(12)) : v);
const iso = (ms: number) => new Date(ms).toISOString();

/** Gathers column statistics from a table's rows (a TableVisitor), one pass, bounded memory. */
export class TableProfiler implements TableVisitor {
  stats: ColumnStats[] = [];
  rows = 0;
  readonly budget = new KeyBudget();
  /** The kinds of the last row's cells, for checks that follow the profiler (validation). */
  kinds: Kind[] = [];

  constructor(private readonly textCells: boolean) {}

  columns(names: string[]): void {
    for (let i = this.stats.length; i < names.length; i++) this.stats.push(new ColumnStats(names[i], this.budget, this.rows));
  }

  row(values: unknown[], _line: number): void {
    this.rows++;
    const stats = this.stats;
    const kinds = this.kinds;
    if (this.textCells) for (let i = 0; i < stats.length; i++) kinds[i] = stats[i].addText(values[i] as string);
    else for (let i = 0; i < stats.length; i++) kinds[i] = stats[i].addValue(values[i]);
  }

  private cells: ByteCells | null = null;

  /** A CSV/TSV row read from the bytes: numbers classified in place, no string per cell. */
  rowView(view: RowView, _line: number): void {
    this.rows++;
    const stats = this.stats;
    const kinds = this.kinds;
    const cells = (this.cells ??= new ByteCells());
    for (let i = 0; i < stats.length; i++) kinds[i] = cells.add(stats[i], view, i);
  }

  profile(source: string, format: DataProfile['format'], o: ProfileOptions = {}): DataProfile {
    return { source, format, rows: this.rows, columns: this.stats.map((s) => columnProfile(s, this.rows, o.maxCategories ?? 20)) };
  }
}

function columnProfile(s: ColumnStats, rows: number, maxCategories: number): ColumnProfile {
  const p: ColumnProfile = {
    name: s.name,
    type: s.typeName,
    count: s.count,
    nulls: s.nulls,
    null_share: rows ? round(s.nulls / rows) : 0,
    distinct: s.distinct,
    unique: s.count > 0 ? s.unique : null,
  };
  if (s.isNumeric && s.count > 0) {
    p.min = s.min;
    p.max = s.max;
    p.mean = s.mean === null ? null : round(s.mean);
    p.std = s.std === null ? null : round(s.std);
    const q = s.quantiles(QUANTILES);
    p.quantiles = Object.fromEntries(QUANTILES.map((x, i) => [String(x), q.values[i] === null ? null : round(q.values[i]!)]));
    p.quantiles_exact = q.exact;
  } else if (s.type === Kind.Date && s.count > 0) {
    p.min = iso(s.min);
    p.max = iso(s.max);
  } else if (s.type === Kind.Bool && s.count > 0) {
    p.true_share = round(s.trues / s.count);
  }
  if (s.count > 0) p.length = { min: s.minLen, max: s.maxLen };
  if (s.cats && s.cats.size > 0) {
    const text = (k: string | number) =>
      typeof k === 'string' ? k : s.type === Kind.Bool ? (k ? 'True' : 'False') : s.type === Kind.Date ? iso(k) : String(k);
    const sorted = [...s.cats].map(([k, c]) => [text(k), c.n] as const).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    p.top = { value: sorted[0][0], count: sorted[0][1] };
    if (sorted.length <= maxCategories && s.type !== Kind.Float && s.type !== Kind.Date) p.categories = sorted.map(([value, count]) => ({ value, count }));
  }
  return p;
}

/** Profiles a CSV, TSV or JSON lines file in one streaming pass; a file with no rows is an error. (scan-file.ts splits large files across threads.) */
export async function profileFile(file: string, o: ProfileOptions = {}): Promise<DataProfile> {
  let profiler: TableProfiler | null = null;
  const { format } = await readTable(file, {
    columns(names) {
      profiler ??= new TableProfiler(!file.match(/\.(jsonl|ndjson)$/i));
      profiler.columns(names);
    },
    row(values, line) {
      profiler!.row(values, line);
    },
    rowView(view, line) {
      profiler!.rowView(view, line);
    },
  });
  if (!profiler) throw invalid(`${file} has no columns`);
  return (profiler as TableProfiler).profile(file, format, o);
}
