import { invalid } from '../../core/errors.js';
import { SEARCH_LIMITS } from '../../core/search/index.js';

/**
 * The filter grammar MLflow's experiment, registered model and model version searches take:
 * comparisons of an attribute or `tags.<key>` with a quoted string (or a list for IN), joined
 * by AND. e.g. `name LIKE '%cls%' AND tags.team = 'vision'`, `run_id IN ('a', 'b')`.
 */
export interface Clause {
  field: string;
  op: '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN';
  values: string[];
}

const CLAUSE = /^\s*(tags\.(?:`[^`]+`|"[^"]+"|[\w.-]+)|[a-z_]+)\s*(=|!=|<>|LIKE|ILIKE|IN)\s*(\([^)]*\)|'(?:[^']|'')*'|"(?:[^"]|"")*")\s*/i;

function unquote(s: string): string {
  const q = s[0];
  return s.slice(1, -1).replaceAll(q + q, q);
}

/** Parses a filter; `fields` lists the attributes it may name (tags.* is always allowed when tags is true). */
export function parseSimpleFilter(text: string | undefined, fields: string[], opts: { tags: boolean }): Clause[] {
  if (!text || !text.trim()) return [];
  // The run search's bounds: every clause is tested against every item, in the server's one thread.
  const L = SEARCH_LIMITS;
  if (text.length > L.filterLength) throw invalid(`Invalid filter: ${text.length} characters, over the limit of ${L.filterLength}`);
  const shown = JSON.stringify(text.length > 200 ? `${text.slice(0, 197)}...` : text);
  const out: Clause[] = [];
  let rest = text;
  for (;;) {
    const m = CLAUSE.exec(rest);
    if (!m) throw invalid(`Invalid filter ${shown}: expected e.g. name = 'x' or name LIKE '%x%'${opts.tags ? " or tags.key = 'v'" : ''}, joined by AND`);
    let field = m[1];
    if (/^tags\./i.test(field)) {
      if (!opts.tags) throw invalid(`Invalid filter ${shown}: tags cannot be searched here`);
      const key = field.slice(5);
      field = `tags.${/^[`"]/.test(key) ? key.slice(1, -1) : key}`;
    } else if (!fields.includes(field.toLowerCase())) {
      throw invalid(`Invalid filter ${shown}: unknown attribute ${JSON.stringify(field)}; use one of ${fields.join(', ')}`);
    } else field = field.toLowerCase();
    const op = m[2].toUpperCase() === '<>' ? '!=' : (m[2].toUpperCase() as Clause['op']);
    const raw = m[3];
    let values: string[];
    if (raw.startsWith('(')) {
      if (op !== 'IN') throw invalid(`Invalid filter ${shown}: a list needs IN`);
      values = [...raw.slice(1, -1).matchAll(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g)].map((x) => unquote(x[0]));
    } else {
      if (op === 'IN') throw invalid(`Invalid filter ${shown}: IN needs a list such as ('a', 'b')`);
      values = [unquote(raw)];
      if ((op === 'LIKE' || op === 'ILIKE') && [...values[0]].length > L.likePattern)
        throw invalid(`Invalid filter: ${op} patterns are at most ${L.likePattern} characters (the limit); compare a whole value with =`);
    }
    out.push({ field, op, values });
    rest = rest.slice(m[0].length);
    if (!rest.trim()) {
      if (out.length > L.conditions) throw invalid(`Invalid filter: ${out.length} conditions, over the limit of ${L.conditions}`);
      return out;
    }
    const and = /^AND\s+/i.exec(rest);
    if (!and) throw invalid(`Invalid filter ${shown}: clauses are joined by AND`);
    rest = rest.slice(and[0].length);
  }
}

const sameChar = (a: string, b: string) => a === b;
const sameLetter = (a: string, b: string) => a === b || a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();

/**
 * SQL LIKE: `%` any run of characters, `_` one character (a code point), everything else itself.
 * Not a regular expression: `%` as `.*` made V8 backtrack through every way of splitting the
 * value, for hours with a dozen `%`. This retries only from the last `%`, so the cost is at most
 * value length × pattern length, the same as SQLite's and PostgreSQL's own LIKE.
 */
export function likeMatches(value: string, pattern: string, ignoreCase: boolean): boolean {
  const v = [...value];
  const p = [...pattern];
  const same = ignoreCase ? sameLetter : sameChar;
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (i < v.length) {
    if (j < p.length && p[j] === '%') {
      star = j++;
      resume = i;
    } else if (j < p.length && (p[j] === '_' || same(p[j], v[i]))) {
      i++;
      j++;
    } else if (star >= 0) {
      // The last % takes one more character; what came before it stays matched.
      j = star + 1;
      i = ++resume;
    } else return false;
  }
  while (j < p.length && p[j] === '%') j++;
  return j === p.length;
}

/** True when the item matches every clause; `get` reads an attribute or `tags.<key>`. */
export function matchesFilter(clauses: Clause[], get: (field: string) => string | undefined): boolean {
  return clauses.every((c) => {
    const v = get(c.field);
    switch (c.op) {
      case '=':
        return v === c.values[0];
      case '!=':
        return v !== undefined && v !== c.values[0];
      case 'LIKE':
        return v !== undefined && likeMatches(v, c.values[0], false);
      case 'ILIKE':
        return v !== undefined && likeMatches(v, c.values[0], true);
      case 'IN':
        return v !== undefined && c.values.includes(v);
    }
  });
}

/** Offset page tokens for searches answered from a full list. */
export function pageOf<T>(items: T[], maxResults: number, token: string | undefined): { page: T[]; next?: string } {
  let offset = 0;
  if (token) {
    const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
      throw invalid(`Invalid page_token ${JSON.stringify(token)}: pass the next_page_token of the previous answer`);
    offset = Number(text);
  }
  const page = items.slice(offset, offset + maxResults);
  const end = offset + page.length;
  return end < items.length ? { page, next: Buffer.from(String(end)).toString('base64url') } : { page };
}
