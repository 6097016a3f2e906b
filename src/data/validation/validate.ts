import { invalid } from '../../core/errors.js';
import { cellText, Kind } from './column-stats.js';
import { parseRowExpr } from './expression.js';
import { compileRowExpr, exprColumns, type Value } from './expression-eval.js';
import { TableProfiler, type ColumnProfile, type DataProfile } from './profile.js';
import { rangeBounds, type DataSchema, type Expectation, type ExpectationName, type Severity } from './schema.js';
import { readTable, tableFormat, type TableVisitor } from './table-reader.js';
import { ColumnChecks, printsAsWritten, Tally, UNIQUE_LIMIT, type Example, type UniqueSeen } from './cell-checks.js';
import type { CellSource, RowView } from './row-view.js';

export { EXAMPLES, show, Tally, UNIQUE_LIMIT, type Example, type UniqueSeen } from './cell-checks.js';

export interface ExpectationResult {
  expect: ExpectationName;
  column?: string;
  severity: Severity;
  status: 'passed' | 'failed' | 'skipped';
  /** The expectation as written (its parameters). */
  expected: Record<string, unknown>;
  /** What was found: a count, a share, a list of names… */
  observed: unknown;
  /** Rows (or values) that broke it, when it is checked row by row. */
  unexpected?: number;
  examples?: Example[];
  message: string;
}

export interface ValidationReport {
  valid: boolean;
  source: string;
  schema: string;
  rows: number;
  statistics: { evaluated: number; passed: number; failed: number; errors: number; warnings: number; skipped: number };
  results: ExpectationResult[];
  /** The validated data's profile (per-column summaries for the reports). */
  columns: ColumnProfile[];
  /** The reference's, when the schema holds it. */
  reference?: ColumnProfile[];
}

/** The cells of a row given as an array (JSON lines, logged traffic, CSV for visitors of strings) as checks read them. */
class ValueCells implements CellSource {
  values: unknown[] = [];
  constructor(private readonly textCells: boolean) {}
  text(i: number): string {
    const v = this.values[i];
    return this.textCells ? (v as string) : v === undefined || v === null ? '' : cellText(v);
  }
  printsAsWritten(i: number): boolean {
    return printsAsWritten(this.text(i));
  }
}

const share = (n: number, d: number) => (d ? Number((n / d).toPrecision(6)) : 0);

/** Checks a table against a schema in one streaming pass, profiling it on the way (for the report's summaries). */
export class Validator implements TableVisitor {
  readonly profiler: TableProfiler;
  private names: string[] = [];
  private index = new Map<string, number>();
  private tests: (ColumnChecks | null)[] = [];
  // Read and replaced by validate-merge.ts (segments of a file merged in order): not private.
  tallies = new Map<Expectation, Tally>();
  private exprs: { x: Expectation; test: () => boolean; columns: string[] }[] = [];
  private readonly valueCells: ValueCells;
  /** The current row's cells: valueCells, or the byte reader's view. */
  private cells: CellSource;
  /** Per unique expectation, each value seen and the line it was first seen on (with its text when that is not how the number prints). */
  uniques = new Map<Expectation, UniqueSeen | null>();

  constructor(
    private readonly schema: DataSchema,
    private readonly textCells: boolean,
  ) {
    this.profiler = new TableProfiler(textCells);
    this.cells = this.valueCells = new ValueCells(textCells);
    for (const x of schema.expectations) {
      this.tallies.set(x, new Tally());
      if (x.expect === 'expression') {
        const e = parseRowExpr(x.expr);
        this.exprs.push({ x, test: compileRowExpr(e, (name) => this.cellReader(name)), columns: exprColumns(e) });
      }
    }
  }

  private cellReader(name: string): () => Value {
    const stats = this.profiler.stats;
    const kinds = this.profiler.kinds;
    // The column's place, looked up once found (places never change; JSON lines only add columns).
    let at = -1;
    return () => {
      const i = at >= 0 ? at : (at = this.index.get(name) ?? -1);
      if (i < 0) return null;
      const kind = kinds[i];
      if (kind === Kind.Null) return null;
      if (kind === Kind.String) return this.cells.text(i);
      return stats[i].num;
    };
  }

