import type { DataType } from './column-stats.js';
import type { ColumnProfile, DataProfile } from './profile.js';

/** The schema file's format version (`mlx_data_schema`); a newer one is refused with a message saying so. */
export const SCHEMA_VERSION = 1;
export const DATA_TYPES: readonly DataType[] = ['int', 'float', 'bool', 'string', 'datetime'];
export type Severity = 'error' | 'warn';

/** One check of a dataset, as written in the schema file (flat, like a Great Expectations suite). */
export type Expectation = { severity: Severity } & (
  | { expect: 'columns'; columns: string[] }
  | { expect: 'no_extra_columns' }
  | { expect: 'row_count'; min?: number; max?: number }
  | { expect: 'type'; column: string; type: DataType }
  | { expect: 'max_null_share'; column: string; max: number }
  | { expect: 'range'; column: string; min?: number | string; max?: number | string; tolerance?: number }
  | { expect: 'categories'; column: string; values: string[] }
  | { expect: 'unique'; column: string }
  | { expect: 'not_constant'; column: string }
  | { expect: 'length'; column: string; min?: number; max?: number }
  | { expect: 'expression'; expr: string; column?: string }
);
export type ExpectationName = Expectation['expect'];

/** For each expectation: its required and optional keys besides `expect` and `severity` (the schema file's grammar). */
export const EXPECTATION_KEYS: Record<ExpectationName, { required: string[]; optional: string[] }> = {
  columns: { required: ['columns'], optional: [] },
  no_extra_columns: { required: [], optional: [] },
  row_count: { required: [], optional: ['min', 'max'] },
  type: { required: ['column', 'type'], optional: [] },
  max_null_share: { required: ['column', 'max'], optional: [] },
  range: { required: ['column'], optional: ['min', 'max', 'tolerance'] },
  categories: { required: ['column', 'values'], optional: [] },
  unique: { required: ['column'], optional: [] },
  not_constant: { required: ['column'], optional: [] },
  length: { required: ['column'], optional: ['min', 'max'] },
  expression: { required: ['expr'], optional: ['column'] },
};

/** A schema file: where it was inferred from, the reference's statistics (for reading and the reports), and the expectations checked. */
export interface DataSchema {
  mlx_data_schema: number;
  reference?: { source: string; rows: number; profiled_at: string };
  description?: string;
  expectations: Expectation[];
  profile?: ColumnProfile[];
}

export interface InferOptions {
  /** Share of the reference's range allowed beyond each end (default 0.1: 10%). */
  tolerance?: number;
}

// Rounded up to `digits` decimals, with float noise (0.16000000000000003) not counted as a fraction above.
const up = (v: number, digits = 4) => Math.ceil(v * 10 ** digits - 1e-9) / 10 ** digits;

/**
 * Expectations a reference supports, as TFDV's infer_schema does: every column present with its
 * type; null shares no higher than seen (none where none were); values within the range seen
 * (plus a tolerance); categories seen for low-cardinality text; keys unique; columns that varied
 * not constant; text lengths; extra columns and a row count far from the reference's as warnings.
 */
export function inferSchema(profile: DataProfile, o: InferOptions = {}): DataSchema {
  const tolerance = o.tolerance ?? 0.1;
  const e: Expectation[] = [
    { expect: 'columns', columns: profile.columns.map((c) => c.name), severity: 'error' },
    { expect: 'no_extra_columns', severity: 'warn' },
    { expect: 'row_count', min: Math.max(1, Math.floor(profile.rows / 10)), max: profile.rows * 10, severity: 'warn' },
  ];
  for (const c of profile.columns) {
    if (c.count === 0) continue;
    const column = c.name;
    e.push({ expect: 'type', column, type: c.type, severity: 'error' });
    e.push({ expect: 'max_null_share', column, max: c.null_share === 0 ? 0 : Math.min(1, up(c.null_share * 1.5 + 0.01)), severity: 'error' });
    if ((c.type === 'int' || c.type === 'float' || c.type === 'datetime') && c.min !== undefined && c.min !== null)
      e.push({ expect: 'range', column, min: c.min as number | string, max: c.max as number | string, tolerance, severity: 'error' });
    if (c.type === 'string' && c.categories && c.unique === false)
      e.push({ expect: 'categories', column, values: c.categories.map((x) => x.value).sort(), severity: 'error' });
    if (c.unique === true && c.count >= 2 && (c.type === 'int' || c.type === 'string')) e.push({ expect: 'unique', column, severity: 'error' });
    if (c.distinct !== 1 && c.count >= 2) e.push({ expect: 'not_constant', column, severity: 'warn' });
    if (c.type === 'string' && c.length) e.push({ expect: 'length', column, min: c.length.min, max: c.length.max, severity: 'warn' });
  }
  return {
    mlx_data_schema: SCHEMA_VERSION,
    reference: { source: profile.source, rows: profile.rows, profiled_at: new Date().toISOString() },
    expectations: e,
    profile: profile.columns,
  };
}

/** The allowed interval of a range expectation with its tolerance (numbers, or epoch ms for datetimes). */
export function rangeBounds(x: Extract<Expectation, { expect: 'range' }>): { lo: number; hi: number; dates: boolean } {
  const dates = typeof x.min === 'string' || typeof x.max === 'string';
  const num = (v: number | string | undefined, none: number) => (v === undefined ? none : typeof v === 'string' ? Date.parse(v) : v);
  const min = num(x.min, -Infinity);
  const max = num(x.max, Infinity);
  const t = x.tolerance ?? 0;
  const width = Number.isFinite(max - min) ? max - min || Math.abs(max) || 1 : 0;
  return { lo: min - t * width, hi: max + t * width, dates };
}
