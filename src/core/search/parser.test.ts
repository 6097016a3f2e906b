import { describe, it, expect } from 'vitest';
import { MlxError } from '../errors.js';
import { parseFilter, parseOrderBy, SEARCH_LIMITS } from './parser.js';
import { tokenize } from './tokenizer.js';

function errorOf(fn: () => unknown): MlxError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MlxError);
    expect((e as MlxError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((e as MlxError).message).not.toContain('\n');
    return e as MlxError;
  }
  throw new Error('expected an error');
}

describe('tokenize', () => {
  it('splits operators without spaces and keeps key characters together', () => {
    const t = tokenize('metrics.val/acc>=-1.5e-3');
    expect(t.map((x) => x.kind)).toEqual(['ident', 'op', 'number', 'eof']);
    expect(t[0]).toMatchObject({ entity: 'metrics', key: 'val/acc', pos: 1 });
    expect(t[2]).toMatchObject({ value: -0.0015, pos: 18 });
  });
  it('reads doubled quotes as one quote', () => {
    expect(tokenize("'it''s'")[0]).toMatchObject({ kind: 'string', value: "it's" });
  });
});

describe('parseFilter', () => {
  it('returns null for empty and whitespace-only text', () => {
    expect(parseFilter('')).toBeNull();
    expect(parseFilter('  \n\t')).toBeNull();
  });

  it('parses each entity type and comparator', () => {
    expect(parseFilter('metrics.acc > 0.9')).toEqual({ kind: 'numeric', ident: { type: 'metric', key: 'acc' }, op: '>', value: 0.9 });
    expect(parseFilter("params.opt = 'adam'")).toEqual({ kind: 'string', ident: { type: 'param', key: 'opt' }, op: '=', value: 'adam' });
    expect(parseFilter('tags.team != "ml"')).toEqual({ kind: 'string', ident: { type: 'tag', key: 'team' }, op: '!=', value: 'ml' });
    expect(parseFilter("attributes.status like 'FIN%'")).toMatchObject({ op: 'LIKE', ident: { type: 'attribute', key: 'status' } });
    expect(parseFilter("datasets.digest ILIKE 'ab%'")).toMatchObject({ op: 'ILIKE', ident: { type: 'dataset', key: 'digest' } });
    expect(parseFilter('attributes.end_time <= 10')).toMatchObject({ kind: 'numeric', ident: { key: 'end_time' }, op: '<=' });
  });

  it('reads a name without an entity prefix as an attribute, as MLflow does', () => {
    expect(parseFilter("status = 'FINISHED'")).toMatchObject({ ident: { type: 'attribute', key: 'status' } });
    expect(parseFilter("run_name LIKE 'a%'")).toMatchObject({ op: 'LIKE', ident: { type: 'attribute', key: 'run_name' } });
    expect(parseFilter('start_time > 5')).toMatchObject({ kind: 'numeric', ident: { type: 'attribute', key: 'start_time' } });
    expect(parseFilter('created > 5')).toMatchObject({ kind: 'numeric', ident: { type: 'attribute', key: 'start_time' } });
    expect(parseOrderBy(['start_time DESC', 'created'])).toMatchObject([
      { ident: { type: 'attribute', key: 'start_time' }, ascending: false },
      { ident: { type: 'attribute', key: 'start_time' }, ascending: true },
    ]);
  });

  it('accepts the short entity prefixes and the created alias', () => {
    for (const [text, type] of [
      ['metric.a = 1', 'metric'],
      ["param.a = 'x'", 'param'],
      ["tag.a = 'x'", 'tag'],
      ["attribute.status = 'x'", 'attribute'],
      ["attr.status = 'x'", 'attribute'],
      ["run.status = 'x'", 'attribute'],
      ["dataset.name = 'x'", 'dataset'],
      ['METRICS.a = 1', 'metric'],
    ] as const)
      expect(parseFilter(text)).toMatchObject({ ident: { type } });
    expect(parseFilter('attributes.created > 5')).toMatchObject({ ident: { type: 'attribute', key: 'start_time' } });
  });

  it('reads quoted and unquoted keys with special characters', () => {
    expect(parseFilter('metrics.`my metric` < 1')).toMatchObject({ ident: { key: 'my metric' } });
    expect(parseFilter('params."lr-x" = \'1\'')).toMatchObject({ ident: { key: 'lr-x' } });
    expect(parseFilter("tags.mlflow.runName = 'x'")).toMatchObject({ ident: { key: 'mlflow.runName' } });
    expect(parseFilter('metrics.val/acc-top1 > 0')).toMatchObject({ ident: { key: 'val/acc-top1' } });
    expect(parseFilter('metrics.1st = 0')).toMatchObject({ ident: { key: '1st' } });
  });

  it('reads number literals', () => {
    for (const [lit, v] of [
      ['3', 3],
      ['-2', -2],
      ['0.25', 0.25],
      ['.5', 0.5],
      ['1e3', 1000],
      ['-1.5E-2', -0.015],
      ['+4', 4],
    ] as const)
      expect(parseFilter(`metrics.m = ${lit}`)).toMatchObject({ value: v });
  });

  it('parses IN, NOT IN, IS NULL and IS NOT NULL', () => {
    expect(parseFilter("attributes.run_id IN ('a','b')")).toEqual({
      kind: 'in',
      ident: { type: 'attribute', key: 'run_id' },
      negated: false,
      values: ['a', 'b'],
    });
    expect(parseFilter("params.x not in ('a')")).toMatchObject({ kind: 'in', negated: true, values: ['a'] });
    expect(parseFilter('metrics.loss IS NULL')).toEqual({ kind: 'null', ident: { type: 'metric', key: 'loss' }, negated: false });
    expect(parseFilter('tags.t is not null')).toMatchObject({ kind: 'null', negated: true });
  });

  it('binds AND tighter than OR and honours parentheses', () => {
    const e = parseFilter('metrics.a = 1 OR metrics.b = 2 and metrics.c = 3');
    expect(e).toMatchObject({ kind: 'or', items: [{ ident: { key: 'a' } }, { kind: 'and', items: [{ ident: { key: 'b' } }, { ident: { key: 'c' } }] }] });
    const g = parseFilter('(metrics.a = 1 OR metrics.b = 2) AND metrics.c = 3');
    expect(g).toMatchObject({ kind: 'and', items: [{ kind: 'or' }, { ident: { key: 'c' } }] });
    const flat = parseFilter('metrics.a = 1 and (metrics.b = 2 AND metrics.c = 3) And metrics.d = 4');
    expect(flat).toMatchObject({ kind: 'and' });
    expect((flat as { items: unknown[] }).items).toHaveLength(4);
    expect(parseFilter('((metrics.a = 1))')).toMatchObject({ kind: 'numeric' });
  });

  const errors: [string, RegExp][] = [
    ['params.opt = adam', /^Invalid filter at position 14 near "adam": string values must be quoted, e\.g\. params\.opt = 'adam'$/],
    ['params.lr = 0.01', /position 13 near "0\.01": string values must be quoted, e\.g\. params\.lr = '0\.01'/],
    ['foo.bar = 1', /position 1 near "foo\.bar": invalid entity type 'foo'\. Valid: metrics, params, tags, attributes, datasets/],
    [
      "colour = 'x'",
      /position 1 near "colour": Invalid attribute key 'colour' specified\. Valid keys are run_id, .*; for a param or metric write params\.colour or metrics\.colour/,
    ],
    ["attributes.colour = 'x'", /unknown attribute 'colour'\. Valid: run_id, run_name/],
    ["datasets.size = 'x'", /unknown dataset field 'size'/],
    ['params.lr > 1', /position 11 near ">": params are strings in MLflow/],
    ["tags.x < 'b'", /tags are strings/],
    ["attributes.status >= 'a'", /attributes\.status is a string/],
    ["metrics.acc LIKE '1%'", /metrics are numeric/],
    [
      "attributes.start_time = '5'",
      /position 25 near "'5'": attributes\.start_time compare with numbers, not quoted strings, e\.g\. attributes\.start_time = 5$/,
    ],
    ['metrics.acc > abc', /expected a number after metrics\.acc >/],
    ["params.x = 'abc", /position 12 near "'abc": unterminated string/],
    ['metrics.`abc > 1', /position 9 .*unterminated string/],
    ['(metrics.a > 1', /position 15 near end of input: unbalanced parentheses: missing '\)' for the '\(' at position 1/],
    ['metrics.a > 1)', /position 14 near "\)": unbalanced parentheses/],
    ['metrics.a > 1 metrics.b < 2', /position 15 near "metrics\.b": unexpected text after a complete condition/],
    ['attributes.run_id IN ()', /position 23 near "\)": the IN list must not be empty/],
    ["params.x IN ('a', 1)", /IN lists hold quoted strings/],
    ["params.x IN 'a'", /expected '\(' after IN/],
    ["params.x IN ('a'", /missing '\)'/],
    ["params.x NOT LIKE 'a'", /expected IN after NOT/],
    ['attributes.status IS NULL', /IS NULL and IS NOT NULL work only with metrics, params and tags/],
    ['metrics.a IS 3', /expected NULL after IS/],
    ['metrics.a == 1', /use '='/],
    ['metrics.a <> 1', /use '!='/],
    ['metrics.a ! 1', /did you mean "!="/],
    ['metrics.a 1', /expected a comparison operator/],
    ['metrics.a > 1 AND', /near end of input: expected a condition/],
    ['metrics.a > 1 OR OR metrics.b > 1', /position 18 near "OR"/],
    ['()', /empty parentheses/],
    ['metrics. > 1', /missing key after 'metrics\.'/],
    ['`acc` > 1', /backticks quote keys only/],
  ];
  it.each(errors)('rejects %s', (text, re) => {
    expect(errorOf(() => parseFilter(text)).message).toMatch(re);
  });
});