  columns(names: string[]): void {
    this.profiler.columns(names);
    for (let i = this.names.length; i < names.length; i++) {
      this.index.set(names[i], i);
      const xs = this.schema.expectations.filter((x) => 'column' in x && x.column === names[i] && x.expect !== 'expression');
      this.tests[i] = xs.length ? new ColumnChecks(xs, this.tallies, this.uniques) : null;
    }
    this.names = names;
    // A CSV header is all the columns there are: a name no expectation can find is a typo, said before reading on.
    if (this.textCells) this.checkExpressionColumns();
  }

  row(values: unknown[], line: number): void {
    this.profiler.row(values, line);
    this.valueCells.values = values;
    this.cells = this.valueCells;
    this.check(line);
  }

  /** A CSV/TSV row read from the bytes: checks read strings only where they need them. */
  rowView(view: RowView, line: number): void {
    this.profiler.rowView(view, line);
    this.cells = view;
    this.check(line);
  }

  private check(line: number): void {
    const kinds = this.profiler.kinds;
    const stats = this.profiler.stats;
    const tests = this.tests;
    const cells = this.cells;
    for (let i = 0; i < tests.length; i++) {
      const checks = tests[i];
      if (checks !== null) checks.run(kinds[i], stats[i].num, cells, i, line);
    }
    for (const e of this.exprs)
      if (!e.test())
        this.tallies.get(e.x)!.hit(
          line,
          e.columns
            .map((c) => {
              const i = this.index.get(c);
              return `${c}=${i === undefined || kinds[i] === Kind.Null ? 'null' : cells.text(i)}`;
            })
            .join(', '),
        );
  }

  /** Columns an expression names that neither the data nor the schema's column list has: a typo, refused. */
  private checkExpressionColumns(): void {
    const listed = new Set(this.schema.expectations.flatMap((x) => (x.expect === 'columns' ? x.columns : [])));
    for (const e of this.exprs)
      for (const c of e.columns)
        if (!this.index.has(c) && !listed.has(c))
          throw invalid(
            `expression ${JSON.stringify(e.x.expect === 'expression' ? e.x.expr : '')} names the column ${JSON.stringify(c)}, which the data does not have (columns: ${this.names.slice(0, 30).join(', ')}${this.names.length > 30 ? ', …' : ''})`,
          );
  }

  /** The report, once every row was read. */
  finish(source: string, schemaName: string): ValidationReport {
    this.checkExpressionColumns();
    const rows = this.profiler.rows;
    const current = this.profiler.profile(source, 'csv');
    const byName = new Map(current.columns.map((c) => [c.name, c]));
    const listed = this.schema.expectations.flatMap((x) => (x.expect === 'columns' ? x.columns : []));
    const named = new Set([...listed, ...this.schema.expectations.flatMap((x) => ('column' in x && x.column ? [x.column] : []))]);
    const results = this.schema.expectations.map((x) => this.result(x, rows, byName, listed.length ? new Set(listed) : named));
    const failed = results.filter((r) => r.status === 'failed');
    const errors = failed.filter((r) => r.severity === 'error').length;
    return {
      valid: errors === 0,
      source,
      schema: schemaName,
      rows,
      statistics: {
        evaluated: results.length,
        passed: results.filter((r) => r.status === 'passed').length,
        failed: failed.length,
        errors,
        warnings: failed.length - errors,
        skipped: results.filter((r) => r.status === 'skipped').length,
      },
      results,
      columns: current.columns,
      ...(this.schema.profile ? { reference: this.schema.profile } : {}),
    };
  }

