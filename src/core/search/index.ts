/** Public API of the run search grammar: parse once, then filter in memory or compile to SQL. */
export type {
  AttributeKey,
  Comparison,
  DatasetField,
  FilterExpr,
  Identifier,
  InComparison,
  NullCheck,
  NumericAttribute,
  NumericComparison,
  NumericOp,
  OrderByTerm,
  OrderIdent,
  StringAttribute,
  StringComparison,
  StringOp,
} from './ast.js';
export { ATTRIBUTE_ALIASES, DATASET_FIELDS, NUMERIC_ATTRIBUTES, STRING_ATTRIBUTES } from './ast.js';
export { parseFilter, parseOrderBy, SEARCH_LIMITS } from './parser.js';
export { compareCodePoints, compareRuns, likeMatch, matchesFilter, parseLikePattern, type LikePart } from './evaluate.js';
