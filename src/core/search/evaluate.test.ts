import { describe, it, expect } from 'vitest';
import type { DatasetInput, Run } from '../entities.js';
import { compareCodePoints, compareRuns, likeMatch, matchesFilter } from './evaluate.js';
import { parseFilter, parseOrderBy } from './parser.js';

function run(id: string, over: Partial<Omit<Run, 'info'>> & { info?: Partial<Run['info']> } = {}): Run {
  return {
    info: {
      run_id: id,
      run_name: `name-${id}`,
      experiment_id: '1',
      user_id: 'alice',
      status: 'FINISHED',
      start_time: 1000,
      end_time: 2000,
      artifact_uri: `file:///a/${id}`,
      lifecycle_stage: 'active',
      ...over.info,
    },
    params: over.params ?? {},
    metrics: over.metrics ?? {},
    tags: over.tags ?? {},
    inputs: over.inputs ?? [],
  };
}

const ds = (name: string, digest: string, context: string | null): DatasetInput => ({
  name,
  digest,
  context,
  source_type: 'local',
  source: '/d',
  schema: null,
  profile: null,
});

const a = run('a', {
  params: { opt: 'adam', lr: '0.01' },
  metrics: { acc: 0.95, loss: NaN },
  tags: { team: 'ML', 'mlflow.runName': 'alpha' },
  inputs: [ds('train', 'd1', 'training'), ds('eval', 'd2', null)],
});
const b = run('b', { params: { opt: 'sgd' }, metrics: { acc: 0.5 }, tags: { team: 'ml' }, info: { status: 'FAILED', end_time: null, start_time: 3000 } });
const c = run('c', { metrics: { acc: -Infinity }, info: { run_name: 'ünïcode', user_id: 'bob' } });

function ids(filter: string): string[] {
  const expr = parseFilter(filter);
  return [a, b, c].filter((r) => expr === null || matchesFilter(expr, r)).map((r) => r.info.run_id);
}

describe('matchesFilter', () => {
  it('compares metrics numerically and never matches NaN or missing keys', () => {
    expect(ids('metrics.acc > 0.9')).toEqual(['a']);
    expect(ids('metrics.acc < 0.9')).toEqual(['b', 'c']);
    expect(ids('metrics.loss != 1')).toEqual([]);
    expect(ids('metrics.loss = 0')).toEqual([]);
    expect(ids('metrics.missing != 1')).toEqual([]);
  });

  it('treats != and NOT IN as false when the key is absent (EXISTS semantics)', () => {
    expect(ids("params.opt != 'adam'")).toEqual(['b']);
    expect(ids("params.opt NOT IN ('adam')")).toEqual(['b']);
    expect(ids("params.opt IN ('adam', 'sgd')")).toEqual(['a', 'b']);
  });

  it('tests presence with IS NULL / IS NOT NULL, counting NaN as present', () => {
    expect(ids('metrics.loss IS NOT NULL')).toEqual(['a']);
    expect(ids('metrics.loss IS NULL')).toEqual(['b', 'c']);
    expect(ids('params.opt IS NULL')).toEqual(['c']);
    expect(ids('tags.team IS NOT NULL')).toEqual(['a', 'b']);
  });

  it('compares strings case-sensitively except ILIKE', () => {
    expect(ids("tags.team = 'ml'")).toEqual(['b']);
    expect(ids("tags.team LIKE 'm%'")).toEqual(['b']);
    expect(ids("tags.team ILIKE 'm%'")).toEqual(['a', 'b']);
    expect(ids("tags.mlflow.runName = 'alpha'")).toEqual(['a']);
  });

  it('filters on attributes, with null end_time failing every comparison', () => {
    expect(ids("attributes.status = 'FAILED'")).toEqual(['b']);
    expect(ids("attributes.run_id IN ('a', 'c')")).toEqual(['a', 'c']);
    expect(ids('attributes.end_time > 0')).toEqual(['a', 'c']);
    expect(ids('attributes.end_time != 5')).toEqual(['a', 'c']);
    expect(ids('attributes.created >= 3000')).toEqual(['b']);
    expect(ids("attributes.run_name ILIKE 'ÜNÏ%'")).toEqual(['c']);
    expect(ids("attributes.user_id != 'alice'")).toEqual(['c']);
  });

  it('matches datasets when any input matches, and null contexts never', () => {
    expect(ids("datasets.name = 'eval'")).toEqual(['a']);
    expect(ids("datasets.name != 'eval'")).toEqual(['a']);
    expect(ids("datasets.context = 'training'")).toEqual(['a']);
    expect(ids("datasets.context NOT IN ('training')")).toEqual([]);
    expect(ids("dataset.digest LIKE 'd%'")).toEqual(['a']);
  });

  it('combines AND and OR with parentheses', () => {
    expect(ids("metrics.acc > 0.9 OR params.opt = 'sgd'")).toEqual(['a', 'b']);
    expect(ids("(metrics.acc > 0.9 OR params.opt = 'sgd') AND tags.team = 'ml'")).toEqual(['b']);
    expect(ids("metrics.acc > 0.9 OR params.opt = 'sgd' AND tags.team = 'ML'")).toEqual(['a']);
    expect(ids('')).toEqual(['a', 'b', 'c']);
  });
});

