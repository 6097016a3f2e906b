// `mlx serve --schema schema.json` (issue 20): requests whose rows break an error rule of a schema
// written by `mlx data profile` are refused with 400 naming the row, the column and the rule; warn
// rules are counted and let through; every violation is counted in /metrics.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDriftData, tabularDataCsv } from '../src/models/onnx/tabular-model.js';
import { expectError, mlx } from './helpers/cli.js';
import { postJson, scrape, servingProject, startServe, stopAll, type Server } from './helpers/serve.js';
import { expectClose, json, tabularExpected, tabularRows } from './helpers/serving-fixtures.js';

let dir: string;
let tab: Server;
let schemaFile: string;
let schema: { expectations: Record<string, unknown>[] };

beforeAll(async () => {
  dir = servingProject('mlx-serve-schema-');
  fs.writeFileSync(path.join(dir, 'train.csv'), tabularDataCsv(seedDriftData(300, 3), { label: false }));
  const r = mlx(dir, ['data', 'profile', 'train.csv', '--out', 'schema.json']);
  expect(r.code, r.stderr).toBe(0);
  schema = JSON.parse(fs.readFileSync(path.join(dir, 'schema.json'), 'utf8'));
  // Hand edits, as a reviewer would make them: an expression (error) and the clicks range as a warning.
  schema.expectations.push({ expect: 'expression', expr: 'income > 0', severity: 'error' });
  for (const x of schema.expectations) if (x.expect === 'range' && x.column === 'clicks') x.severity = 'warn';
  schemaFile = path.join(dir, 'edited.json');
  fs.writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
  tab = await startServe(dir, 'models:/tab/1', ['--schema', 'edited.json']);
}, 60_000);

