// Bad input to `mlx serve` (issue 4): each bad request fails alone with a clear message and the server
// keeps serving; and `mlx serve` itself refuses what it cannot start.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx } from './helpers/cli.js';
import { postJson, servingProject, startServe, stopAll, type Server } from './helpers/serve.js';
import { encodedImage, expectClose, imageForm, tabularExpected, tabularRows, json } from './helpers/serving-fixtures.js';

let dir: string;
let img: Server;
let tab: Server;

beforeAll(async () => {
  dir = servingProject('mlx-serve-bad-');
  [img, tab] = await Promise.all([startServe(dir, 'models:/img/1'), startServe(dir, 'models:/tab/1')]);
}, 60_000);

afterAll(async () => {
  await stopAll();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const rows = tabularRows(3, 5);

/** Valid requests right after a bad one, over the same client (and its kept-alive connections), still get their answers. */
async function stillServes(servers: { img: Server; tab: Server } = { img, tab }): Promise<void> {
  const { img, tab } = servers;
  for (const s of [tab, img]) expect((await fetch(`${s.base}/ready`)).status, `GET ${s.base}/ready after the bad request`).toBe(200);
  const t = await postJson(`${tab.base}/invocations`, { instances: rows });
  expect(t.status, 'a valid tabular request after the bad one').toBe(200);
  expectClose((await json(t)).predictions, tabularExpected(rows), 1e-5);
  const image = await encodedImage('bird', 21);
  const i = await fetch(`${img.base}/predict`, { method: 'POST', body: imageForm(image.bytes) });
  expect(i.status, 'a valid image request after the bad one').toBe(200);
  expect((await json(i)).label).toBe('bird');
}

/** An MLflow-shaped error response naming what was wrong. */
async function expectError(res: Response | Promise<Response>, status: number, ...mentions: string[]): Promise<{ error_code: string; message: string }> {
  const r = await res;
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const body = await json(r);
  expect(r.status, JSON.stringify(body)).toBe(status);
  expect(typeof body.error_code).toBe('string');
  for (const m of mentions) expect(body.message).toContain(m);
  return body;
}

describe('bad requests fail alone, and the server keeps serving', () => {
  it('an upload that is not an image: 400 "cannot decode image"', async () => {
    const body = await expectError(
      fetch(`${img.base}/predict`, { method: 'POST', body: imageForm(new TextEncoder().encode('%PDF-1.4 not an image')) }),
      400,
      'cannot decode image',
    );
    expect(body.error_code).toBe('BAD_REQUEST');
    // A truncated PNG is not an image either.
    const png = (await encodedImage('cat', 1)).bytes;
    await expectError(fetch(`${img.base}/predict`, { method: 'POST', body: imageForm(png.subarray(0, 40)) }), 400, 'cannot decode image');
    await stillServes();
  });

  it('a form without a "file" field: 400', async () => {
    const form = new FormData();
    form.append('upload', new Blob([(await encodedImage('cat', 1)).bytes]), 'cat.png');
    await expectError(fetch(`${img.base}/predict`, { method: 'POST', body: form }), 400, '"file"');
    await stillServes();
  });

  it('tensors of the wrong shape: 400 naming the expected shape', async () => {
    await expectError(postJson(`${tab.base}/invocations`, { instances: [[1, 2, 3, 4]] }), 400, '[-1, 5]');
    await expectError(postJson(`${tab.base}/predict`, { instances: [[1, 2, 3, 4, 5, 6]] }), 400, '[-1, 5]');
    const v2 = await postJson(`${img.base}/v2/models/img/infer`, {
      inputs: [{ name: 'image', shape: [1, 3, 16, 16], datatype: 'FP32', data: new Array(768).fill(0) }],
    });
    expect(v2.status).toBe(400);
    expect((await json(v2)).error).toContain('[-1, 3, 32, 32]');
    await stillServes();
  });

  it('tensors of the wrong type: 400 naming the expected type and shape', async () => {
    await expectError(postJson(`${tab.base}/invocations`, { instances: [['forty', 52000, 60, 8, 4]] }), 400, '"forty"', 'float32');
    const v2 = await postJson(`${tab.base}/v2/models/tab/infer`, { inputs: [{ name: 'features', shape: [1, 5], datatype: 'INT64', data: [1, 2, 3, 4, 5] }] });
    expect(v2.status).toBe(400);
    const { error } = await json(v2);
    expect(error).toContain('FP32');
    expect(error).toContain('[-1, 5]');
    await stillServes();
  });

  it('malformed JSON: 400 on every route that reads JSON', async () => {
    await expectError(postJson(`${tab.base}/invocations`, '{"instances": [[1, 2, 3'), 400, 'JSON');
    await expectError(postJson(`${tab.base}/predict`, '{"instances": '), 400, 'JSON');
    const v2 = await postJson(`${tab.base}/v2/models/tab/infer`, '{inputs: []}');
    expect(v2.status).toBe(400);
    expect(Object.keys(await json(v2))).toEqual(['error']);
    await expectError(postJson(`${tab.base}/invocations`, { instances: [[1, 2, 3, 4, 5]], inputs: [] }), 400, 'exactly one');
    await stillServes();
  });

  it('unknown routes: 404 JSON; unknown /v2 models and versions: 404 {"error"}; other content types: 415', async () => {
    const body = await expectError(fetch(`${tab.base}/nope`), 404, '/nope');
    expect(body.error_code).toBe('NOT_FOUND');
    for (const url of ['/v2/models/nope', '/v2/models/tab/versions/7']) {
      const r = await fetch(`${tab.base}${url}`);
      expect(r.status).toBe(404);
      expect(Object.keys(await json(r))).toEqual(['error']);
    }
    await expectError(postJson(`${tab.base}/invocations`, 'age,income', 'text/plain'), 415, 'text/plain');
    await stillServes();
  });

  it('bad and good requests at once: every good one gets its answer', async () => {
    const bad = [
      () => postJson(`${tab.base}/invocations`, { instances: [[1, 2]] }),
      () => postJson(`${tab.base}/invocations`, '{'),
      () => postJson(`${tab.base}/invocations`, { instances: [[1, 2, 3, 4, 'x']] }),
    ];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? postJson(`${tab.base}/invocations`, { instances: rows }) : bad[i % bad.length]())),
    );
    for (const [i, r] of results.entries()) {
      expect(r.status, `request ${i}`).toBe(i % 3 === 0 ? 200 : 400);
      if (i % 3 === 0) expectClose((await json(r)).predictions, tabularExpected(rows), 1e-5);
      else await r.text();
    }
    await stillServes();
  });

  it('a body over --max-body-mb: 413, and the same client is served next', async () => {
    // Servers of their own: a connection left broken by a 413 must not fail the other tests' requests.
    const [img1, tab1] = await Promise.all([
      startServe(dir, 'models:/img/1', ['--max-body-mb', '1']),
      startServe(dir, 'models:/tab/1', ['--max-body-mb', '1']),
    ]);
    const big = new Uint8Array(2 * 1024 * 1024);
    const up = await expectError(fetch(`${img1.base}/predict`, { method: 'POST', body: imageForm(big) }), 413, '1 MB', '--max-body-mb');
    expect(up.error_code).toBe('REQUEST_TOO_LARGE');
    await expectError(postJson(`${tab1.base}/invocations`, { instances: [Array.from({ length: 300_000 }, () => 1.5)] }), 413, '--max-body-mb');
    await stillServes({ img: img1, tab: tab1 });
  });
});

