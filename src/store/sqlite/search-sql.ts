import { parseLikePattern, type FilterExpr, type OrderByTerm } from '../../core/search/index.js';
import { compileSearchSql, type CompiledSearch, type SqlDialect } from '../sql/search-compiler.js';

export type { CompiledSearch };

/**
 * LIKE pattern → GLOB pattern. SQLite's LIKE ignores ASCII case, so case-sensitive LIKE becomes
 * GLOB; ILIKE becomes GLOB with a [xX] class per letter, which behaves the same on every SQLite build.
 */
export function likeToGlob(pattern: string, ignoreCase: boolean): string {
  return parseLikePattern(pattern, ignoreCase)
    .map((p) => {
      if (p.kind === 'any') return '*';
      if (p.kind === 'one') return '?';
      // Case variants are letters, so only single characters can be GLOB metacharacters.
      if (p.chars.length > 1) return `[${p.chars.join('')}]`;
      return '*?['.includes(p.chars[0]) ? `[${p.chars[0]}]` : p.chars[0];
    })
    .join('');
}

/** SQLite: `?` placeholders, numbers compare as they are, LIKE/ILIKE as GLOB. */
export const SQLITE_DIALECT: SqlDialect = {
  like(column, pattern, ignoreCase, params) {
    params.push(likeToGlob(pattern, ignoreCase));
    return `${column} GLOB ?`;
  },
  number: '?',
};

/** Compiles a parsed filter and order-by terms to SQLite SQL over `runs r`. */
export function compileSearch(expr: FilterExpr | null, order: OrderByTerm[]): CompiledSearch {
  return compileSearchSql(expr, order, SQLITE_DIALECT);
}
