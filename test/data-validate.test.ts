// `mlx data profile` and `mlx data validate` (issue 20) as a user runs them: spawned mlx on real files,
// a real store for --log-to-run, exit codes 0 / 4 / 1 / 2, and every bad input refused in one line
// naming the file and line with nothing written.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, tempProject } from './helpers/cli.js';

const T = 60_000;
let dir: string;
const write = (name: string, text: string | Buffer) => fs.writeFileSync(path.join(dir, name), text);
const exists = (name: string) => fs.existsSync(path.join(dir, name));

function reference(): string {
  const rows = ['id,age,income,color,joined'];
  for (let i = 0; i < 200; i++)
    rows.push(`${i},${20 + (i % 50)},${i % 10 === 0 ? '' : 1000 + i * 10},${['red', 'green', 'blue'][i % 3]},2024-0${1 + (i % 9)}-15`);
  return `${rows.join('\n')}\n`;
}

beforeAll(() => {
  dir = tempProject('mlx-validate-');
  write('ref.csv', reference());
  // Line 2 (id 0) repeats on line 5; line 4 has text for age; line 6 a color never seen; line 7 an age far out of range.
  write(
    'bad.csv',
    'id,age,income,color,joined\n0,30,1000,red,2024-01-15\n1,31,2000,green,2024-02-15\n2,abc,3000,blue,2024-03-15\n0,33,4000,red,2024-04-15\n4,34,5000,purple,2024-05-15\n5,900,6000,red,2024-06-15\n',
  );
  write('good.csv', 'id,age,income,color,joined\n7,25,1500,red,2024-02-01\n8,44,1200,blue,2024-03-01\n');
  expect(mlx(dir, ['data', 'profile', 'ref.csv', '--out', 'schema.json']).code).toBe(0);
});