describe('parseOrderBy', () => {
  it('defaults to ascending and reads directions case-insensitively', () => {
    expect(parseOrderBy(['metrics.acc', 'params.lr desc', 'attributes.start_time ASC'])).toEqual([
      { ident: { type: 'metric', key: 'acc' }, ascending: true },
      { ident: { type: 'param', key: 'lr' }, ascending: false },
      { ident: { type: 'attribute', key: 'start_time' }, ascending: true },
    ]);
  });
  it('accepts quoted keys, aliases and comma-separated clauses, and skips empty ones', () => {
    expect(parseOrderBy(['metrics.`val acc` DESC, tags."a,b"', '', 'attributes.created'])).toEqual([
      { ident: { type: 'metric', key: 'val acc' }, ascending: false },
      { ident: { type: 'tag', key: 'a,b' }, ascending: true },
      { ident: { type: 'attribute', key: 'start_time' }, ascending: true },
    ]);
    expect(parseOrderBy([])).toEqual([]);
  });
  it.each([
    ['metrics.acc SIDEWAYS', /^Invalid order_by clause "metrics\.acc SIDEWAYS" at position 13 near "SIDEWAYS": expected ASC or DESC/],
    ['metrics.acc DESC DESC', /unexpected text after DESC/],
    ['acc DESC', /clause "acc DESC" .*Invalid attribute key 'acc'/],
    ['datasets.name', /datasets cannot be used to order runs/],
    ['attributes.bogus', /unknown attribute 'bogus'/],
    ['metrics.a,', /near end of clause/],
    ["metrics.'x", /unterminated string/],
  ])('rejects %s', (clause, re) => {
    expect(errorOf(() => parseOrderBy([clause])).message).toMatch(re);
  });
});

