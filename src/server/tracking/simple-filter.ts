import { invalid } from '../../core/errors.js';

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
  const out: Clause[] = [];
  let rest = text;
  for (;;) {
    const m = CLAUSE.exec(rest);
    if (!m) throw invalid(`Invalid filter ${JSON.stringify(text)}: expected e.g. name = 'x' or name LIKE '%x%'${opts.tags ? " or tags.key = 'v'" : ''}, joined by AND`);
    let field = m[1];
    if (/^tags\./i.test(field)) {
      if (!opts.tags) throw invalid(`Invalid filter ${JSON.stringify(text)}: tags cannot be searched here`);
      const key = field.slice(5);
      field = `tags.${/^[`"]/.test(key) ? key.slice(1, -1) : key}`;
    } else if (!fields.includes(field.toLowerCase())) {
      throw invalid(`Invalid filter ${JSON.stringify(text)}: unknown attribute ${JSON.stringify(field)}; use one of ${fields.join(', ')}`);
    } else field = field.toLowerCase();
    const op = m[2].toUpperCase() === '<>' ? '!=' : (m[2].toUpperCase() as Clause['op']);
    const raw = m[3];
    let values: string[];
    if (raw.startsWith('(')) {
      if (op !== 'IN') throw invalid(`Invalid filter ${JSON.stringify(text)}: a list needs IN`);
      values = [...raw.slice(1, -1).matchAll(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g)].map((x) => unquote(x[0]));
    } else {
      if (op === 'IN') throw invalid(`Invalid filter ${JSON.stringify(text)}: IN needs a list such as ('a', 'b')`);
      values = [unquote(raw)];
    }
    out.push({ field, op, values });
    rest = rest.slice(m[0].length);
    if (!rest.trim()) return out;
    const and = /^AND\s+/i.exec(rest);
    if (!and) throw invalid(`Invalid filter ${JSON.stringify(text)}: clauses are joined by AND`);
    rest = rest.slice(and[0].length);
  }
}

function likeRegex(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('%', '.*').replaceAll('_', '.');
  return new RegExp(`^${body}$`, flags);
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
        return v !== undefined && likeRegex(c.values[0], 's').test(v);
      case 'ILIKE':
        return v !== undefined && likeRegex(c.values[0], 'is').test(v);
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
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw invalid(`Invalid page_token ${JSON.stringify(token)}: pass the next_page_token of the previous answer`);
    offset = Number(text);
  }
  const page = items.slice(offset, offset + maxResults);
  const end = offset + page.length;
  return end < items.length ? { page, next: Buffer.from(String(end)).toString('base64url') } : { page };
}
