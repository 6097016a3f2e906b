import { parseRowExpr } from './expression.js';
import { compileRowExpr, exprColumns, type Value } from './expression-eval.js';
import { rangeBounds, type DataSchema, type Expectation, type Severity } from './schema.js';

/** The per-row rules a guard checks (a schema's dataset-level expectations — row_count, unique, null shares above 0… — are not). */
export type RowRule = 'type' | 'null' | 'range' | 'categories' | 'expression';

/** One broken rule in one row. */
export interface RowViolation {
  /** The row's index in the request (0-based). */
  row: number;
  /** The column ("" for an expression that names none). */
  column: string;
  rule: RowRule;
  severity: Severity;
  /** What was wrong, e.g. `250 is outside [16.8, 91.2]`. */
  detail: string;
}

/** What a batch of rows broke: the violations in order (at most `keep`) and counts by column, rule and severity. */
export interface RowCheck {
  violations: RowViolation[];
  counts: Map<string, { column: string; rule: RowRule; severity: Severity; n: number }>;
  /** The first error-severity violation, if any (the request is then refused). */
  firstError: RowViolation | null;
}

type Test = (v: unknown, row: number, out: (detail: string) => void) => void;

interface Rule {
  column: string;
  rule: RowRule;
  severity: Severity;
  test: Test;
}

const shown = (v: unknown) => {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};
const isNull = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null);

/**
 * A schema's per-row expectations compiled once for a stream of requests (`mlx serve --schema`):
 * type, null (a `max_null_share` of 0: no nulls at all), range, categories and expression. A cell is
 * a JSON value (a number, a string, a boolean, null); a column a schema names that the rows lack is
 * not checked here (the model's own input check speaks for it).
 */
export class RowGuard {
  private readonly rules: Rule[] = [];
  private readonly exprs: { x: Extract<Expectation, { expect: 'expression' }>; columns: string[] }[] = [];
  /** Label values the guard can produce, so /metrics has bounded cardinality: one series per rule of the schema. */
  readonly series: { column: string; rule: RowRule; severity: Severity }[] = [];

  constructor(readonly schema: DataSchema) {
    for (const x of schema.expectations) {
      const t = this.compile(x);
      if (t) {
        this.rules.push(t);
        this.series.push({ column: t.column, rule: t.rule, severity: t.severity });
      }
    }
  }

  /** How many per-row rules the schema has. */
  get size(): number {
    return this.rules.length + this.exprs.length;
  }

  private compile(x: Expectation): Rule | null {
    const severity = x.severity;
    switch (x.expect) {
      case 'type': {
        const t = x.type;
        const ok =
          t === 'int'
            ? (v: unknown) => typeof v === 'number' && Number.isInteger(v)
            : t === 'float'
              ? (v: unknown) => typeof v === 'number'
              : t === 'bool'
                ? (v: unknown) => typeof v === 'boolean' || v === 0 || v === 1
                : t === 'datetime'
                  ? (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v))
                  : () => true;
        return {
          column: x.column,
          rule: 'type',
          severity,
          test: (v, _r, out) => !isNull(v) && !ok(v) && out(`${shown(v)} is not ${t === 'int' ? 'an' : 'a'} ${t}`),
        };
      }
      case 'max_null_share':
        if (x.max > 0) return null;
        return { column: x.column, rule: 'null', severity, test: (v, _r, out) => isNull(v) && out('the value is missing (null), and the schema allows none') };
      case 'range': {
        const { lo, hi, dates } = rangeBounds(x);
        const b = (n: number) => (dates ? new Date(n).toISOString() : Number(n.toPrecision(12)));
        return {
          column: x.column,
          rule: 'range',
          severity,
          test: (v, _r, out) => {
            const n = dates && typeof v === 'string' ? Date.parse(v) : num(v);
            if (n !== null && !Number.isNaN(n) && (n < lo || n > hi)) out(`${shown(v)} is outside [${b(lo)}, ${b(hi)}]`);
          },
        };
      }
      case 'categories': {
        const allowed = new Set(x.values);
        const some = x.values.slice(0, 5).join(', ') + (x.values.length > 5 ? ', …' : '');
        return {
          column: x.column,
          rule: 'categories',
          severity,
          test: (v, _r, out) => !isNull(v) && !allowed.has(typeof v === 'string' ? v : String(v)) && out(`${shown(v)} is not a known category (${some})`),
        };
      }
      case 'expression': {
        const e = parseRowExpr(x.expr);
        this.exprs.push({ x, columns: exprColumns(e) });
        this.series.push({ column: x.column ?? '', rule: 'expression', severity });
        return null;
      }
      default:
        return null;
    }
  }

  /**
   * Checks rows of cells under column names; keeps the first `keep` violations in row order (the
   * first error among them decides a refusal) and counts them all.
   */
  check(columns: string[], rows: unknown[][], keep = 20): RowCheck {
    const index = new Map(columns.map((c, i) => [c, i]));
    const violations: RowViolation[] = [];
    const counts: RowCheck['counts'] = new Map();
    let firstError: RowViolation | null = null;
    const bound = this.rules.flatMap((r) => {
      const i = index.get(r.column);
      return i === undefined ? [] : [{ r, i }];
    });
    let current: unknown[] = [];
    const exprs = this.exprs.flatMap(({ x, columns: cols }) => {
      // An expression over a column the rows lack is not checked (as `mlx data validate` skips it).
      if (!cols.every((c) => index.has(c))) return [];
      const test = compileRowExpr(parseRowExpr(x.expr), (name) => {
        const i = index.get(name)!;
        return (): Value => {
          const v = current[i];
          return isNull(v) ? null : typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'boolean' ? Number(v) : String(v);
        };
      });
      return [{ x, test, cols }];
    });
    const add = (row: number, column: string, rule: RowRule, severity: Severity, detail: string) => {
      const key = `${column}\u0000${rule}\u0000${severity}`;
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { column, rule, severity, n: 1 });
      const v = { row, column, rule, severity, detail };
      if (violations.length < keep) violations.push(v);
      if (severity === 'error' && !firstError) firstError = v;
    };
    rows.forEach((r, row) => {
      if (!Array.isArray(r)) return;
      current = r;
      for (const { r: rule, i } of bound) rule.test(r[i], row, (detail) => add(row, rule.column, rule.rule, rule.severity, detail));
      for (const e of exprs)
        if (!e.test())
          add(
            row,
            e.x.column ?? '',
            'expression',
            e.x.severity,
            `fails ${e.x.expr} (${e.cols.map((c) => `${c}=${isNull(r[index.get(c)!]) ? 'null' : shown(r[index.get(c)!])}`).join(', ')})`,
          );
    });
    return { violations, counts, firstError };
  }
}

/** The one-line refusal for a violation: `row 2, column "age": 250 is outside [16.8, 91.2] (rule "range" of the schema s.json)`. */
export function violationText(v: RowViolation, schemaName: string): string {
  const where = v.column ? `row ${v.row}, column ${JSON.stringify(v.column)}` : `row ${v.row}`;
  return `${where}: ${v.detail} (rule "${v.rule}" of the schema ${schemaName})`;
}