describe('mlx serve refuses to start', () => {
  /** The refusal line: the last line of stderr, `mlx: …`, no stack trace, nothing on stdout, exit 1 (2 for a bad flag value). */
  const refusalWith = (code: number, args: string[], ...mentions: string[]) => {
    const r = mlx(dir, ['serve', ...args]);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    const last = lines[lines.length - 1];
    expect(last).toMatch(/^mlx: /);
    for (const m of mentions) expect(last).toContain(m);
    return lines;
  };
  const refusal = (args: string[], ...mentions: string[]) => refusalWith(1, args, ...mentions);
  const usage = (args: string[], ...mentions: string[]) => refusalWith(2, args, ...mentions);

  it('an unknown model URI: exit 1 with a one-line error', () => {
    refusal(['models:/nope/1', '--port', '0'], 'Registered Model with name=nope not found');
    refusal(['models:/tab/9', '--port', '0'], '9');
    refusal(['models:/tab', '--port', '0'], 'needs a version');
    refusal(['missing/model.onnx', '--port', '0'], 'model.onnx', 'does not exist');
  });

  it('an unknown model URI is refused before a server is announced: the error is all stderr says', () => {
    const lines = refusal(['models:/nope/1', '--port', '0'], 'name=nope');
    expect(lines, 'stderr should be the one error line, not "listening on …" for a server that then dies').toHaveLength(1);
  });

  it('a port in use: the second server exits 1 saying so, the first keeps serving', async () => {
    const lines = refusal(['models:/tab/1', '--port', String(tab.port)], String(tab.port), 'in use');
    expect(lines).toHaveLength(1);
    expect((await fetch(`${tab.base}/ready`)).status).toBe(200);
  });

  it('a bad --max-batch-size (and other bad numbers): exit 2 (a usage error) naming the flag and value', () => {
    for (const v of ['0', '-1', 'abc', '1.5', '100000']) expect(usage(['models:/tab/1', '--max-batch-size', v], '--max-batch-size', `"${v}"`)).toHaveLength(1);
    usage(['models:/tab/1', '--port', '70000'], '--port', '"70000"');
    usage(['models:/tab/1', '--max-body-mb', '0'], '--max-body-mb');
    usage(['models:/tab/1', '--max-batch-delay-ms', 'soon'], '--max-batch-delay-ms');
    for (const v of ['-1', 'many', '2.5']) usage(['models:/tab/1', '--max-queue', v], '--max-queue', `"${v}"`);
    for (const v of ['0', '65', 'two']) usage(['models:/tab/1', '--instances', v], '--instances', `"${v}"`);
  });
});