afterAll(async () => {
  await stopAll();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const rows = tabularRows(3, 5);
const range = (column: string) => schema.expectations.find((x) => x.expect === 'range' && x.column === column)!;
const bad = (row: number, column: number, value: unknown) => rows.map((r, i) => (i === row ? r.map((v, j) => (j === column ? value : v)) : r));

describe('mlx serve --schema', () => {
  it('lets rows the schema accepts through, with the same answers as without a schema', async () => {
    expect(tab.stderr()).toContain('checking requests against edited.json');
    const r = await postJson(`${tab.base}/invocations`, { dataframe_split: { columns: ['age', 'income', 'score', 'clicks', 'time'], data: rows } });
    expect(r.status).toBe(200);
    expectClose((await json(r)).predictions, tabularExpected(rows), 1e-5);
  });

  it('/invocations: an out-of-range value is refused with 400 naming the row, the column and the rule', async () => {
    const r = await postJson(`${tab.base}/invocations`, { instances: bad(1, 0, 500) });
    const body = await json(r);
    expect(r.status, JSON.stringify(body)).toBe(400);
    expect(body.error_code).toBe('BAD_REQUEST');
    expect(body.message).toContain('row 1, column "age": 500 is outside [');
    expect(body.message).toContain('rule "range"');
    expect(body.message).toContain('edited.json');
    expect(Number(range('age').max)).toBeLessThan(500);
    // A CSV body too (rows counted from 0 after the header).
    const csv = ['age,income,score,clicks,time', ...bad(0, 0, 500).map((r) => r.join(','))].join('\n') + '\n';
    const c = await postJson(`${tab.base}/invocations`, csv, 'text/csv');
    expect(c.status).toBe(400);
    expect((await json(c)).message).toContain('row 0, column "age": 500 is outside [');
  });

  it('type and expression rules; dataframe_records and /predict and /v2 answer in their own shapes', async () => {
    // age is an int column in the reference: 40.5 is not an int.
    let r = await postJson(`${tab.base}/invocations`, {
      dataframe_records: bad(2, 0, 40.5).map((row) => Object.fromEntries(['age', 'income', 'score', 'clicks', 'time'].map((c, i) => [c, row[i]]))),
    });
    let body = await json(r);
    expect(r.status).toBe(400);
    expect(body.message).toMatch(/^row 2, column "age": 40\.5 is not an int \(rule "type"/);

    r = await postJson(`${tab.base}/predict`, { instances: bad(0, 1, -5) });
    body = await json(r);
    expect(r.status).toBe(400);
    expect(typeof body.error_code).toBe('string');
    // income's range comes first in the schema; the expression is the other rule it breaks.
    expect(body.message).toContain('row 0, column "income"');

    const v2 = (data: unknown[][]) =>
      postJson(`${tab.base}/v2/models/tab/infer`, { inputs: [{ name: 'features', shape: [data.length, 5], datatype: 'FP32', data: data.flat() }] });
    r = await v2(bad(1, 2, 1000));
    body = await json(r);
    expect(r.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toContain('row 1, column "score": 1000 is outside');
    expect((await v2(rows)).status).toBe(200);
  });

  it('an expression rule alone names the row and the values', async () => {
    const s = { ...schema, expectations: schema.expectations.filter((x) => !(x.column === 'income' && x.expect === 'range')) };
    fs.writeFileSync(path.join(dir, 'expr.json'), JSON.stringify(s));
    const only = await startServe(dir, 'models:/tab/1', ['--schema', 'expr.json']);
    const r = await postJson(`${only.base}/invocations`, { instances: bad(2, 1, 0) });
    const body = await json(r);
    expect(r.status).toBe(400);
    expect(body.message).toContain('row 2: fails income > 0 (income=0) (rule "expression"');
  });

  it('warn rules let the request through and are counted; /metrics counts every violation by column, rule and severity', async () => {
    const before = await scrape(tab);
    // Every series the schema can produce is there from the start (bounded: one per rule).
    expect(before).toMatch(/mlx_schema_violations_total\{column="clicks",rule="range",severity="warn"\} 0/);
    const r = await postJson(`${tab.base}/invocations`, { instances: bad(0, 3, 100_000) });
    expect(r.status).toBe(200);
    const m = await scrape(tab);
    expect(m).toMatch(/mlx_schema_violations_total\{column="clicks",rule="range",severity="warn"\} 1\b/);
    expect(m).toMatch(/mlx_schema_violations_total\{column="age",rule="range",severity="error"\} [1-9]/);
    expect(m).toMatch(/mlx_schema_violations_total\{column="age",rule="type",severity="error"\} [1-9]/);
  });
});

describe('mlx serve --schema refuses a bad schema before the port opens', () => {
  const refused = (args: string[], code: number, ...mentions: (string | RegExp)[]) => {
    const r = mlx(dir, ['serve', 'models:/tab/1', '--port', '0', ...args]);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).not.toContain('listening on');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    for (const m of mentions) expect(r.stderr).toMatch(m);
  };

  it('a missing file, a file that is not JSON, an unknown expectation, a misspelt key: exit 1, one line', () => {
    refused(['--schema', 'nope.json'], 1, 'nope.json');
    fs.writeFileSync(path.join(dir, 'broken.json'), '{\n  "mlx_data_schema": 1,\n  "expectations": [\n');
    refused(['--schema', 'broken.json'], 1, /broken\.json.* is not valid JSON/);
    fs.writeFileSync(path.join(dir, 'unknown.json'), JSON.stringify({ mlx_data_schema: 1, expectations: [{ expect: 'rnage', column: 'age' }] }));
    refused(['--schema', 'unknown.json'], 1, 'unknown expectation "rnage"');
    fs.writeFileSync(path.join(dir, 'maxx.json'), JSON.stringify({ mlx_data_schema: 1, expectations: [{ expect: 'range', column: 'age', maxx: 3 }] }));
    refused(['--schema', 'maxx.json'], 1, '"range" takes no "maxx"');
    fs.writeFileSync(path.join(dir, 'expr-bad.json'), JSON.stringify({ mlx_data_schema: 1, expectations: [{ expect: 'expression', expr: 'age >>= 1' }] }));
    refused(['--schema', 'expr-bad.json'], 1, 'expr-bad.json');
  });

  it('an empty --schema value: exit 2', () => {
    refused(['--schema', ''], 2, '--schema needs a schema file');
  });
});

describe('mlx register --schema: the version keeps its schema; models show says so; mlx serve enforces it', () => {
  it('a bad schema refuses the registration in one line and registers nothing', () => {
    for (const [file, code, mention] of [
      ['nope.json', 1, 'nope.json'],
      ['maxx.json', 1, '"range" takes no "maxx"'],
      ['', 2, '--schema needs a schema file'],
    ] as const) {
      const r = mlx(dir, ['register', 'tabular.onnx', '--name', 'tab', '--schema', file]);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(mention);
    }
    const v = JSON.parse(mlx(dir, ['models', 'show', 'tab', '--json']).stdout);
    expect(v.model_versions.map((x: { version: number }) => x.version)).toEqual([1]);
  });

  it('registers, shows and serves the schema with the version; --no-schema serves without it', async () => {
    const r = mlx(dir, ['register', 'tabular.onnx', '--name', 'tab', '--labels', 'tabular-labels.txt', '--schema', 'edited.json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const reg = JSON.parse(r.stdout);
    expect(reg.model_version.version).toBe(2);
    expect(JSON.parse(fs.readFileSync(reg.data_schema, 'utf8'))).toEqual(schema);

    const text = mlx(dir, ['models', 'show', 'tab/2']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/schema\s+\d+ expectations \(\d+ checked per row by mlx serve\), inferred from train\.csv \(300 rows\)/);
    const shown = JSON.parse(mlx(dir, ['models', 'show', 'tab/2', '--json']).stdout);
    expect(shown.model_version.data_schema.expectations).toEqual(JSON.parse(JSON.stringify(schema.expectations)));
    expect(JSON.parse(mlx(dir, ['models', 'show', 'tab/1', '--json']).stdout).model_version.data_schema).toBeUndefined();
    expect(mlx(dir, ['models', 'show', 'tab/1']).stdout).toMatch(/schema\s+-/);

    const served = await startServe(dir, 'models:/tab/2');
    expect(served.stderr()).toContain('checking requests against the schema registered with models:/tab/2');
    const refused = await postJson(`${served.base}/invocations`, { instances: bad(1, 0, 500) });
    expect(refused.status).toBe(400);
    expect((await json(refused)).message).toContain('row 1, column "age": 500 is outside [');
    expect((await postJson(`${served.base}/invocations`, { instances: rows })).status).toBe(200);

    const free = await startServe(dir, 'models:/tab/2', ['--no-schema']);
    expect(free.stderr()).not.toContain('checking requests');
    expect((await postJson(`${free.base}/invocations`, { instances: bad(1, 0, 500) })).status).toBe(200);
    // An explicit --schema wins over the registered one.
    const other = await startServe(dir, 'models:/tab/2', ['--schema', 'expr.json']);
    expect(other.stderr()).toContain('checking requests against expr.json');
  });

  it('over an alias, the schema follows the hot swap: moved to a version with one, requests are checked; moved back, no longer', async () => {
    const alias = (v: number) => expect(mlx(dir, ['models', 'alias', 'tab', String(v), 'champion']).code).toBe(0);
    alias(1);
    const served = await startServe(dir, 'models:/tab@champion', ['--watch-interval', '1']);
    expect(served.stderr()).not.toContain('checking requests');
    expect((await postJson(`${served.base}/invocations`, { instances: bad(1, 0, 500) })).status).toBe(200);

    alias(2);
    await served.waitFor(/checking requests against the schema registered with models:\/tab\/2 \(\d+ per-row rules\), which came with version 2 of tab/);
    const refused = await postJson(`${served.base}/invocations`, { instances: bad(1, 0, 500) });
    expect(refused.status).toBe(400);
    expect((await json(refused)).message).toContain('(rule "range" of the schema registered with models:/tab/2)');
    expect(await scrape(served)).toMatch(/mlx_schema_violations_total\{column="age",rule="range",severity="error"\} 1/);

    alias(1);
    await served.waitFor(/version 1 of tab has no registered schema: requests are no longer checked/);
    expect((await postJson(`${served.base}/invocations`, { instances: bad(1, 0, 500) })).status).toBe(200);
  }, 60_000);
});

describe('mlx data validate --schema models:/NAME/V: the schema registered with a version', () => {
  it('validates a batch against it (exit 4 naming it); a version without one, or no such version: one line, exit 1', () => {
    const lines = fs.readFileSync(path.join(dir, 'train.csv'), 'utf8').trim().split('\n');
    const age = lines[0].split(',').indexOf('age');
    const cells = lines[2].split(',');
    cells[age] = '500';
    fs.writeFileSync(path.join(dir, 'batch.csv'), [lines[0], lines[1], cells.join(','), ...lines.slice(3)].join('\n') + '\n');
    const good = mlx(dir, ['data', 'validate', 'train.csv', '--schema', 'models:/tab/2', '--json']);
    expect(JSON.parse(good.stdout).schema).toBe('registered with models:/tab/2');
    const r = mlx(dir, ['data', 'validate', 'batch.csv', '--schema', 'models:/tab/2', '--json']);
    expect(r.code, r.stderr).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report.schema).toBe('registered with models:/tab/2');
    expect(report.results.find((x: { expect: string; column?: string }) => x.expect === 'range' && x.column === 'age').status).toBe('failed');
    expectError(
      mlx(dir, ['data', 'validate', 'batch.csv', '--schema', 'models:/tab/1']),
      1,
      '--schema models:/tab/1: version 1 of tab has no registered data schema',
    );
    expectError(mlx(dir, ['data', 'validate', 'batch.csv', '--schema', 'models:/nope@champion']), 1, 'nope');
  });
});

describe('mlx containerize: the image enforces the schema registered with the version', () => {
  it('copies it into the build context and serves with --schema model/schema.json', async () => {
    // tab/2 was registered with edited.json above.
    const r = mlx(dir, ['containerize', 'models:/tab/2', '--out', 'ctx', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const ctx = path.join(dir, 'ctx');
    expect(fs.readFileSync(path.join(ctx, 'model', 'schema.json'), 'utf8')).toBe(fs.readFileSync(schemaFile, 'utf8'));
    expect(JSON.parse(fs.readFileSync(path.join(ctx, 'model', 'model.json'), 'utf8')).files.schema).toBe('model/schema.json');
    expect(fs.readFileSync(path.join(ctx, 'Dockerfile'), 'utf8')).toContain('"--schema", "model/schema.json"');
    expect(fs.readFileSync(path.join(ctx, 'README.md'), 'utf8')).toContain('model/schema.json');
    const cmd: string[] = doc.serve_command;
    expect(cmd.slice(cmd.indexOf('--schema'), cmd.indexOf('--schema') + 2)).toEqual(['--schema', 'model/schema.json']);
    // The image's command, run from the context (the image's /app), on loopback: it refuses what the schema refuses.
    const args = cmd.slice(3).map((a, i, all) => (all[i - 1] === '--host' ? '127.0.0.1' : all[i - 1] === '--port' ? '0' : a));
    const image = await startServe(ctx, cmd[2], args);
    const refused = await postJson(`${image.base}/invocations`, { instances: bad(1, 0, 500) });
    expect(refused.status).toBe(400);
    expect((await json(refused)).message).toContain('(rule "range" of the schema model/schema.json)');
    expect((await postJson(`${image.base}/invocations`, { instances: rows })).status).toBe(200);

    // A version without a schema: none in the context, none on the command line.
    const plain = mlx(dir, ['containerize', 'models:/tab/1', '--out', 'ctx1', '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout).serve_command).not.toContain('--schema');
    expect(fs.existsSync(path.join(dir, 'ctx1', 'model', 'schema.json'))).toBe(false);

    // Deleting the version deletes its schema.
    const stored = path.join(dir, '.mlx', 'models', 'schemas', 'tab', 'v2.json');
    expect(fs.existsSync(stored)).toBe(true);
    const del = mlx(dir, ['models', 'delete', 'tab/2']);
    expect(del.code, del.stderr).toBe(0);
    expect(fs.existsSync(stored)).toBe(false);
  }, 120_000);
});
