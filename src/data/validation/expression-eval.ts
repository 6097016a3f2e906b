// Evaluating row expressions (parsed by expression.ts) against a row's cells: the columns an
// expression reads, and a compiled predicate per expression.
import { likeMatch } from '../../core/search/index.js';
import type { Operand, RowExpr } from './expression.js';

/** The columns an expression reads, in order of first use. */
export function exprColumns(e: RowExpr): string[] {
  const out = new Set<string>();
  const op = (o: Operand): void => {
    if (o.k === 'col') out.add(o.name);
    else if (o.k === 'arith') [o.a, o.b].forEach(op);
    else if (o.k === 'neg') op(o.a);
  };
  const walk = (x: RowExpr): void => {
    if (x.k === 'or' || x.k === 'and') x.items.forEach(walk);
    else if (x.k === 'not') walk(x.e);
    else if (x.k === 'cmp') [x.a, x.b].forEach(op);
    else if (x.k === 'in') [x.a, ...x.values].forEach(op);
    else if (x.k === 'between') [x.a, x.lo, x.hi].forEach(op);
    else if (x.k === 'null' || x.k === 'like') op(x.a);
  };
  walk(e);
  return [...out];
}

/** A cell as expressions see it: a number (ints, floats, bools as 0/1, datetimes as epoch ms), text, or null. */
export type Value = number | string | null;

/** Compiles an expression against a row reader: `cell(name)` gives the current row's value of a column. */
export function compileRowExpr(e: RowExpr, cell: (name: string) => () => Value): () => boolean {
  const operand = (o: Operand): (() => Value) => {
    switch (o.k) {
      case 'col':
        return cell(o.name);
      case 'num':
        return () => o.v;
      case 'str':
        return () => o.v;
      case 'neg': {
        const a = operand(o.a);
        return () => {
          const v = a();
          return typeof v === 'number' ? -v : null;
        };
      }
      case 'arith': {
        const a = operand(o.a);
        const b = operand(o.b);
        const f =
          o.op === '+'
            ? (x: number, y: number) => x + y
            : o.op === '-'
              ? (x: number, y: number) => x - y
              : o.op === '*'
                ? (x: number, y: number) => x * y
                : (x: number, y: number) => x / y;
        return () => {
          const x = a();
          const y = b();
          return typeof x === 'number' && typeof y === 'number' ? f(x, y) : null;
        };
      }
    }
  };
  const compare = (x: Value, y: Value): number | null => {
    if (x === null || y === null) return null;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
    // A datetime (a number) against a date written as text.
    const other = typeof x === 'number' ? y : x;
    const ms = Date.parse(other as string);
    if (Number.isNaN(ms)) return null;
    return typeof x === 'number' ? x - ms : ms - (y as number);
  };
  const build = (x: RowExpr): (() => boolean) => {
    switch (x.k) {
      case 'or': {
        const fs = x.items.map(build);
        return () => {
          for (let i = 0; i < fs.length; i++) if (fs[i]()) return true;
          return false;
        };
      }
      case 'and': {
        const fs = x.items.map(build);
        return () => {
          for (let i = 0; i < fs.length; i++) if (!fs[i]()) return false;
          return true;
        };
      }
      case 'not': {
        const f = build(x.e);
        return () => !f();
      }
      case 'null': {
        const a = operand(x.a);
        return x.negated ? () => a() !== null : () => a() === null;
      }
      case 'cmp': {
        const a = operand(x.a);
        const b = operand(x.b);
        const test: (d: number) => boolean =
          x.op === '='
            ? (d) => d === 0
            : x.op === '!='
              ? (d) => d !== 0
              : x.op === '<'
                ? (d) => d < 0
                : x.op === '<='
                  ? (d) => d <= 0
                  : x.op === '>'
                    ? (d) => d > 0
                    : (d) => d >= 0;
        return () => {
          const d = compare(a(), b());
          return d !== null && !Number.isNaN(d) && test(d);
        };
      }
      case 'in': {
        const a = operand(x.a);
        const values = x.values.map((v) => (v as { v: number | string }).v);
        return () => {
          const v = a();
          if (v === null) return false;
          const hit = values.some((w) => compare(v, w) === 0);
          return x.negated ? !hit : hit;
        };
      }
      case 'like': {
        const a = operand(x.a);
        return () => {
          const v = a();
          if (v === null) return false;
          const hit = likeMatch(String(v), x.pattern, x.ci);
          return x.negated ? !hit : hit;
        };
      }
      case 'between': {
        const a = operand(x.a);
        const lo = operand(x.lo);
        const hi = operand(x.hi);
        return () => {
          const v = a();
          const l = compare(v, lo());
          const h = compare(v, hi());
          if (l === null || h === null) return false;
          const hit = l >= 0 && h <= 0;
          return x.negated ? !hit : hit;
        };
      }
    }
  };
  return build(e);
}
