// Tabular input to a spawned `mlx serve` (issue 17, items 4, 7 and 8): one rule for numbers on every input
// path (JSON instances / inputs / dataframe_split / dataframe_records, CSV, /v2, JSON /predict), nesting
// bounded without a stack overflow, and rows per request bounded by --max-rows. Every refusal is a 4xx
// naming what was wrong, and the server goes on serving.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, servingProject, startServe, stopAll, type Server } from '../helpers/serve.js';
import { FEATURES, expectClose, json, pairModelBytes, tabularExpected, tabularRows } from '../helpers/serving-fixtures.js';

let dir: string;
let tab: Server;
let pair: Server;
let limited: Server;
const LIMIT = 50;

beforeAll(async () => {
  dir = servingProject('mlx-sec-tab-');
  fs.writeFileSync(path.join(dir, 'pair.onnx'), pairModelBytes());
  [tab, pair, limited] = await Promise.all([
    startServe(dir, 'models:/tab/1', ['--log-inputs']),
    startServe(dir, 'pair.onnx'),
    startServe(dir, 'models:/tab/1', ['--max-rows', String(LIMIT)]),
  ]);
}, 60_000);

afterAll(async () => {
  await stopAll();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const rows = tabularRows(3, 11);
const HEADER = FEATURES.join(',');
const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const postCsv = (s: Server, text: string) => postJson(`${s.base}/invocations`, text, 'text/csv');

/** A refusal in MLflow's shape ({error_code, message}) or the Open Inference Protocol's ({error}), naming every mention. */
async function refused(res: Response | Promise<Response>, status: number, ...mentions: string[]): Promise<string> {
  const r = await res;
  const body = await json(r);
  expect(r.status, JSON.stringify(body).slice(0, 500)).toBe(status);
  const message: string = body.message ?? body.error;
  expect(typeof message).toBe('string');
  expect(message).not.toMatch(/internal|Maximum call stack|undefined/i);
  for (const m of mentions) expect(message).toContain(m);
  return message;
}

/** The servers still answer a valid request after the bad ones. */
async function stillServes(): Promise<void> {
  const r = await postJson(`${tab.base}/invocations`, { instances: rows });
  expect(r.status).toBe(200);
  expectClose((await json(r)).predictions, tabularExpected(rows), 1e-5);
  const p = await postJson(`${pair.base}/invocations`, { inputs: { a: [[1, 2, 3]], b: [[1, 2, 3]] } });
  expect(p.status).toBe(200);
}

/** JSON nested `depth` lists deep around a number, built as text (JSON.stringify itself would overflow). */
const deep = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe("item 8: CSV cells follow the JSON paths' rule (refused, naming the line and the column)", () => {
  it('a cell that is not a number: 400 naming the line (1 = the header), the column and the value', async () => {
    await refused(postCsv(tab, csv(HEADER, '40,52000,60,8,4', '41,abc,61,9,5')), 400, 'line 3', '"income"', '"abc"');
    await refused(postCsv(tab, csv(HEADER, '40,52000,nan,8,4')), 400, 'line 2', '"score"', '"nan"');
    await refused(postCsv(tab, csv(HEADER, '40,52000,60,0x10,4')), 400, 'line 2', '"clicks"', '"0x10"');
    await stillServes();
  });

  it('an empty cell is a missing value, and refused (not a null prediction)', async () => {
    await refused(postCsv(tab, csv(HEADER, '40,52000,,8,4')), 400, 'line 2', '"score"', 'empty');
    await refused(postCsv(tab, csv(HEADER, '40,52000,60,8,  ')), 400, 'line 2', '"time"', 'empty');
  });

  it('values out of range: 1e400 and Infinity are refused, not turned into Infinity', async () => {
    await refused(postCsv(tab, csv(HEADER, '40,1e400,60,8,4')), 400, 'line 2', '"income"', '1e400');
    await refused(postCsv(tab, csv(HEADER, '40,52000,-Infinity,8,4')), 400, 'line 2', '"score"');
    // float32 tops out near 3.4e38: a larger value would silently become Infinity in the tensor.
    await refused(postCsv(tab, csv(HEADER, '40,1e39,60,8,4')), 400, 'line 2', '"income"', 'float32');
  });

  it('a duplicate header name: 400 naming the column', async () => {
    await refused(postCsv(tab, csv('age,income,score,clicks,time,age', '40,52000,60,8,4,41')), 400, '"age"', 'more than once');
  });

  it('rows with more or fewer fields than the header: 400 naming the line and both counts', async () => {
    await refused(postCsv(tab, csv(HEADER, '40,52000,60,8,4', '40,52000,60,8,4,99')), 400, 'line 3', '6 fields', 'header has 5');
    await refused(postCsv(tab, csv(HEADER, '40,52000,60')), 400, 'line 2', '3 fields', 'header has 5');
  });

  it('line numbers count physical lines: blank lines and newlines inside quotes', async () => {
    await refused(postCsv(tab, csv(HEADER, '', '40,52000,60,8,4', '', '40,x,60,8,4')), 400, 'line 5', '"income"');
    // The record on lines 2-3 holds a quoted newline: the bad record after it starts on line 4.
    await refused(postCsv(tab, csv(`note,${HEADER}`, '"two\nlines",40,52000,60,8,4', 'ok,40,x,60,8,4')), 400, 'line 4', '"income"', '"x"');
  });

  it('extra columns the model does not take are ignored when the model names its features (as MLflow does); the answer is the same', async () => {
    const plain = csv(HEADER, ...rows.map((r) => r.join(',')));
    const extra = csv(`id,${HEADER},note`, ...rows.map((r, i) => `c-${i},${r.join(',')},"free, text"`));
    const [a, b] = await Promise.all([postCsv(tab, plain), postCsv(tab, extra)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const answer = (await json(a)).predictions;
    expectClose(answer, tabularExpected(rows), 1e-5);
    expect((await json(b)).predictions).toEqual(answer);
  });

  it('a CSV body that is not text (NUL bytes): 400 saying so', async () => {
    const bytes = Buffer.concat([Buffer.from(`${HEADER}\n`), Buffer.from([0, 1, 2, 0x1b, 0xff, 0x0a])]);
    await refused(fetch(`${tab.base}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: bytes }), 400, 'not text');
    await stillServes();
  });
});

describe('item 8: JSON values — one rule, naming the row (0-based) and the column', () => {
  const split = (data: unknown[][], columns: string[] = [...FEATURES]) => ({ dataframe_split: { columns, data } });

  it('1e400 (Infinity after parsing) is refused on /v2, /invocations and /predict', async () => {
    const data = '[40, 1e400, 60, 8, 4]';
    await refused(
      postJson(`${tab.base}/v2/models/tab/infer`, `{"inputs": [{"name": "features", "shape": [1, 5], "datatype": "FP32", "data": ${data}}]}`),
      400,
      'row 0',
      '"income"',
      'Infinity',
    );
    await refused(postJson(`${tab.base}/invocations`, `{"instances": [[1, 2, 3, 4, 5], ${data}]}`), 400, 'row 1', '"income"');
    await refused(
      postJson(`${tab.base}/invocations`, `{"dataframe_split": {"columns": ["age", "income", "score", "clicks", "time"], "data": [${data}]}}`),
      400,
      'row 0',
      '"income"',
    );
    await refused(postJson(`${tab.base}/predict`, `{"instances": [${data}]}`), 400, 'row 0', '"income"');
    await refused(postJson(`${tab.base}/invocations`, { instances: [[40, 1e39, 60, 8, 4]] }), 400, 'row 0', '"income"', 'float32');
    await stillServes();
  });

  it('a value of the wrong type names its row and column in every format', async () => {
    await refused(
      postJson(
        `${tab.base}/invocations`,
        split([
          [1, 2, 3, 4, 5],
          [1, 2, 'three', 4, 5],
        ]),
      ),
      400,
      'row 1',
      '"score"',
      '"three"',
    );
    await refused(
      postJson(`${tab.base}/invocations`, { dataframe_records: [{ age: 1, income: 2, score: 3, clicks: 4, time: null }] }),
      400,
      'row 0',
      '"time"',
      'null',
    );
    await refused(
      postJson(`${tab.base}/invocations`, {
        inputs: {
          features: [
            [1, 2, 3, 4, 5],
            [1, true, 3, 4, 5],
          ],
        },
      }),
      400,
      'row 1',
      '"income"',
      'true',
    );
    await refused(postJson(`${tab.base}/predict`, { instances: [[1, 2, 3, 4, '5']] }), 400, 'row 0', '"time"', '"5"');
    await refused(
      postJson(`${pair.base}/invocations`, {
        inputs: {
          a: [[1, 2, 3]],
          b: [
            [1, 2, 3],
            [4, 5.5, 6],
          ],
        },
      }),
      400,
      'input "b"',
      'row 1',
      'column 1',
      '5.5',
      'int64',
    );
    await refused(
      postJson(`${tab.base}/v2/models/tab/infer`, { inputs: [{ name: 'features', shape: [2, 5], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6, 7, 8, 'x', 10] }] }),
      400,
      'row 1',
      '"clicks"',
      '"x"',
    );
  });

  it('duplicate column names in dataframe_split: 400 naming the column', async () => {
    await refused(postJson(`${tab.base}/invocations`, split([[1, 2, 3, 4, 5, 6]], [...FEATURES, 'age'])), 400, '"age"', 'more than once');
  });

  it('a long string value is shortened in the message', async () => {
    const long = 'x'.repeat(100_000);
    const message = await refused(postJson(`${tab.base}/invocations`, split([[1, 2, long, 4, 5]])), 400, 'row 0', '"score"');
    expect(message.length).toBeLessThan(400);
  });
});

describe('item 7: deep nesting is a 400, never a 500 (JSON.parse takes it; our walkers must too)', () => {
  const DEPTH = 100_000;

  it('/v2 data nested 100,000 deep', async () => {
    await refused(
      postJson(`${tab.base}/v2/models/tab/infer`, `{"inputs": [{"name": "features", "shape": [1, 5], "datatype": "FP32", "data": ${deep(DEPTH)}}]}`),
      400,
      'nested',
      'features',
    );
    await refused(
      postJson(`${tab.base}/v2/models/tab/infer`, `{"inputs": [{"name": "features", "shape": [1, 5], "datatype": ${deep(DEPTH)}, "data": [1, 2, 3, 4, 5]}]}`),
      400,
      'datatype',
    );
    await refused(
      postJson(
        `${tab.base}/v2/models/tab/infer`,
        `{"inputs": [{"name": "features", "shape": [1, 5], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}], "outputs": [{"name": ${deep(DEPTH)}}]}`,
      ),
      400,
      'output',
    );
    await stillServes();
  });

  it('/invocations instances, inputs and dataframe formats nested 100,000 deep', async () => {
    await refused(postJson(`${tab.base}/invocations`, `{"instances": ${deep(DEPTH)}}`), 400, 'nested');
    await refused(postJson(`${tab.base}/invocations`, `{"inputs": {"features": ${deep(DEPTH)}}}`), 400, 'nested');
    await refused(postJson(`${tab.base}/invocations`, `{"instances": [{"features": ${deep(DEPTH)}}]}`), 400, 'nested');
    await refused(
      postJson(
        `${tab.base}/invocations`,
        `{"dataframe_split": {"columns": ["age", "income", "score", "clicks", "time"], "data": [[1, 2, ${deep(DEPTH)}, 4, 5]]}}`,
      ),
      400,
      'row 0',
      '"score"',
      'list',
    );
    await refused(
      postJson(
        `${tab.base}/invocations`,
        `{"dataframe_records": [{"age": 1, "income": 2, "score": 3, "clicks": 4, "time": ${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}}]}`,
      ),
      400,
      'row 0',
      '"time"',
      'object',
    );
    await refused(postJson(`${tab.base}/predict`, `{"instances": [[1, 2, 3, 4, ${deep(DEPTH)}]]}`), 400, 'row 0', '"time"');
    await stillServes();
  });

  it('nesting a little deeper than the model takes gets the shape message', async () => {
    await refused(postJson(`${tab.base}/invocations`, { instances: [[[1, 2, 3, 4, 5]]] }), 400, '[-1, 5]', '[1, 1, 5]');
  });
});

describe('item 4: rows per request are bounded by --max-rows, counted before tensors are built', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => [40 + (i % 9), 52000, 60, 8, 4]);

  it('CSV: --max-rows rows are served; one more is 413 naming the limit and the flag', async () => {
    const ok = await postCsv(limited, csv(HEADER, ...many(LIMIT).map((r) => r.join(','))));
    expect(ok.status).toBe(200);
    expect((await json(ok)).predictions).toHaveLength(LIMIT);
    await refused(postCsv(limited, csv(HEADER, ...many(LIMIT + 1).map((r) => r.join(',')))), 413, `${LIMIT} rows`, '--max-rows');
    // Counted as the body is parsed: a bad cell after the limit is never reached.
    await refused(postCsv(limited, csv(HEADER, ...many(LIMIT + 1).map((r) => r.join(',')), 'x,x,x,x,x')), 413, '--max-rows');
  });

  it('every JSON format and /v2: one row over the limit is 413', async () => {
    const over = many(LIMIT + 1);
    const records = over.map((r) => Object.fromEntries(FEATURES.map((f, i) => [f, r[i]])));
    for (const body of [
      { instances: over },
      { inputs: over },
      { inputs: { features: over } },
      { dataframe_split: { columns: [...FEATURES], data: over } },
      { dataframe_records: records },
    ])
      await refused(postJson(`${limited.base}/invocations`, body), 413, '--max-rows', String(LIMIT));
    await refused(postJson(`${limited.base}/predict`, { instances: over }), 413, '--max-rows');
    // The declared shape is checked before the data is read.
    await refused(
      postJson(`${limited.base}/v2/models/tab/infer`, { inputs: [{ name: 'features', shape: [1_000_000, 5], datatype: 'FP32', data: [1] }] }),
      413,
      '--max-rows',
    );
    await refused(
      postJson(`${limited.base}/v2/models/tab/infer`, { inputs: [{ name: 'features', shape: [LIMIT + 1, 5], datatype: 'FP32', data: over.flat() }] }),
      413,
      '--max-rows',
    );
    const ok = await postJson(`${limited.base}/invocations`, { dataframe_records: records.slice(0, LIMIT) });
    expect(ok.status).toBe(200);
  });

  it("the default limit refuses the issue's 1.5M-row CSV (15 MB, under the body limit) with a 413 and keeps serving", async () => {
    const body = `${HEADER}\n${'4,5,6,7,8\n'.repeat(1_500_000)}`;
    expect(body.length).toBeLessThan(20 * 1024 * 1024);
    const message = await refused(postCsv(tab, body), 413, '--max-rows');
    expect(message).toMatch(/more than [\d,]+ rows/);
    expect((await fetch(`${tab.base}/health`)).status).toBe(200);
    await stillServes();
  }, 60_000);

  it('mlx serve --max-rows refuses a value that is not a positive whole number, as its other number flags do (exit 2, naming the value)', async () => {
    for (const bad of ['0', '-5', 'many', '1.5']) {
      const err = await startServe(dir, 'models:/tab/1', ['--max-rows', bad]).then(
        () => '',
        (e: Error) => e.message,
      );
      expect(err, bad).toMatch(/exited \(2\)/);
      expect(err, bad).toContain(`--max-rows "${bad}"`);
    }
  });
});