describe('search limits', () => {
  const ors = (n: number) => Array.from({ length: n }, () => 'metrics.a > 0').join(' OR ');
  it('bounds the depth of parentheses at 100, naming the position of the 101st', () => {
    expect(parseFilter(`${'('.repeat(100)}metrics.a > 0${')'.repeat(100)}`)).toMatchObject({ kind: 'numeric' });
    expect(errorOf(() => parseFilter(`metrics.b > 1 AND ${'('.repeat(101)}metrics.a > 0${')'.repeat(101)}`)).message).toMatch(
      /^Invalid filter at position 119 near "\(": parentheses nest more than 100 deep \(the limit\)/,
    );
    // Far past the limit: refused, not a stack overflow.
    expect(errorOf(() => parseFilter(`${'('.repeat(1_000)}metrics.a > 0${')'.repeat(1_000)}`)).message).toMatch(/more than 100 deep/);
  });

  it('bounds the length, the conditions, the IN values and the order_by terms', () => {
    expect(SEARCH_LIMITS).toEqual({ filterLength: 100_000, depth: 100, conditions: 1000, inValues: 10_000, likePattern: 5000, orderTerms: 20 });
    expect(parseFilter(`params.p ILIKE '${'é'.repeat(5000)}'`)).toMatchObject({ op: 'ILIKE' });
    expect(errorOf(() => parseFilter(`params.p LIKE '${'a'.repeat(5001)}'`)).message).toMatch(
      /^Invalid filter at position 15 near "'a{36}\.\.\.": LIKE patterns are at most 5000 characters \(the limit\); compare a whole value with =$/,
    );
    expect(parseFilter('metrics.a > 0'.padEnd(100_000))).toMatchObject({ kind: 'numeric' });
    expect(errorOf(() => parseFilter('metrics.a > 0'.padEnd(100_001))).message).toBe(
      'Invalid filter: 100001 characters, over the limit of 100000; search with fewer conditions (one IN list rather than many ORs)',
    );
    expect((parseFilter(ors(1000)) as { items: unknown[] }).items).toHaveLength(1000);
    expect(errorOf(() => parseFilter(ors(1001))).message).toMatch(/^Invalid filter: 1001 conditions, over the limit of 1000; .*IN list/);
    const list = (n: number) => `params.p IN (${Array.from({ length: n }, (_, i) => `'${i}'`).join(',')})`;
    expect(parseFilter(list(10_000))).toMatchObject({ kind: 'in' });
    expect(errorOf(() => parseFilter(`${list(5000)} OR ${list(5001)}`)).message).toMatch(/IN lists hold 10001 values in all, over the limit of 10000/);
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `metrics.m${i}`);
    expect(parseOrderBy(terms(20))).toHaveLength(20);
    expect(errorOf(() => parseOrderBy([terms(15).join(', '), ...terms(6)])).message).toBe(
      'Invalid order_by: 21 terms, over the limit of 20; order by fewer keys',
    );
  });
});
