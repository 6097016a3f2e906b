import { invalid } from '../../core/errors.js';
import { SEARCH_LIMITS } from '../../core/search/index.js';

/**
 * Row expressions for `--expect` and the schema's `expression` expectations, in the style of the
 * run filter grammar (`runs list --filter`): comparisons joined by AND / OR (any case), NOT,
 * parentheses, IS [NOT] NULL, [NOT] IN (…), [NOT] LIKE / ILIKE, BETWEEN … AND …, and + - * / on
 * numbers. Names are columns (backticks for names with spaces: `unit price`); strings are quoted.
 * A comparison with a null is false (so `income > 0` fails a row without income: say
 * `income > 0 or income is null` to allow them), as is one between a number and text.
 */
export type Operand =
  | { k: 'col'; name: string }
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'arith'; op: '+' | '-' | '*' | '/'; a: Operand; b: Operand }
  | { k: 'neg'; a: Operand };

export type RowExpr =
  | { k: 'or' | 'and'; items: RowExpr[] }
  | { k: 'not'; e: RowExpr }
  | { k: 'cmp'; op: '=' | '!=' | '<' | '<=' | '>' | '>='; a: Operand; b: Operand }
  | { k: 'null'; a: Operand; negated: boolean }
  | { k: 'in'; a: Operand; values: Operand[]; negated: boolean }
  | { k: 'like'; a: Operand; pattern: string; ci: boolean; negated: boolean }
  | { k: 'between'; a: Operand; lo: Operand; hi: Operand; negated: boolean };

type Tok =
  | { t: 'num'; v: number; pos: number; text: string }
  | { t: 'str'; v: string; pos: number; text: string }
  | { t: 'name' | 'kw' | 'op' | 'eof'; v: string; pos: number; text: string };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'LIKE', 'ILIKE', 'BETWEEN']);
const OPS = ['<=', '>=', '!=', '<>', '==', '=', '<', '>', '+', '-', '*', '/', '(', ')', ','];