  private result(x: Expectation, rows: number, byName: Map<string, ColumnProfile>, known: Set<string>): ExpectationResult {
    const { expect, severity, ...params } = x;
    const column = 'column' in x ? x.column : undefined;
    const t = this.tallies.get(x)!;
    const base = { expect, ...(column !== undefined ? { column } : {}), severity, expected: params };
    const out = (ok: boolean, observed: unknown, message: string, tally = false): ExpectationResult => ({
      ...base,
      status: ok ? 'passed' : 'failed',
      observed,
      ...(tally ? { unexpected: t.n, examples: t.examples } : {}),
      message,
    });
    const p = column !== undefined ? byName.get(column) : undefined;
    if (column !== undefined && !p && x.expect !== 'expression')
      return { ...base, status: 'skipped', observed: null, message: `column ${JSON.stringify(column)} is missing (see the columns expectation)` };
    switch (x.expect) {
      case 'columns': {
        const missing = x.columns.filter((c) => !this.index.has(c));
        return out(
          missing.length === 0,
          { missing },
          missing.length ? `missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}` : `all ${x.columns.length} columns present`,
        );
      }
      case 'no_extra_columns': {
        const extra = this.names.filter((c) => !known.has(c));
        return out(
          extra.length === 0,
          { extra },
          extra.length ? `column${extra.length > 1 ? 's' : ''} the schema does not know: ${extra.join(', ')}` : 'no extra columns',
        );
      }
      case 'row_count': {
        const ok = rows >= (x.min ?? 0) && rows <= (x.max ?? Infinity);
        return out(ok, rows, `${rows} rows${ok ? '' : `, expected ${x.min ?? 0} to ${x.max ?? 'any number'}`}`);
      }
      case 'type':
        return out(t.n === 0, p!.type, t.n ? `${t.n} value${t.n > 1 ? 's are' : ' is'} not ${x.type} (read as ${p!.type})` : `${x.type}`, true);
      case 'max_null_share': {
        const s = share(p!.nulls, rows);
        return out(s <= x.max, s, `null share ${s}${s <= x.max ? ' ≤' : ' >'} ${x.max} (${p!.nulls} of ${rows})`, s > x.max);
      }
      case 'range': {
        const { lo, hi, dates } = rangeBounds(x);
        const b = (v: number) => (dates ? new Date(v).toISOString() : Number(v.toPrecision(12)));
        return out(
          t.n === 0,
          { min: p!.min ?? null, max: p!.max ?? null },
          t.n ? `${t.n} value${t.n > 1 ? 's' : ''} outside [${b(lo)}, ${b(hi)}]` : `within [${b(lo)}, ${b(hi)}]`,
          true,
        );
      }
      case 'categories': {
        const allowed = new Set(x.values);
        const unseen = t.n ? [...new Set(t.examples.map((e) => e.value))].filter((v) => !allowed.has(v)) : [];
        return out(
          t.n === 0,
          { unexpected: t.n },
          t.n
            ? `${t.n} value${t.n > 1 ? 's' : ''} not among the ${x.values.length} known categories (e.g. ${unseen.slice(0, 3).join(', ')})`
            : 'all values known',
          true,
        );
      }
      case 'unique': {
        if (this.uniques.get(x) === null)
          return { ...base, status: 'skipped', observed: null, message: `not checked: more than ${UNIQUE_LIMIT} values to hold` };
        return out(t.n === 0, { duplicates: t.n }, t.n ? `${t.n} duplicate value${t.n > 1 ? 's' : ''}` : 'all values distinct', true);
      }
      case 'not_constant': {
        const constant = p!.distinct === 1 && p!.count > 1;
        return out(!constant, p!.distinct, constant ? `every value is ${JSON.stringify(p!.top?.value)}` : 'values vary');
      }
      case 'length':
        return out(
          t.n === 0,
          p!.length ?? null,
          t.n ? `${t.n} value${t.n > 1 ? 's' : ''} with a length outside [${x.min ?? 0}, ${x.max ?? '∞'}]` : 'lengths within bounds',
          true,
        );
      case 'expression': {
        const e = this.exprs.find((y) => y.x === x)!;
        const missing = e.columns.filter((c) => !this.index.has(c));
        if (missing.length)
          return { ...base, status: 'skipped', observed: null, message: `column ${JSON.stringify(missing[0])} is missing (see the columns expectation)` };
        return out(
          t.n === 0,
          { failing_rows: t.n, share: share(t.n, rows) },
          t.n ? `${t.n} row${t.n > 1 ? 's' : ''} fail ${x.expr}` : `every row passes ${x.expr}`,
          true,
        );
      }
    }
  }
}

/** Validates a CSV, TSV or JSON lines file against a schema in one streaming pass. (scan-file.ts splits large files across threads.) */
export async function validateFile(file: string, schema: DataSchema, schemaName: string): Promise<ValidationReport> {
  const v = new Validator(schema, tableFormat(file) !== 'jsonl');
  await readTable(file, v);
  return v.finish(file, schemaName);
}

/** Validates rows another source reads (logged traffic): `feed` drives the visitor. */
export async function validateRows(
  source: string,
  schema: DataSchema,
  schemaName: string,
  feed: (v: TableVisitor) => Promise<void> | void,
): Promise<ValidationReport> {
  const v = new Validator(schema, false);
  await feed(v);
  if (v.profiler.rows === 0) throw invalid(`${source} has no rows to validate`);
  return v.finish(source, schemaName);
}

export type { DataProfile };
