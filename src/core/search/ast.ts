/** Parsed form of a run search filter and order-by clauses, shared by the evaluator and the SQL compiler. */

export type StringAttribute = 'run_id' | 'run_name' | 'status' | 'user_id' | 'artifact_uri' | 'lifecycle_stage';
export type NumericAttribute = 'start_time' | 'end_time';
export type AttributeKey = StringAttribute | NumericAttribute;
export type DatasetField = 'name' | 'digest' | 'context';

export const STRING_ATTRIBUTES: readonly StringAttribute[] = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'];
export const NUMERIC_ATTRIBUTES: readonly NumericAttribute[] = ['start_time', 'end_time'];
/** MLflow spells start_time "created" in some places; both name the same column. */
export const ATTRIBUTE_ALIASES: Readonly<Record<string, AttributeKey>> = { created: 'start_time' };
export const DATASET_FIELDS: readonly DatasetField[] = ['name', 'digest', 'context'];

export type MetricIdent = { type: 'metric'; key: string };
export type ParamIdent = { type: 'param'; key: string };
export type TagIdent = { type: 'tag'; key: string };
export type StringAttributeIdent = { type: 'attribute'; key: StringAttribute };
export type NumericAttributeIdent = { type: 'attribute'; key: NumericAttribute };
export type DatasetIdent = { type: 'dataset'; key: DatasetField };

export type Identifier = MetricIdent | ParamIdent | TagIdent | StringAttributeIdent | NumericAttributeIdent | DatasetIdent;

export type NumericOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type StringOp = '=' | '!=' | 'LIKE' | 'ILIKE';

/** metrics.k OP number, attributes.start_time OP number. */
export interface NumericComparison {
  kind: 'numeric';
  ident: MetricIdent | NumericAttributeIdent;
  op: NumericOp;
  value: number;
}

/** params/tags/string attributes/datasets OP 'string'. */
export interface StringComparison {
  kind: 'string';
  ident: ParamIdent | TagIdent | StringAttributeIdent | DatasetIdent;
  op: StringOp;
  value: string;
}

/** ident [NOT] IN ('a', 'b'). */
export interface InComparison {
  kind: 'in';
  ident: ParamIdent | TagIdent | StringAttributeIdent | DatasetIdent;
  negated: boolean;
  values: string[];
}

/** ident IS [NOT] NULL: whether the run has the key at all (an mlx extension). */
export interface NullCheck {
  kind: 'null';
  ident: MetricIdent | ParamIdent | TagIdent;
  negated: boolean;
}

export type Comparison = NumericComparison | StringComparison | InComparison | NullCheck;

export type FilterExpr = Comparison | { kind: 'and'; items: FilterExpr[] } | { kind: 'or'; items: FilterExpr[] };

/** Identifiers that runs can be ordered by (datasets are not orderable, as in MLflow). */
export type OrderIdent = MetricIdent | ParamIdent | TagIdent | StringAttributeIdent | NumericAttributeIdent;

export interface OrderByTerm {
  ident: OrderIdent;
  ascending: boolean;
}
