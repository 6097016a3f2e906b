// `mlx data profile` / `mlx data validate --threads N` as a user runs them: spawned mlx on a file cut in
// segments read by worker threads. MLX_DATA_SEGMENT_BYTES=65536 cuts a 1.5 MB file in ~25 places, so the
// threads really share it; 1 and 2 threads must print the same bytes, violations included, and a bad
// --threads value is a usage error (exit 2) naming the flag.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, tempProject } from './helpers/cli.js';

const T = 60_000;
const ENV = { env: { MLX_DATA_SEGMENT_BYTES: '65536' } };
let dir: string;
let nulls = 0;
const failing: number[] = [];

beforeAll(() => {
  dir = tempProject('mlx-threads-');
  const rows = ['id,name,score,when,flag,memo'];
  for (let i = 0; i < 30_000; i++) {
    // In every segment: nulls (empty, NA), quoted names with commas and doubled quotes, dates, a text
    // score (a type violation), a score out of range, a duplicate id from an earlier segment.
    const id = i % 2000 === 1999 ? i - 1500 : i;
    const name = i % 4 === 0 ? `"Lee, ${i % 9}"` : i % 7 === 0 ? '"the ""best"""' : `n${i % 50}`;
    const score = i % 1500 === 700 ? 'n/a?' : i % 13 === 0 ? (i % 2 ? '' : 'NA') : i % 1000 === 500 ? '250' : String((i * 37) % 101);
    if (score === '' || score === 'NA') nulls++;
    else if (!/^\d+$/.test(score) || Number(score) > 100) failing.push(i + 2);
    rows.push(`${id},${name},${score},2024-0${1 + (i % 9)}-${10 + (i % 19)},${i % 3 ? 'True' : 'False'},m${i % 1700}`);
  }
  fs.writeFileSync(path.join(dir, 'data.csv'), `${rows.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'ref.csv'), `${rows.slice(0, 400).join('\n')}\n`);
  expect(mlx(dir, ['data', 'profile', 'ref.csv', '--out', 'schema.json']).code).toBe(0);
});

describe('mlx data --threads', () => {
  it(
    'profiles a file cut in segments with the same bytes on 1 and 2 threads',
    () => {
      const one = mlx(dir, ['data', 'profile', 'data.csv', '--json', '--threads', '1'], ENV);
      const two = mlx(dir, ['data', 'profile', 'data.csv', '--json', '--threads', '2'], ENV);
      expect(one.code, one.stderr).toBe(0);
      expect(two.code, two.stderr).toBe(0);
      expect(two.stdout).toBe(one.stdout);
      const p = JSON.parse(one.stdout);
      expect(p.rows).toBe(30_000);
      const score = p.columns.find((c: { name: string }) => c.name === 'score');
      expect(score.type).toBe('string');
      expect(score.nulls).toBe(nulls);
    },
    T,
  );

  it(
    'validates with the same violations, counts and example lines on 1 and 2 threads',
    () => {
      const args = ['data', 'validate', 'data.csv', '--schema', 'schema.json', '--expect', 'score <= 100 or score is null', '--json'];
      const one = mlx(dir, [...args, '--threads', '1'], ENV);
      const two = mlx(dir, [...args, '--threads', '2'], ENV);
      expect(one.code, one.stderr).toBe(4);
      expect(two.code, two.stderr).toBe(4);
      expect(two.stdout).toBe(one.stdout);
      const r = JSON.parse(one.stdout);
      const unique = r.results.find((x: { expect: string; column?: string }) => x.expect === 'unique' && x.column === 'id');
      expect(unique.unexpected).toBe(15);
      expect(unique.examples.map((e: { line: number }) => e.line)).toEqual([2001, 4001, 6001, 8001, 10001]);
      const expr = r.results.find((x: { expect: string }) => x.expect === 'expression');
      expect(expr.unexpected).toBe(failing.length);
      expect(expr.examples.map((e: { line: number }) => e.line)).toEqual(failing.slice(0, 5));
      expect(expr.examples[0]).toEqual({ line: 502, value: 'score=250' });
    },
    T,
  );

  it('refuses a --threads value that is not a whole number from 1 to 64 (exit 2, naming the flag)', () => {
    for (const bad of ['0', 'two', '1.5', '65'])
      expectError(mlx(dir, ['data', 'profile', 'data.csv', '--threads', bad]), 2, `--threads ${JSON.stringify(bad)}`);
    expectError(mlx(dir, ['data', 'validate', 'data.csv', '--schema', 'schema.json', '--threads', '-1']), 2, '--threads');
  });
});
