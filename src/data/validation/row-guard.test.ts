import { describe, expect, it } from 'vitest';
import { RowGuard, violationText } from './row-guard.js';
import type { DataSchema } from './schema.js';

const schema: DataSchema = {
  mlx_data_schema: 1,
  expectations: [
    { expect: 'columns', columns: ['age', 'city', 'income'], severity: 'error' },
    { expect: 'row_count', min: 100, severity: 'warn' },
    { expect: 'unique', column: 'age', severity: 'error' },
    { expect: 'type', column: 'age', type: 'int', severity: 'error' },
    { expect: 'max_null_share', column: 'age', max: 0, severity: 'error' },
    { expect: 'max_null_share', column: 'income', max: 0.2, severity: 'error' },
    { expect: 'range', column: 'age', min: 18, max: 90, tolerance: 0, severity: 'error' },
    { expect: 'categories', column: 'city', values: ['Lyon', 'Paris'], severity: 'warn' },
    { expect: 'expression', expr: 'income > 0 or income is null', severity: 'error' },
  ],
};

describe('RowGuard', () => {
  const guard = new RowGuard(schema);
  const cols = ['age', 'city', 'income'];

  it('checks only per-row rules: type, null (a share of 0), range, categories, expression', () => {
    expect(guard.size).toBe(5);
    expect(guard.series.map((s) => `${s.column}/${s.rule}/${s.severity}`)).toEqual([
      'age/type/error',
      'age/null/error',
      'age/range/error',
      'city/categories/warn',
      '/expression/error',
    ]);
    // Duplicates and a short batch are dataset-level: not checked per request.
    expect(
      guard.check(cols, [
        [30, 'Paris', 1],
        [30, 'Lyon', null],
      ]).violations,
    ).toEqual([]);
  });

  it('names the first error row, column and rule; counts warnings without refusing', () => {
    const r = guard.check(cols, [
      [30, 'Nice', 5],
      [30.5, 'Paris', 5],
      [null, 'Paris', -1],
      [200, 'Paris', 5],
    ]);
    expect(r.firstError).toMatchObject({ row: 1, column: 'age', rule: 'type' });
    expect(violationText(r.firstError!, 's.json')).toBe('row 1, column "age": 30.5 is not an int (rule "type" of the schema s.json)');
    const counts = Object.fromEntries([...r.counts.values()].map((c) => [`${c.column}/${c.rule}/${c.severity}`, c.n]));
    expect(counts).toEqual({ 'city/categories/warn': 1, 'age/type/error': 1, 'age/null/error': 1, '/expression/error': 1, 'age/range/error': 1 });
    expect(r.violations.find((v) => v.rule === 'expression')!.detail).toBe('fails income > 0 or income is null (income=-1)');
    expect(r.violations.find((v) => v.rule === 'range')!.detail).toBe('200 is outside [18, 90]');
    const warnOnly = guard.check(cols, [[30, 'Nice', 5]]);
    expect(warnOnly.firstError).toBeNull();
    expect(warnOnly.violations).toHaveLength(1);
  });

  it('skips rules about columns the rows lack', () => {
    expect(guard.check(['x'], [[1]]).violations).toEqual([]);
  });
});
