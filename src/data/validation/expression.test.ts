import { describe, expect, it } from 'vitest';
import { parseRowExpr } from './expression.js';
import { compileRowExpr, exprColumns, type Value } from './expression-eval.js';

/** Evaluates an expression on one row given as an object (null for a missing value). */
function check(text: string, row: Record<string, Value>): boolean {
  return compileRowExpr(parseRowExpr(text), (name) => () => row[name] ?? null)();
}

describe('row expressions (--expect)', () => {
  it('compares numbers and text; AND binds tighter than OR; keywords in any case', () => {
    expect(check('age >= 0', { age: 3 })).toBe(true);
    expect(check('age >= 0', { age: -1 })).toBe(false);
    expect(check("color = 'red' or color = 'blue' and age > 5", { color: 'red', age: 1 })).toBe(true);
    expect(check("(color = 'red' or color = 'blue') and age > 5", { color: 'red', age: 1 })).toBe(false);
    expect(check('NOT age < 0', { age: 1 })).toBe(true);
  });

  it('a comparison with a null is false: the issue example needs its "or income is null"', () => {
    expect(check('income > 0', { income: null })).toBe(false);
    expect(check('income > 0 or income is null', { income: null })).toBe(true);
    expect(check('income > 0 or income is null', { income: -5 })).toBe(false);
    expect(check('income is not null', { income: 1 })).toBe(true);
  });

  it('arithmetic, column against column, IN, LIKE, BETWEEN, backtick names, dates against text', () => {
    expect(check('(price * qty) <= 100', { price: 10, qty: 10 })).toBe(true);
    expect(check('price * qty > 100', { price: 10, qty: 10 })).toBe(false);
    expect(check('end - start >= 0', { start: 5, end: 3 })).toBe(false);
    expect(check('end >= start', { start: 5, end: 7 })).toBe(true);
    expect(check("plan in ('free', 'pro')", { plan: 'team' })).toBe(false);
    expect(check("plan not in ('free', 'pro')", { plan: 'team' })).toBe(true);
    expect(check('code in (1, 2, -3)', { code: -3 })).toBe(true);
    expect(check("email like '%@%.%'", { email: 'a@b.c' })).toBe(true);
    expect(check("email ilike 'A@%'", { email: 'a@b.c' })).toBe(true);
    expect(check('x between 1 and 3', { x: 3 })).toBe(true);
    expect(check('x not between 1 and 3', { x: 4 })).toBe(true);
    expect(check('`unit price` > -1', { 'unit price': 0 })).toBe(true);
    expect(check("joined >= '2024-01-01'", { joined: Date.UTC(2024, 5, 1) })).toBe(true);
    expect(check("joined >= '2025-01-01'", { joined: Date.UTC(2024, 5, 1) })).toBe(false);
    expect(exprColumns(parseRowExpr('a + b > c or d is null'))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('text against a number is false, not a crash', () => {
    expect(check('age > 3', { age: 'abc' })).toBe(false);
  });

  for (const [text, message] of [
    ['age >> 3', /position 6 near ">".*expected a column/],
    ['age', /expected a comparison/],
    ['age >= ', /ends early/],
    ["color = 'red", /unterminated string/],
    ['(age > 1', /missing '\)'/],
    ['age > 1)', /'\)' without a matching '\('/],
    ['age > 1 age < 3', /join conditions with AND or OR/],
    ['and > 1', /AND is a keyword; quote a column of that name with backticks/],
    ['', /empty/],
    ['a ~ 1', /unexpected "~"/],
  ] as const)
    it(`refuses ${JSON.stringify(text)} in one line saying where and why`, () => {
      expect(() => parseRowExpr(text)).toThrow(message);
    });

  it('bounds nesting as the filter grammar does', () => {
    expect(() => parseRowExpr(`${'('.repeat(150)}a > 1${')'.repeat(150)}`)).toThrow(/nest more than 100/);
  });
});
