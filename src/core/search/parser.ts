import { invalid, type MlxError } from '../errors.js';
import {
  ATTRIBUTE_ALIASES,
  DATASET_FIELDS,
  NUMERIC_ATTRIBUTES,
  STRING_ATTRIBUTES,
  type AttributeKey,
  type Comparison,
  type DatasetField,
  type FilterExpr,
  type Identifier,
  type NumericOp,
  type OrderByTerm,
  type StringOp,
} from './ast.js';
import { SearchSyntaxError, tokenize, type Token } from './tokenizer.js';

type EntityType = Identifier['type'];
// MLflow accepts the plural, the singular and a few historic spellings for each entity type.
const ENTITY_TYPES: Readonly<Record<string, EntityType>> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameter: 'param',
  parameters: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  datasets: 'dataset',
  dataset: 'dataset',
};
const ALL_ATTRIBUTES: readonly string[] = [...STRING_ATTRIBUTES, ...NUMERIC_ATTRIBUTES, ...Object.keys(ATTRIBUTE_ALIASES)];
const NUMERIC_OPS = new Set<string>(['=', '!=', '<', '<=', '>', '>=']);
const STRING_OPS_TEXT = '=, !=, LIKE, ILIKE, IN or NOT IN';

/**
 * Bounds on a search, so that no filter reaches a recursion or database limit (SQLite stops at
 * 1000 levels of expression, 32766 bound values and 64 joined tables; every level of parentheses
 * is three stack frames here). MLflow's own grammar has no parentheses at all and real filters
 * nest two or three deep; the condition cap is Lucene's classic maxClauseCount (1024), rounded.
 */
export const SEARCH_LIMITS = {
  /** Characters in one filter. */
  filterLength: 100_000,
  /** Levels of parentheses. */
  depth: 100,
  /** Comparisons in one filter (each one is a subquery per candidate run). */
  conditions: 1000,
  /** Values in all IN / NOT IN lists of one filter. */
  inValues: 10_000,
  /** Characters in one LIKE / ILIKE pattern: SQLite refuses GLOB patterns over 50,000 bytes, and ILIKE's [xX] classes take up to 10 bytes a character. */
  likePattern: 5000,
  /** order_by keys (each one joins a table). */
  orderTerms: 20,
} as const;

function fail(tok: Token, reason: string): never {
  throw new SearchSyntaxError(tok.pos, tok.text, reason);
}

function shown(near: string): string {
  const flat = near.replace(/\s+/g, ' ');
  return flat.length > 40 ? `${flat.slice(0, 37)}...` : flat;
}

function toFilterError(e: SearchSyntaxError): MlxError {
  const near = e.near === '' ? 'end of input' : `"${shown(e.near)}"`;
  return invalid(`Invalid filter at position ${e.pos} near ${near}: ${e.reason}`, e);
}

/** The attribute a name stands for (created is start_time), or null. */
function attributeIdent(name: string): Identifier | null {
  const key = (ATTRIBUTE_ALIASES[name] ?? name) as AttributeKey;
  if ((NUMERIC_ATTRIBUTES as readonly string[]).includes(key)) return { type: 'attribute', key: key as 'start_time' | 'end_time' };
  if ((STRING_ATTRIBUTES as readonly string[]).includes(key)) return { type: 'attribute', key: key as (typeof STRING_ATTRIBUTES)[number] };
  return null;
}

/** Turns an identifier token into a typed Identifier, or fails naming what is valid. */
function resolveIdent(tok: Token): Identifier {
  // MLflow reads a name without an entity prefix as an attribute (start_time, status, run_name, created).
  if (tok.kind === 'word') {
    const attr = attributeIdent(tok.text);
    if (attr) return attr;
    fail(
      tok,
      `Invalid attribute key '${tok.text}' specified. Valid keys are ${ALL_ATTRIBUTES.join(', ')}; for a param or metric write params.${tok.text} or metrics.${tok.text}`,
    );
  }
  if (tok.kind !== 'ident') fail(tok, 'expected an identifier such as metrics.acc, params.lr, tags.team or attributes.status');
  const type = ENTITY_TYPES[tok.entity.toLowerCase()];
  if (!type) fail(tok, `invalid entity type '${tok.entity}'. Valid: metrics, params, tags, attributes, datasets`);
  if (tok.key === '') fail(tok, `missing key after '${tok.entity}.'`);
  if (type === 'attribute') return attributeIdent(tok.key) ?? fail(tok, `unknown attribute '${tok.key}'. Valid: ${ALL_ATTRIBUTES.join(', ')}`);
  if (type === 'dataset') {
    if (!(DATASET_FIELDS as readonly string[]).includes(tok.key)) fail(tok, `unknown dataset field '${tok.key}'. Valid: ${DATASET_FIELDS.join(', ')}`);
    return { type, key: tok.key as DatasetField };
  }
  return { type, key: tok.key };
}