describe('mlx data profile', () => {
  it('infers a schema file: reviewable JSON, one expectation a line, the reference statistics beside them', () => {
    const text = fs.readFileSync(path.join(dir, 'schema.json'), 'utf8');
    const schema = JSON.parse(text);
    expect(schema.mlx_data_schema).toBe(1);
    expect(schema.reference.rows).toBe(200);
    const find = (expect: string, column?: string) => schema.expectations.find((x: any) => x.expect === expect && x.column === column);
    expect(find('columns').columns).toEqual(['id', 'age', 'income', 'color', 'joined']);
    expect(find('type', 'age').type).toBe('int');
    expect(find('type', 'joined').type).toBe('datetime');
    expect(find('range', 'age')).toMatchObject({ min: 20, max: 69, tolerance: 0.1, severity: 'error' });
    expect(find('categories', 'color').values).toEqual(['blue', 'green', 'red']);
    expect(find('unique', 'id')).toBeTruthy();
    expect(find('max_null_share', 'income').max).toBeGreaterThan(0.1);
    expect(find('max_null_share', 'age').max).toBe(0);
    // One expectation per line: a pull request's diff shows each change on its own.
    expect(text.split('\n').filter((l) => l.trim().startsWith('{"expect"')).length).toBe(schema.expectations.length);
  });

  it('--json prints the profile; the table names every column', () => {
    const r = mlx(dir, ['data', 'profile', 'ref.csv', '--json']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.rows).toBe(200);
    expect(p.columns.find((c: any) => c.name === 'income')).toMatchObject({ type: 'int', nulls: 20, null_share: 0.1 });
    const t = mlx(dir, ['data', 'profile', 'ref.csv']);
    for (const c of ['id', 'age', 'income', 'color', 'joined']) expect(t.stdout).toContain(c);
  });

  it('a dataset pointer profiles the file it tracks, and says how to get it when it is not there', () => {
    write('tracked.csv', reference());
    write('tracked.csv.mlx.json', JSON.stringify({ path: 'tracked.csv', digest: 'sha256:00', size: 1, files: 1, kind: 'file' }));
    const r = mlx(dir, ['data', 'profile', 'tracked.csv.mlx.json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rows).toBe(200);
    write('gone.csv.mlx.json', JSON.stringify({ path: 'gone.csv', kind: 'file' }));
    expectError(mlx(dir, ['data', 'profile', 'gone.csv.mlx.json']), 1, 'gone.csv', 'mlx data checkout gone.csv.mlx.json');
  });
});

describe('mlx data validate', () => {
  it('valid data: exit 0', () => {
    const r = mlx(dir, ['data', 'validate', 'good.csv', '--schema', 'schema.json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Valid: /m);
  });

  it('failed expectations: exit 4, every violation with its column, rule, observed value and example lines', () => {
    const r = mlx(dir, ['data', 'validate', 'bad.csv', '--schema', 'schema.json', '--expect', 'income > 0 or income is null', '--json']);
    expect(r.code, r.stderr).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report.valid).toBe(false);
    const failed = (expect: string, column?: string) => report.results.find((x: any) => x.expect === expect && x.column === column && x.status === 'failed');
    expect(failed('type', 'age')).toMatchObject({ unexpected: 1, examples: [{ line: 4, value: 'abc' }] });
    expect(failed('unique', 'id').examples).toEqual([{ line: 5, value: '0' }]);
    expect(failed('categories', 'color').examples).toEqual([{ line: 6, value: 'purple' }]);
    expect(failed('range', 'age').examples).toEqual([{ line: 7, value: '900' }]);
    expect(report.results.find((x: any) => x.expect === 'expression').status).toBe('passed');
    // The table says the same, with line numbers.
    const t = mlx(dir, ['data', 'validate', 'bad.csv', '--schema', 'schema.json']);
    expect(t.code).toBe(4);
    expect(t.stdout).toContain('line 4: abc');
    expect(t.stdout).toMatch(/^Invalid: /m);
  });

  it('--reference infers on the fly; --expect alone checks rows; warnings exit 0 unless --strict', () => {
    expect(mlx(dir, ['data', 'validate', 'bad.csv', '--reference', 'ref.csv']).code).toBe(4);
    const e = mlx(dir, ['data', 'validate', 'good.csv', '--expect', 'age >= 30', '--json']);
    expect(e.code).toBe(4);
    expect(JSON.parse(e.stdout).results[0]).toMatchObject({ expect: 'expression', unexpected: 1, examples: [{ line: 2, value: 'age=25' }] });
    const w = mlx(dir, ['data', 'validate', 'good.csv', '--expect-warn', 'age >= 30']);
    expect(w.code).toBe(0);
    expect(mlx(dir, ['data', 'validate', 'good.csv', '--expect-warn', 'age >= 30', '--strict']).code).toBe(4);
  });

  it('--html writes a self-contained report with per-column summaries; --log-to-run records metrics and the report', () => {
    const run = mlx(dir, ['runs', 'start', '--name', 'checks']).stdout.trim();
    const r = mlx(dir, ['data', 'validate', 'bad.csv', '--schema', 'schema.json', '--html', 'out/report.html', '--log-to-run', run]);
    expect(r.code, r.stderr).toBe(4);
    const html = fs.readFileSync(path.join(dir, 'out/report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html).toContain('line 6: purple');
    expect(html).toContain('<h3>color');
    const db = new Database(path.join(dir, '.mlx', 'mlx.db'), { readonly: true });
    const metrics = Object.fromEntries(
      (db.prepare('SELECT key, value FROM metrics WHERE run_uuid = ?').all(run) as { key: string; value: number }[]).map((m) => [m.key, m.value]),
    );
    db.close();
    expect(metrics['validation.valid']).toBe(0);
    expect(metrics['validation.rows']).toBe(6);
    expect(metrics['validation.age.type.unexpected']).toBe(1);
    const listed = mlx(dir, ['runs', 'show', run, '--json']);
    expect(listed.stdout).toContain('validation/validation-0.json');
  });
});

describe('bad input: one line naming the file and line, exit 1 or 2, nothing written', () => {
  const cases: [string, () => void, string[], number, (string | RegExp)[]][] = [
    ['an empty file', () => write('empty.csv', ''), ['data', 'profile', 'empty.csv', '--out', 'x.json'], 1, ['empty.csv is empty']],
    ['a header-only file', () => write('header.csv', 'a,b\n'), ['data', 'profile', 'header.csv', '--out', 'x.json'], 1, ['header.csv line 1', 'no data rows']],
    ['a ragged row', () => write('ragged.csv', 'a,b\n1,2\n3\n'), ['data', 'profile', 'ragged.csv', '--out', 'x.json'], 1, ['ragged.csv line 3 has 1 field']],
    [
      'a file that is not UTF-8',
      () => write('latin1.csv', Buffer.concat([Buffer.from('a,b\n1,x\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n')])),
      ['data', 'profile', 'latin1.csv', '--out', 'x.json'],
      1,
      ['latin1.csv line 3 is not UTF-8'],
    ],
    [
      'a schema with an unknown expectation',
      () =>
        write(
          'unknown.json',
          '{\n  "mlx_data_schema": 1,\n  "expectations": [\n    {"expect": "unique", "column": "id"},\n    {"expect": "sorted", "column": "id"}\n  ]\n}\n',
        ),
      ['data', 'validate', 'good.csv', '--schema', 'unknown.json', '--html', 'x.html'],
      1,
      ['unknown.json line 5', 'unknown expectation "sorted"'],
    ],
    [
      'a schema that is not JSON',
      () => write('broken.json', '{\n  "mlx_data_schema": 1,\n  "expectations": [\n    {"expect": "unique", "column": "id"},\n  ]\n}\n'),
      ['data', 'validate', 'good.csv', '--schema', 'broken.json', '--html', 'x.html'],
      1,
      ['broken.json line 5 is not valid JSON'],
    ],
    [
      'an expectation with a misspelt key',
      () => write('typo.json', '{"mlx_data_schema": 1, "expectations": [{"expect": "range", "column": "age", "maxx": 3}]}'),
      ['data', 'validate', 'good.csv', '--schema', 'typo.json', '--html', 'x.html'],
      1,
      ['typo.json line 1', '"range" takes no "maxx"'],
    ],
    [
      'a reference with zero rows',
      () => write('zero.csv', 'id,age\n'),
      ['data', 'validate', 'good.csv', '--reference', 'zero.csv', '--html', 'x.html'],
      1,
      ['zero.csv line 1', 'no data rows'],
    ],
    ['a bad --expect', () => undefined, ['data', 'validate', 'good.csv', '--expect', 'age >> 3', '--html', 'x.html'], 2, ['--expect', 'position 6']],
    [
      'an --expect naming no column',
      () => undefined,
      ['data', 'validate', 'good.csv', '--expect', 'agee > 3', '--html', 'x.html'],
      1,
      ['"agee"', 'columns: id, age'],
    ],
    ['neither --schema, --reference nor --expect', () => undefined, ['data', 'validate', 'good.csv'], 2, ['--schema']],
    ['--schema and --reference', () => undefined, ['data', 'validate', 'good.csv', '--schema', 'schema.json', '--reference', 'ref.csv'], 2, ['not both']],
    ['--out that is not .json', () => undefined, ['data', 'profile', 'ref.csv', '--out', 'schema.txt'], 2, ['--out']],
    ['an unknown format', () => write('data.parquet', 'x'), ['data', 'profile', 'data.parquet'], 1, ['.csv, .tsv or .jsonl']],
    ['a missing file', () => undefined, ['data', 'validate', 'nope.csv', '--schema', 'schema.json'], 1, ['nope.csv', 'does not exist']],
  ];
  for (const [what, setup, args, code, mentions] of cases)
    it(
      what,
      () => {
        setup();
        expectError(mlx(dir, args), code, ...mentions);
        expect(exists('x.json') || exists('x.html') || exists('schema.txt')).toBe(false);
      },
      T,
    );
});

describe('logged serving traffic (serving:MODEL)', () => {
  it('profiles and validates what mlx serve --log-inputs logged: the logged columns and the prediction', async () => {
    const { logTraffic, records, seedDriftData } = await import('./helpers/inference-log.js');
    const { tabularDataCsv } = await import('../src/models/onnx/tabular-model.js');
    const live = tempProject('mlx-validate-live-');
    const ref = seedDriftData(300, 1);
    fs.writeFileSync(path.join(live, 'ref.csv'), tabularDataCsv(ref, { label: false }));
    expect(mlx(live, ['data', 'profile', 'ref.csv', '--out', 'schema.json']).code).toBe(0);
    const now = Date.now();
    await logTraffic(live, records(seedDriftData(50, 2), { start: now - 60_000, prefix: 'a' }));
    const p = mlx(live, ['data', 'profile', 'serving:clf', '--json']);
    expect(p.code, p.stderr).toBe(0);
    const profile = JSON.parse(p.stdout);
    expect(profile.rows).toBe(50);
    expect(profile.columns.map((c: any) => c.name)).toEqual([...ref.featureNames, 'prediction']);
    // The prediction is a column the reference lacks: a warning, not a failure.
    const ok = mlx(live, ['data', 'validate', 'serving:clf', '--schema', 'schema.json', '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout).results.find((x: any) => x.expect === 'no_extra_columns')).toMatchObject({
      status: 'failed',
      severity: 'warn',
      observed: { extra: ['prediction'] },
    });
    // Traffic far outside the reference's ranges, later: only that window fails.
    await logTraffic(live, records(seedDriftData(50, 3, { shift: 50 }), { start: now - 1000, prefix: 'b' }));
    const bad = mlx(live, ['data', 'validate', 'serving:clf', '--schema', 'schema.json', '--since', '30s', '--json']);
    expect(bad.code, bad.stderr).toBe(4);
    const report = JSON.parse(bad.stdout);
    expect(report.rows).toBe(50);
    expect(report.results.some((x: any) => x.expect === 'range' && x.status === 'failed')).toBe(true);
    expectError(mlx(live, ['data', 'validate', 'serving:other', '--schema', 'schema.json']), 1, 'no logged rows', 'model "other"');
    expectError(mlx(live, ['data', 'validate', 'ref.csv', '--schema', 'schema.json', '--since', '1h']), 2, '--since only applies to a serving:MODEL source');
  }, 120_000);
});

describe('output safety', () => {
  it('control characters from the data are written out in the table and escaped in the HTML report', () => {
    write('esc-ref.csv', 'id,color\n1,red\n2,blue\n3,red\n');
    write('esc.csv', 'id,color\n1,\u001b[2Jevil\n');
    const r = mlx(dir, ['data', 'validate', 'esc.csv', '--reference', 'esc-ref.csv', '--html', 'esc.html']);
    expect(r.code).toBe(4);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('\\x1b[2Jevil');
    const html = fs.readFileSync(path.join(dir, 'esc.html'), 'utf8');
    write('lt.csv', 'id,color\n1,<script>x</script>\n');
    mlx(dir, ['data', 'validate', 'lt.csv', '--reference', 'esc-ref.csv', '--html', 'lt.html']);
    expect(fs.readFileSync(path.join(dir, 'lt.html'), 'utf8')).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('\\x1b[2Jevil');
    expect(html).not.toContain('\u001b');
  });
});
