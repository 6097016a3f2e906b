import type { Run, RunInfo } from '../entities.js';
import type { AttributeKey, FilterExpr, Identifier, NumericOp, OrderByTerm, OrderIdent, StringOp } from './ast.js';

/** One piece of a LIKE pattern: `%`, `_`, or one literal character given as its accepted spellings. */
export type LikePart = { kind: 'any' } | { kind: 'one' } | { kind: 'chars'; chars: string[] };

/** The same character in other case (single code points only, so SQL and JS agree exactly). */
function caseVariants(ch: string): string[] {
  const out = [ch];
  for (const v of [ch.toLowerCase(), ch.toUpperCase()]) if (!out.includes(v) && [...v].length === 1) out.push(v);
  return out;
}

/**
 * Splits a LIKE pattern: `%` any run, `_` one character, backslash escapes the next character
 * (as PostgreSQL and MySQL do by default). ILIKE folds case per character, which both the
 * evaluator and the SQLite compiler apply identically instead of relying on lower()/LIKE,
 * whose Unicode behaviour depends on how SQLite was built.
 */
export function parseLikePattern(pattern: string, ignoreCase: boolean): LikePart[] {
  const parts: LikePart[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i];
    if (ch === '%') parts.push({ kind: 'any' });
    else if (ch === '_') parts.push({ kind: 'one' });
    else {
      if (ch === '\\' && i + 1 < chars.length) ch = chars[++i];
      parts.push({ kind: 'chars', chars: ignoreCase ? caseVariants(ch) : [ch] });
    }
  }
  return parts;
}

const regexCache = new Map<string, RegExp>();

function likeRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const cacheKey = `${ignoreCase ? 'i' : 'c'}:${pattern}`;
  let re = regexCache.get(cacheKey);
  if (!re) {
    const body = parseLikePattern(pattern, ignoreCase)
      .map((p) => {
        if (p.kind === 'any') return '[\\s\\S]*';
        if (p.kind === 'one') return '[\\s\\S]';
        return `[${p.chars.map((c) => c.replace(/[\\\][^-]/g, '\\$&')).join('')}]`;
      })
      .join('');
    // 'u' so that '_' consumes one code point, as SQLite's GLOB '?' consumes one UTF-8 character.
    re = new RegExp(`^${body}$`, 'u');
    if (regexCache.size > 500) regexCache.clear();
    regexCache.set(cacheKey, re);
  }
  return re;
}

/** SQL LIKE (case-sensitive) or ILIKE match of `value` against `pattern`. */
export function likeMatch(value: string, pattern: string, ignoreCase: boolean): boolean {
  return likeRegExp(pattern, ignoreCase).test(value);
}

/** Orders strings by code point, which is what SQLite's BINARY collation does on UTF-8. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (astral code points) below U+E000..U+FFFF; UTF-8 puts them above.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
}

const INFO_FIELD: Readonly<Record<AttributeKey, keyof RunInfo>> = {
  run_id: 'run_id',
  run_name: 'run_name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  lifecycle_stage: 'lifecycle_stage',
  start_time: 'start_time',
  end_time: 'end_time',
};

function compareNumbers(op: NumericOp, a: number, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

function matchString(op: StringOp, v: string, pattern: string): boolean {
  if (op === '=') return v === pattern;
  if (op === '!=') return v !== pattern;
  return likeMatch(v, pattern, op === 'ILIKE');
}

/** The values a string condition is tested against: none when the key is absent, one per dataset input. */
function stringValues(run: Run, ident: Identifier): string[] {
  switch (ident.type) {
    case 'param':
    case 'tag': {
      const bag = ident.type === 'param' ? run.params : run.tags;
      return Object.hasOwn(bag, ident.key) ? [bag[ident.key]] : [];
    }
    case 'attribute': {
      const v = run.info[INFO_FIELD[ident.key]];
      return typeof v === 'string' ? [v] : [];
    }
    case 'dataset':
      return (run.inputs ?? []).map((d) => d[ident.key]).filter((v): v is string => typeof v === 'string');
    case 'metric':
      return [];
  }
}

/** A number to compare, or null when the run lacks it or it is NaN (which satisfies no comparison). */
function numericValue(run: Run, ident: Identifier): number | null {
  let v: unknown;
  if (ident.type === 'metric') v = Object.hasOwn(run.metrics, ident.key) ? run.metrics[ident.key] : null;
  else if (ident.type === 'attribute') v = run.info[INFO_FIELD[ident.key]];
  return typeof v === 'number' && !Number.isNaN(v) ? v : null;
}

/** Whether a run satisfies a parsed filter; the SQLite compiler gives the same answers. */
export function matchesFilter(expr: FilterExpr, run: Run): boolean {
  switch (expr.kind) {
    case 'and':
      return expr.items.every((e) => matchesFilter(e, run));
    case 'or':
      return expr.items.some((e) => matchesFilter(e, run));
    case 'null': {
      const bag = expr.ident.type === 'metric' ? run.metrics : expr.ident.type === 'param' ? run.params : run.tags;
      return Object.hasOwn(bag, expr.ident.key) === expr.negated;
    }
    case 'numeric': {
      const v = numericValue(run, expr.ident);
      return v !== null && compareNumbers(expr.op, v, expr.value);
    }
    case 'string':
      return stringValues(run, expr.ident).some((v) => matchString(expr.op, v, expr.value));
    case 'in':
      return stringValues(run, expr.ident).some((v) => expr.values.includes(v) !== expr.negated);
  }
}

function sortValue(run: Run, ident: OrderIdent): number | string | null {
  if (ident.type === 'metric') return numericValue(run, ident);
  if (ident.type === 'param' || ident.type === 'tag') return stringValues(run, ident)[0] ?? null;
  const v = run.info[INFO_FIELD[ident.key]];
  return typeof v === 'number' ? (Number.isNaN(v) ? null : v) : typeof v === 'string' ? v : null;
}

const DEFAULT_ORDER: OrderByTerm[] = [{ ident: { type: 'attribute', key: 'start_time' }, ascending: false }];

/** Comparator for Array.sort: the terms (default start_time DESC), missing/NaN values last, then run_id ASC. */
export function compareRuns(terms: OrderByTerm[]): (a: Run, b: Run) => number {
  const effective = terms.length > 0 ? terms : DEFAULT_ORDER;
  return (a, b) => {
    for (const t of effective) {
      const va = sortValue(a, t.ident);
      const vb = sortValue(b, t.ident);
      if (va === null || vb === null) {
        if (va === vb) continue;
        return va === null ? 1 : -1; // missing sorts last in both directions, as MLflow does
      }
      const c = typeof va === 'number' && typeof vb === 'number' ? (va < vb ? -1 : va > vb ? 1 : 0) : compareCodePoints(String(va), String(vb));
      if (c !== 0) return t.ascending ? c : -c;
    }
    return compareCodePoints(a.info.run_id, b.info.run_id);
  };
}