function isNumericIdent(id: Identifier): boolean {
  return id.type === 'metric' || (id.type === 'attribute' && (NUMERIC_ATTRIBUTES as readonly string[]).includes(id.key));
}

class Parser {
  private i = 0;
  private depth = 0;
  conditions = 0;
  inValues = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token {
    return this.tokens[this.i];
  }
  next(): Token {
    const t = this.tokens[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'keyword' && t.value === word;
  }

  /** expr := and (OR and)* — AND binds tighter than OR, as in SQL. */
  parseOr(): FilterExpr {
    const items = [this.parseAnd()];
    while (this.isKeyword('OR')) {
      this.next();
      items.push(this.parseAnd());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items: items.flatMap((e) => (e.kind === 'or' ? e.items : [e])) };
  }

  parseAnd(): FilterExpr {
    const items = [this.parsePrimary()];
    while (this.isKeyword('AND')) {
      this.next();
      items.push(this.parsePrimary());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items: items.flatMap((e) => (e.kind === 'and' ? e.items : [e])) };
  }

  parsePrimary(): FilterExpr {
    const t = this.peek();
    if (t.kind === '(') {
      if (this.depth === SEARCH_LIMITS.depth)
        fail(t, `parentheses nest more than ${SEARCH_LIMITS.depth} deep (the limit); AND and OR need no parentheses of their own, e.g. a AND b AND c`);
      this.next();
      if (this.peek().kind === ')') fail(this.peek(), 'empty parentheses: expected a condition');
      this.depth++;
      const inner = this.parseOr();
      this.depth--;
      const close = this.peek();
      if (close.kind !== ')') fail(close, `unbalanced parentheses: missing ')' for the '(' at position ${t.pos}`);
      this.next();
      return inner;
    }
    if (t.kind === 'eof') fail(t, 'expected a condition such as metrics.acc > 0.9');
    if (t.kind === ')') fail(t, "unbalanced parentheses: ')' without a matching '('");
    return this.parseComparison();
  }

  parseComparison(): Comparison {
    this.conditions++;
    const identTok = this.next();
    const ident = resolveIdent(identTok);
    const opTok = this.next();
    let op: string;
    if (opTok.kind === 'op') op = opTok.value;
    else if (opTok.kind === 'keyword' && ['LIKE', 'ILIKE', 'IN'].includes(opTok.value)) op = opTok.value;
    else if (opTok.kind === 'keyword' && opTok.value === 'NOT') {
      if (!this.isKeyword('IN')) fail(this.peek(), "expected IN after NOT (only 'NOT IN' is supported)");
      this.next();
      op = 'NOT IN';
    } else if (opTok.kind === 'keyword' && opTok.value === 'IS') {
      const negated = this.isKeyword('NOT');
      if (negated) this.next();
      if (!this.isKeyword('NULL')) fail(this.peek(), `expected NULL after IS${negated ? ' NOT' : ''}`);
      this.next();
      if (ident.type !== 'metric' && ident.type !== 'param' && ident.type !== 'tag')
        fail(opTok, 'IS NULL and IS NOT NULL work only with metrics, params and tags');
      return { kind: 'null', ident, negated };
    } else fail(opTok, `expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL) after ${identTok.text}`);
    if (op === '==') fail(opTok, "use '=' for equality");
    if (op === '<>') fail(opTok, "use '!=' for inequality");

    if (isNumericIdent(ident)) {
      const what = ident.type === 'metric' ? 'metrics' : `attributes.${ident.key}`;
      if (!NUMERIC_OPS.has(op))
        fail(
          opTok,
          `${what} ${ident.type === 'metric' ? 'are' : 'is'} numeric: use =, !=, <, <=, >, >=${ident.type === 'metric' ? ', IS NULL or IS NOT NULL' : ''}`,
        );
      const v = this.next();
      if (v.kind === 'number')
        return { kind: 'numeric', ident: ident as Extract<Comparison, { kind: 'numeric' }>['ident'], op: op as NumericOp, value: v.value };
      if (v.kind === 'string') {
        const example = v.value.trim() !== '' && Number.isFinite(Number(v.value)) ? v.value.trim() : '0.9';
        fail(v, `${what} compare with numbers, not quoted strings, e.g. ${identTok.text} ${op} ${example}`);
      }
      fail(v, `expected a number after ${identTok.text} ${op}`);
    }

    const sident = ident as Extract<Comparison, { kind: 'string' }>['ident'];
    if (!['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(op)) {
      if (ident.type === 'param')
        fail(
          opTok,
          `params are strings in MLflow, so '${op}' does not apply to ${identTok.text}; use ${STRING_OPS_TEXT} (log it as a metric to compare numerically)`,
        );
      const what = ident.type === 'tag' ? 'tags are strings' : `${identTok.text} is a string`;
      fail(opTok, `${what}, so '${op}' does not apply; use ${STRING_OPS_TEXT}`);
    }
    if (op === 'IN' || op === 'NOT IN') return { kind: 'in', ident: sident, negated: op === 'NOT IN', values: this.parseList(identTok, op) };
    const v = this.next();
    if (v.kind === 'string') {
      if ((op === 'LIKE' || op === 'ILIKE') && [...v.value].length > SEARCH_LIMITS.likePattern)
        fail(v, `${op} patterns are at most ${SEARCH_LIMITS.likePattern} characters (the limit); compare a whole value with =`);
      return { kind: 'string', ident: sident, op: op as StringOp, value: v.value };
    }
    if (v.kind === 'number' || v.kind === 'word' || v.kind === 'ident') fail(v, `string values must be quoted, e.g. ${identTok.text} ${op} '${v.text}'`);
    fail(v, `expected a quoted string after ${identTok.text} ${op}`);
  }

  parseList(identTok: Token, op: string): string[] {
    const open = this.next();
    if (open.kind !== '(') fail(open, `expected '(' after ${op}, e.g. ${identTok.text} ${op} ('a', 'b')`);
    if (this.peek().kind === ')') fail(this.peek(), `the ${op} list must not be empty`);
    const values: string[] = [];
    for (;;) {
      const v = this.next();
      if (v.kind !== 'string') {
        if (v.kind === 'eof') fail(v, `unbalanced parentheses: missing ')' for the '(' at position ${open.pos}`);
        fail(v, `${op} lists hold quoted strings, e.g. ${identTok.text} ${op} ('a', 'b')`);
      }
      values.push(v.value);
      this.inValues++;
      const sep = this.next();
      if (sep.kind === ')') return values;
      if (sep.kind !== ',') {
        if (sep.kind === 'eof') fail(sep, `unbalanced parentheses: missing ')' for the '(' at position ${open.pos}`);
        fail(sep, `expected ',' or ')' in the ${op} list`);
      }
    }
  }
}

/** Parses a run search filter (MLflow grammar plus OR and parentheses); null when the text is empty. */
export function parseFilter(text: string): FilterExpr | null {
  const L = SEARCH_LIMITS;
  if (text.length > L.filterLength)
    throw invalid(
      `Invalid filter: ${text.length} characters, over the limit of ${L.filterLength}; search with fewer conditions (one IN list rather than many ORs)`,
    );
  if (text.trim() === '') return null;
  try {
    const parser = new Parser(tokenize(text));
    const expr = parser.parseOr();
    const rest = parser.peek();
    if (rest.kind === ')') fail(rest, "unbalanced parentheses: ')' without a matching '('");
    if (rest.kind !== 'eof') fail(rest, 'unexpected text after a complete condition; join conditions with AND or OR');
    if (parser.conditions > L.conditions)
      throw invalid(
        `Invalid filter: ${parser.conditions} conditions, over the limit of ${L.conditions}; to match many values of one key, use one IN list, e.g. params.x IN ('a', 'b')`,
      );
    if (parser.inValues > L.inValues)
      throw invalid(`Invalid filter: its IN lists hold ${parser.inValues} values in all, over the limit of ${L.inValues}; search in batches of values`);
    return expr;
  } catch (e) {
    throw e instanceof SearchSyntaxError ? toFilterError(e) : e;
  }
}

/** Parses order_by clauses like "metrics.acc DESC"; a clause may also hold several, separated by commas. */
export function parseOrderBy(clauses: string[]): OrderByTerm[] {
  const terms: OrderByTerm[] = [];
  for (const clause of clauses) {
    if (clause.trim() === '') continue;
    try {
      const tokens = tokenize(clause);
      let i = 0;
      for (;;) {
        const identTok = tokens[i++];
        const ident = resolveIdent(identTok);
        if (ident.type === 'dataset') fail(identTok, 'datasets cannot be used to order runs');
        let ascending = true;
        let t = tokens[i];
        const dirTok = t.kind === 'keyword' && (t.value === 'ASC' || t.value === 'DESC') ? t : null;
        if (dirTok) {
          ascending = dirTok.value === 'ASC';
          t = tokens[++i];
        }
        terms.push({ ident, ascending });
        if (t.kind === 'eof') break;
        if (t.kind !== ',') fail(t, dirTok ? `unexpected text after ${dirTok.value}` : `expected ASC or DESC after ${identTok.text}`);
        i++;
      }
    } catch (e) {
      if (!(e instanceof SearchSyntaxError)) throw e;
      const near = e.near === '' ? 'end of clause' : `"${shown(e.near)}"`;
      throw invalid(`Invalid order_by clause "${shown(clause)}" at position ${e.pos} near ${near}: ${e.reason}`, e);
    }
  }
  if (terms.length > SEARCH_LIMITS.orderTerms)
    throw invalid(`Invalid order_by: ${terms.length} terms, over the limit of ${SEARCH_LIMITS.orderTerms}; order by fewer keys`);
  return terms;
}