describe('likeMatch', () => {
  it.each([
    ['abc', 'a%', false, true],
    ['abc', 'A%', false, false],
    ['abc', 'A%', true, true],
    ['abc', 'a_c', false, true],
    ['abc', 'a_', false, false],
    ['a.c', 'a.c', false, true],
    ['abc', 'a.c', false, false],
    ['50%', '50\\%', false, true],
    ['500', '50\\%', false, false],
    ['a_b', 'a\\_b', false, true],
    ['axb', 'a\\_b', false, false],
    ['a*b[1]?', 'a*b[1]?', false, true],
    ['a(b)|c+', '%(b)|c+', false, true],
    ['x\\y', 'x\\\\y', false, true],
    ['é😀z', '__z', false, true],
    ['ÉCOLE', 'éc%', true, true],
    ['line1\nline2', 'line1%2', false, true],
    ['', '%', false, true],
  ])('%s LIKE %s (ignoreCase %s) is %s', (value, pattern, ignoreCase, expected) => {
    expect(likeMatch(value, pattern, ignoreCase)).toBe(expected);
  });
});

describe('compareCodePoints', () => {
  it('orders by code point like UTF-8 bytes, not by UTF-16 units', () => {
    expect(compareCodePoints('\uffff', '😀')).toBeLessThan(0);
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('Z', 'a')).toBeLessThan(0);
    expect(compareCodePoints('same', 'same')).toBe(0);
  });
});

describe('compareRuns', () => {
  const runs = [
    run('r1', { metrics: { acc: 0.5 }, params: { p: 'b' }, info: { start_time: 10 } }),
    run('r2', { metrics: { acc: NaN }, params: { p: 'a' }, info: { start_time: 30 } }),
    run('r3', { metrics: { acc: 0.9 }, info: { start_time: 20, end_time: null } }),
    run('r4', { info: { start_time: 30 } }),
    run('r0', { metrics: { acc: 0.5 }, params: { p: 'b' }, info: { start_time: 5 } }),
  ];
  const order = (clauses: string[]) => [...runs].sort(compareRuns(parseOrderBy(clauses))).map((r) => r.info.run_id);

  it('defaults to start_time DESC then run_id ASC', () => {
    expect(order([])).toEqual(['r2', 'r4', 'r3', 'r1', 'r0']);
  });
  it('puts NaN and missing values last in both directions, ties broken by run_id', () => {
    expect(order(['metrics.acc'])).toEqual(['r0', 'r1', 'r3', 'r2', 'r4']);
    expect(order(['metrics.acc DESC'])).toEqual(['r3', 'r0', 'r1', 'r2', 'r4']);
    expect(order(['params.p DESC'])).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(order(['attributes.end_time DESC'])).toEqual(['r0', 'r1', 'r2', 'r4', 'r3']);
  });
  it('applies terms in sequence', () => {
    expect(order(['metrics.acc DESC', 'attributes.start_time DESC'])).toEqual(['r3', 'r1', 'r0', 'r2', 'r4']);
    expect(order(['attributes.run_id DESC'])).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
  });
});
