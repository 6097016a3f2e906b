/** Lexer for the run search grammar (MLflow's, plus OR and parentheses). */

export type Keyword = 'AND' | 'OR' | 'NOT' | 'IN' | 'LIKE' | 'ILIKE' | 'IS' | 'NULL' | 'ASC' | 'DESC';
const KEYWORDS = new Set<string>(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL', 'ASC', 'DESC']);

interface Base {
  /** Source text of the token, as shown in error messages. */
  text: string;
  /** 1-based column of the first character. */
  pos: number;
}

export type Token =
  | (Base & { kind: 'ident'; entity: string; key: string })
  | (Base & { kind: 'string'; value: string })
  | (Base & { kind: 'number'; value: number })
  | (Base & { kind: 'keyword'; value: Keyword })
  | (Base & { kind: 'op'; value: string })
  | (Base & { kind: 'word' })
  | (Base & { kind: '(' | ')' | ',' | 'eof' });

/** Raised by the lexer and parser; parseFilter/parseOrderBy turn it into an MlxError with their own prefix. */
export class SearchSyntaxError extends Error {
  constructor(
    readonly pos: number,
    readonly near: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const QUOTES = new Set(["'", '"', '`']);
// Everything that ends an unquoted word; '-', '/', '.' and ':' deliberately stay inside keys.
const STOP = new Set([' ', '\t', '\n', '\r', '(', ')', ',', '=', '!', '<', '>', "'", '"', '`']);
const TWO_CHAR_OPS = new Set(['<=', '>=', '!=', '==', '<>']);

/** Reads a quoted run starting at `start` (the quote); a doubled quote stands for one quote, as in SQL. */
function readQuoted(src: string, start: number): { value: string; end: number } {
  const q = src[start];
  let value = '';
  let i = start + 1;
  while (i < src.length) {
    const ch = src[i];
    if (ch === q) {
      if (src[i + 1] === q) {
        value += q;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += ch;
    i++;
  }
  throw new SearchSyntaxError(start + 1, src.slice(start, start + 20), `unterminated string starting with ${q}`);
}

/** Splits search text into tokens; the last token is always `eof`. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const pos = i + 1;
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: ch, text: ch, pos });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ kind: 'op', value: two, text: two, pos });
      i += 2;
      continue;
    }
    if (ch === '=' || ch === '<' || ch === '>') {
      tokens.push({ kind: 'op', value: ch, text: ch, pos });
      i++;
      continue;
    }
    if (ch === '!') throw new SearchSyntaxError(pos, ch, 'unexpected "!" (did you mean "!="?)');
    if (ch === "'" || ch === '"') {
      const { value, end } = readQuoted(src, i);
      tokens.push({ kind: 'string', value, text: src.slice(i, end), pos });
      i = end;
      continue;
    }
    if (ch === '`') throw new SearchSyntaxError(pos, ch, 'backticks quote keys only, e.g. metrics.`my metric`');
    let end = i;
    while (end < src.length && !STOP.has(src[end]) && !/\s/.test(src[end])) end++;
    const word = src.slice(i, end);
    if (word.endsWith('.') && QUOTES.has(src[end] ?? '')) {
      // entity."quoted key": the quote belongs to the identifier, not to a string value.
      const { value, end: qEnd } = readQuoted(src, end);
      tokens.push({ kind: 'ident', entity: word.slice(0, -1), key: value, text: src.slice(i, qEnd), pos });
      i = qEnd;
      continue;
    }
    i = end;
    const upper = word.toUpperCase();
    if (KEYWORDS.has(upper)) tokens.push({ kind: 'keyword', value: upper as Keyword, text: word, pos });
    else if (NUMBER_RE.test(word)) tokens.push({ kind: 'number', value: Number(word), text: word, pos });
    else if (word.includes('.')) {
      const dot = word.indexOf('.');
      tokens.push({ kind: 'ident', entity: word.slice(0, dot), key: word.slice(dot + 1), text: word, pos });
    } else tokens.push({ kind: 'word', text: word, pos });
  }
  tokens.push({ kind: 'eof', text: '', pos: src.length + 1 });
  return tokens;
}