class ExprError extends Error {
  constructor(
    readonly pos: number,
    readonly near: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const pos = i + 1;
    if (ch === "'" || ch === '"' || ch === '`') {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new ExprError(pos, src.slice(i, i + 20), `unterminated ${ch === '`' ? 'name' : 'string'} starting with ${ch}`);
        if (src[j] === ch) {
          if (src[j + 1] === ch) {
            v += ch;
            j += 2;
            continue;
          }
          break;
        }
        v += src[j++];
      }
      toks.push(ch === '`' ? { t: 'name', v, pos, text: src.slice(i, j + 1) } : { t: 'str', v, pos, text: src.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i, i + 400));
    if (num) {
      toks.push({ t: 'num', v: Number(num[0]), pos, text: num[0] });
      i += num[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      toks.push({ t: 'op', v: op, pos, text: op });
      i += op.length;
      continue;
    }
    const word = /^[\p{L}\p{N}_.$:]+/u.exec(src.slice(i, i + 1000));
    if (!word) throw new ExprError(pos, ch, `unexpected ${JSON.stringify(ch)}; quote column names with backticks, e.g. \`unit price\``);
    const upper = word[0].toUpperCase();
    toks.push(KEYWORDS.has(upper) ? { t: 'kw', v: upper, pos, text: word[0] } : { t: 'name', v: word[0], pos, text: word[0] });
    i += word[0].length;
  }
  toks.push({ t: 'eof', v: '', pos: src.length + 1, text: '' });
  return toks;
}

class Parser {
  i = 0;
  depth = 0;
  conditions = 0;
  constructor(private readonly toks: Tok[]) {}
  peek(): Tok {
    return this.toks[this.i];
  }
  next(): Tok {
    const t = this.toks[this.i];
    if (t.t !== 'eof') this.i++;
    return t;
  }
  is(t: Tok['t'], v?: string): boolean {
    const k = this.peek();
    return k.t === t && (v === undefined || k.v === v);
  }
  fail(tok: Tok, reason: string): never {
    throw new ExprError(tok.pos, tok.text, reason);
  }
  enter(tok: Tok): void {
    if (++this.depth > SEARCH_LIMITS.depth) this.fail(tok, `parentheses nest more than ${SEARCH_LIMITS.depth} deep (the limit)`);
  }

  or(): RowExpr {
    const items = [this.and()];
    while (this.is('kw', 'OR')) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? items[0] : { k: 'or', items };
  }
  and(): RowExpr {
    const items = [this.not()];
    while (this.is('kw', 'AND')) {
      this.next();
      items.push(this.not());
    }
    return items.length === 1 ? items[0] : { k: 'and', items };
  }
  not(): RowExpr {
    if (this.is('kw', 'NOT')) {
      this.enter(this.next());
      const e = this.not();
      this.depth--;
      return { k: 'not', e };
    }
    if (this.is('op', '(')) {
      // A group of conditions, unless what follows the group is an operator: then it was arithmetic, e.g. (a + b) > 3.
      const save = this.i;
      const open = this.next();
      this.enter(open);
      try {
        const inner = this.or();
        if (!this.is('op', ')')) this.fail(this.peek(), `missing ')' for the '(' at position ${open.pos}`);
        this.next();
        this.depth--;
        const after = this.peek();
        if (!(after.t === 'op' && !['(', ')', ','].includes(after.v)) && !(after.t === 'kw' && ['IS', 'IN', 'LIKE', 'ILIKE', 'BETWEEN'].includes(after.v)))
          return inner;
      } catch (err) {
        if (!(err instanceof ExprError)) throw err;
      }
      this.i = save;
      this.depth--;
    }
    return this.predicate();
  }

  predicate(): RowExpr {
    if (++this.conditions > SEARCH_LIMITS.conditions) this.fail(this.peek(), `more than ${SEARCH_LIMITS.conditions} conditions (the limit)`);
    const start = this.peek();
    if (start.t === 'eof') this.fail(start, 'expected a condition such as age >= 0');
    const a = this.sum();
    const t = this.next();
    if (t.t === 'op' && ['=', '==', '!=', '<>', '<', '<=', '>', '>='].includes(t.v)) {
      const op = (t.v === '==' ? '=' : t.v === '<>' ? '!=' : t.v) as Extract<RowExpr, { k: 'cmp' }>['op'];
      return { k: 'cmp', op, a, b: this.sum() };
    }
    if (t.t === 'kw' && t.v === 'IS') {
      const negated = this.is('kw', 'NOT') && !!this.next();
      if (!this.is('kw', 'NULL')) this.fail(this.peek(), `expected NULL after IS${negated ? ' NOT' : ''}`);
      this.next();
      return { k: 'null', a, negated };
    }
    let negated = false;
    let kw = t;
    if (t.t === 'kw' && t.v === 'NOT') {
      negated = true;
      kw = this.next();
    }
    if (kw.t === 'kw' && kw.v === 'IN') {
      if (!this.is('op', '(')) this.fail(this.peek(), `expected '(' after IN, e.g. color IN ('red', 'blue')`);
      this.next();
      const values: Operand[] = [];
      for (;;) {
        const v = this.next();
        if (v.t === 'num') values.push({ k: 'num', v: v.v });
        else if (v.t === 'str') values.push({ k: 'str', v: v.v });
        else if (v.t === 'op' && v.v === '-' && this.is('num')) values.push({ k: 'num', v: -(this.next() as { v: number }).v });
        else this.fail(v, 'IN lists hold numbers and quoted strings');
        if (values.length > SEARCH_LIMITS.inValues) this.fail(v, `IN lists hold at most ${SEARCH_LIMITS.inValues} values`);
        const sep = this.next();
        if (sep.t === 'op' && sep.v === ')') break;
        if (!(sep.t === 'op' && sep.v === ',')) this.fail(sep, "expected ',' or ')' in the IN list");
      }
      return { k: 'in', a, values, negated };
    }
    if (kw.t === 'kw' && (kw.v === 'LIKE' || kw.v === 'ILIKE')) {
      const p = this.next();
      if (p.t !== 'str') this.fail(p, `expected a quoted pattern after ${kw.v}, e.g. email LIKE '%@%'`);
      if ([...p.v].length > SEARCH_LIMITS.likePattern) this.fail(p, `${kw.v} patterns are at most ${SEARCH_LIMITS.likePattern} characters`);
      return { k: 'like', a, pattern: p.v, ci: kw.v === 'ILIKE', negated };
    }
    if (kw.t === 'kw' && kw.v === 'BETWEEN') {
      const lo = this.sum();
      if (!this.is('kw', 'AND')) this.fail(this.peek(), 'expected AND in BETWEEN lo AND hi');
      this.next();
      return { k: 'between', a, lo, hi: this.sum(), negated };
    }
    if (negated) this.fail(kw, 'expected IN, LIKE, ILIKE or BETWEEN after NOT');
    this.fail(
      t,
      `expected a comparison (=, !=, <, <=, >, >=, IS NULL, IN, LIKE, BETWEEN) after ${start.text}${t.t === 'eof' ? '' : ` ${JSON.stringify(t.text)}`}`,
    );
  }

  sum(): Operand {
    let a = this.term();
    while (this.is('op', '+') || this.is('op', '-')) a = { k: 'arith', op: this.next().v as '+' | '-', a, b: this.term() };
    return a;
  }
  term(): Operand {
    let a = this.unary();
    while (this.is('op', '*') || this.is('op', '/')) a = { k: 'arith', op: this.next().v as '*' | '/', a, b: this.unary() };
    return a;
  }
  unary(): Operand {
    if (this.is('op', '-')) {
      const t = this.next();
      this.enter(t);
      const a = this.unary();
      this.depth--;
      return a.k === 'num' ? { k: 'num', v: -a.v } : { k: 'neg', a };
    }
    const t = this.next();
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 'name') return { k: 'col', name: t.v };
    if (t.t === 'op' && t.v === '(') {
      this.enter(t);
      const inner = this.sum();
      if (!this.is('op', ')')) this.fail(this.peek(), `missing ')' for the '(' at position ${t.pos}`);
      this.next();
      this.depth--;
      return inner;
    }
    if (t.t === 'kw') this.fail(t, `${t.v} is a keyword; quote a column of that name with backticks: \`${t.text}\``);
    this.fail(t, t.t === 'eof' ? 'the expression ends early: expected a column, a number or a string' : 'expected a column, a number or a string');
  }
}

/** Parses an expression, or throws one line: `Invalid expression at position P near "x": reason`. */
export function parseRowExpr(text: string): RowExpr {
  if (text.length > SEARCH_LIMITS.filterLength) throw invalid(`expression of ${text.length} characters is over the limit of ${SEARCH_LIMITS.filterLength}`);
  if (text.trim() === '') throw invalid('the expression is empty; give a condition such as "age >= 0"');
  try {
    const p = new Parser(tokenize(text));
    const e = p.or();
    const rest = p.peek();
    if (rest.t !== 'eof')
      p.fail(
        rest,
        rest.t === 'op' && rest.v === ')' ? "')' without a matching '('" : 'unexpected text after a complete condition; join conditions with AND or OR',
      );
    return e;
  } catch (err) {
    if (!(err instanceof ExprError)) throw err;
    const near = err.near === '' ? 'the end' : JSON.stringify(err.near.length > 40 ? `${err.near.slice(0, 37)}...` : err.near);
    throw invalid(`invalid expression ${JSON.stringify(text)} at position ${err.pos} near ${near}: ${err.reason}`, err);
  }
}
