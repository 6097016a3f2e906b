// Every error of the inference app, in its protocol's shape: /v2 answers {"error": …}, the rest
// MLflow's {"error_code", "message"}; each names what was wrong, and carries the model headers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_LABELS, IMAGE_SPEC, encodedImage, imageBytes, imageForm, pairModelBytes, tabularBytes, json } from '../../../test/helpers/serving-fixtures.js';
import { loadServedModel, type LoadOptions, type ServedModel } from '../../serving/model-runtime.js';
import { Predictor } from '../../serving/predictor.js';
import { servingMetrics } from '../../serving/serving-metrics.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { inferenceApp } from './app.js';
import type { ServingState } from './state.js';
import { limitNames } from '../../cli/serve-settings.js';

let dir: string;
let store: Store;
const models: ServedModel[] = [];
const MAX_BODY = 64 * 1024;

function stateFor(model: ServedModel | null, extra: Partial<ServingState> = {}): ServingState {
  return {
    predictor: model ? new Predictor(model, { maxBatchSize: 8, maxDelayMs: 1 }, {}, { names: limitNames() }) : null,
    loadError: null,
    metrics: servingMetrics(),
    modelName: model?.name ?? 'models:/tab/3',
    mlxVersion: '0.0.0',
    maxBodyBytes: MAX_BODY,
    // Refusals name mlx serve's flags, as the CLI has them do.
    limitNames: limitNames(),
    inFlight: 0,
    ...extra,
  };
}

async function appOf(file: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<Hono> {
  const p = path.join(dir, file);
  fs.writeFileSync(p, bytes);
  const m = await loadServedModel(store, p, opts);
  models.push(m);
  return inferenceApp(stateFor(m));
}

const post = (app: Hono, url: string, body: unknown, type = 'application/json', headers: Record<string, string> = {}) =>
  app.request(url, { method: 'POST', headers: { 'content-type': type, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** An MLflow-shaped error: status, {"error_code", "message"} only, the model headers, and what the message must name. */
async function mlflowError(res: Response | Promise<Response>, status: number, code: string, ...mentions: string[]): Promise<string> {
  const r = await res;
  const body = await json(r);
  expect(r.status, JSON.stringify(body)).toBe(status);
  expect(Object.keys(body).sort()).toEqual(['error_code', 'message']);
  expect(body.error_code).toBe(code);
  for (const m of mentions) expect(body.message).toContain(m);
  expect(r.headers.has('X-Mlx-Model')).toBe(true);
  expect(r.headers.has('X-Mlx-Model-Version')).toBe(true);
  return body.message;
}

/** An Open Inference Protocol error: {"error": message} only. */
async function v2Error(res: Response | Promise<Response>, status: number, ...mentions: string[]): Promise<string> {
  const r = await res;
  const body = await json(r);
  expect(r.status, JSON.stringify(body)).toBe(status);
  expect(Object.keys(body)).toEqual(['error']);
  for (const m of mentions) expect(body.error).toContain(m);
  expect(r.headers.has('X-Mlx-Model')).toBe(true);
  expect(r.headers.has('X-Mlx-Model-Version')).toBe(true);
  return body.error;
}

let tab: Hono;
let img: Hono;
let pair: Hono;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-app-err-'));
  store = await openStore(path.join(dir, '.mlx'), { create: false });
  fs.writeFileSync(path.join(dir, 'labels.txt'), IMAGE_LABELS);
  tab = await appOf('tab.onnx', tabularBytes());
  img = await appOf('img.onnx', imageBytes(), { labelsFile: path.join(dir, 'labels.txt'), preprocess: IMAGE_SPEC });
  pair = await appOf('pair.onnx', pairModelBytes());
});

afterAll(async () => {
  for (const m of models) await m.release();
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('before the model is loaded', () => {
  it('/ready answers 503 while the predictor is null; /health says loading; inference answers 503', async () => {
    const app = inferenceApp(stateFor(null));
    const ready = await app.request('/ready');
    expect(ready.status).toBe(503);
    expect(await json(ready)).toEqual({ ready: false });
    expect(ready.headers.get('X-Mlx-Model')).toBe('models:/tab/3');
    expect(ready.headers.has('X-Mlx-Model-Version')).toBe(true);
    const health = await app.request('/health');
    expect(health.status).toBe(200);
    expect(await json(health)).toEqual({ status: 'loading', model_loaded: false, model: 'models:/tab/3', version: null, device: null });
    expect((await app.request('/ping')).status).toBe(503);
    expect((await app.request('/v2/health/ready')).status).toBe(503);
    expect((await app.request('/v2/health/live')).status).toBe(200);
    await mlflowError(post(app, '/invocations', { instances: [[1, 2, 3, 4, 5]] }), 503, 'TEMPORARILY_UNAVAILABLE', '/ready');
    await mlflowError(post(app, '/predict', { instances: [[1, 2, 3, 4, 5]] }), 503, 'TEMPORARILY_UNAVAILABLE');
    await v2Error(app.request('/v2/models/tab'), 503, 'loading');
  });

  it('a model that failed to load: /health and /ready answer 503 with the reason', async () => {
    const app = inferenceApp(stateFor(null, { loadError: 'model file "x.onnx" does not exist' }));
    const health = await app.request('/health');
    expect(health.status).toBe(503);
    expect(await json(health)).toMatchObject({ status: 'unhealthy', model_loaded: false, error: 'model file "x.onnx" does not exist' });
    const ready = await app.request('/ready');
    expect(ready.status).toBe(503);
    expect((await json(ready)).error).toContain('x.onnx');
    await mlflowError(post(app, '/invocations', { instances: [[1]] }), 503, 'TEMPORARILY_UNAVAILABLE', 'failed to load', 'x.onnx');
  });
});

describe('/invocations', () => {
  it('415 for content types other than JSON and CSV', async () => {
    await mlflowError(post(tab, '/invocations', '1,2,3,4,5', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE', 'text/plain', 'application/json', 'text/csv');
    await mlflowError(
      tab.request('/invocations', { method: 'POST', body: imageForm(new Uint8Array(4)) }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'multipart/form-data',
    );
  });

  it('400 BAD_REQUEST for malformed JSON and for bodies with not exactly one format', async () => {
    await mlflowError(post(tab, '/invocations', '{"instances": [[1, 2'), 400, 'BAD_REQUEST', 'not valid JSON');
    await mlflowError(post(tab, '/invocations', [[1, 2, 3, 4, 5]]), 400, 'BAD_REQUEST', 'dataframe_split');
    await mlflowError(post(tab, '/invocations', { rows: [[1, 2, 3, 4, 5]] }), 400, 'BAD_REQUEST', 'exactly one of');
    await mlflowError(post(tab, '/invocations', { instances: [[1, 2, 3, 4, 5]], inputs: [[1, 2, 3, 4, 5]] }), 400, 'BAD_REQUEST', 'instances and inputs');
  });

  it('400 naming the expected shape for tensors of the wrong shape', async () => {
    await mlflowError(post(tab, '/invocations', { instances: [[1, 2, 3]] }), 400, 'BAD_REQUEST', '[-1, 5]', '[1, 3]');
    await mlflowError(post(tab, '/invocations', { inputs: { features: [1, 2, 3, 4, 5] } }), 400, 'BAD_REQUEST', '[-1, 5]');
    await mlflowError(post(tab, '/invocations', { dataframe_split: { data: [[1, 2, 3, 4]] } }), 400, 'BAD_REQUEST', '5 values');
    await mlflowError(
      post(tab, '/invocations', {
        instances: [
          [1, 2, 3, 4, 5],
          [1, 2],
        ],
      }),
      400,
      'BAD_REQUEST',
      'ragged',
    );
  });

  it('400 for values of the wrong type, naming the input and the value', async () => {
    await mlflowError(post(tab, '/invocations', { instances: [[1, 2, 'three', 4, 5]] }), 400, 'BAD_REQUEST', '"three"', 'float32');
    await mlflowError(post(tab, '/invocations', { inputs: { features: [[1, 2, null, 4, 5]] } }), 400, 'BAD_REQUEST', 'null');
    await mlflowError(post(pair, '/invocations', { inputs: { a: [[1, 2, 3]], b: [[1, 2.5, 3]] } }), 400, 'BAD_REQUEST', '"b"', '2.5', 'int64');
  });

  it('400 for missing or unknown columns and inputs', async () => {
    const records = [{ age: 40, income: 5e4, score: 60, clicks: 8 }];
    await mlflowError(post(tab, '/invocations', { dataframe_records: records }), 400, 'BAD_REQUEST', '"time"');
    await mlflowError(
      post(tab, '/invocations', { dataframe_split: { columns: ['a', 'b', 'c', 'd', 'e'], data: [[1, 2, 3, 4, 5]] } }),
      400,
      'BAD_REQUEST',
      '"age"',
    );
    await mlflowError(post(tab, '/invocations', 'age,income,score,clicks\n1,2,3,4\n', 'text/csv'), 400, 'BAD_REQUEST', '"time"');
    await mlflowError(post(tab, '/invocations', 'age,income,score,clicks,time\n', 'text/csv'), 400, 'BAD_REQUEST', 'data row');
    await mlflowError(post(tab, '/invocations', { inputs: { wrong: [[1, 2, 3, 4, 5]] } }), 400, 'BAD_REQUEST', '"wrong"', '"features"');
    await mlflowError(post(pair, '/invocations', { inputs: { a: [[1, 2, 3]] } }), 400, 'BAD_REQUEST', '"b"', 'missing');
    await mlflowError(post(pair, '/invocations', { instances: [[1, 2, 3]] }), 400, 'BAD_REQUEST', '2 inputs');
  });
});

describe('/predict', () => {
  it('400 for an upload that is not an image, and for a form without a "file" field', async () => {
    await mlflowError(
      img.request('/predict', { method: 'POST', body: imageForm(new TextEncoder().encode('not an image at all')) }),
      400,
      'BAD_REQUEST',
      'cannot decode image',
    );
    const form = new FormData();
    form.append('image', new Blob([(await encodedImage('cat', 1)).bytes]), 'cat.png');
    await mlflowError(img.request('/predict', { method: 'POST', body: form }), 400, 'BAD_REQUEST', '"file"');
    const text = new FormData();
    text.append('file', 'just text');
    await mlflowError(img.request('/predict', { method: 'POST', body: text }), 400, 'BAD_REQUEST', '"file"');
  });

  it('400 for a bad top_k, JSON rows to an image model, images to a tabular model; 415 for other types', async () => {
    const png = (await encodedImage('cat', 1)).bytes;
    await mlflowError(img.request('/predict?top_k=0', { method: 'POST', body: imageForm(png) }), 400, 'BAD_REQUEST', 'top_k');
    await mlflowError(img.request('/predict?top_k=two', { method: 'POST', body: imageForm(png) }), 400, 'BAD_REQUEST', '"two"');
    await mlflowError(post(img, '/predict', { instances: [[1, 2, 3]] }), 400, 'BAD_REQUEST');
    await mlflowError(tab.request('/predict', { method: 'POST', body: imageForm(png) }), 400, 'BAD_REQUEST', 'does not take images');
    await mlflowError(post(tab, '/predict', { rows: [[1, 2, 3, 4, 5]] }), 400, 'BAD_REQUEST', 'instances');
    await mlflowError(post(tab, '/predict', '{"instances":'), 400, 'BAD_REQUEST', 'not valid JSON');
    await mlflowError(post(tab, '/predict', 'x', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('body limit and unknown routes', () => {
  const big = { instances: [Array.from({ length: MAX_BODY }, () => 1)] };

  it('413 for a body over maxBodyBytes, with or without a Content-Length', async () => {
    const text = JSON.stringify(big);
    await mlflowError(
      post(tab, '/invocations', text, 'application/json', { 'content-length': String(text.length) }),
      413,
      'REQUEST_TOO_LARGE',
      '--max-body-mb',
    );
    await mlflowError(post(tab, '/invocations', text), 413, 'REQUEST_TOO_LARGE');
    await mlflowError(img.request('/predict', { method: 'POST', body: imageForm(new Uint8Array(MAX_BODY + 1)) }), 413, 'REQUEST_TOO_LARGE');
    await v2Error(post(tab, '/v2/models/tab/infer', text), 413, '--max-body-mb');
  });

  it('a body just under the limit is served', async () => {
    const rows = Array.from({ length: 100 }, () => [40, 52000, 60, 8, 4]);
    const r = await post(tab, '/invocations', { instances: rows });
    expect(r.status).toBe(200);
    expect((await json(r)).predictions).toHaveLength(100);
  });

  it('404 JSON for an unknown route, in each protocol’s shape', async () => {
    await mlflowError(tab.request('/nope'), 404, 'NOT_FOUND', '/nope');
    await mlflowError(tab.request('/predict'), 404, 'NOT_FOUND', 'GET /predict');
    await v2Error(tab.request('/v2/nope'), 404, '/v2/nope');
  });
});

describe('/v2 errors', () => {
  const infer = (inputs: unknown, url = '/v2/models/tab/infer') => post(tab, url, { inputs });
  const features = (extra: Record<string, unknown> = {}) => ({ name: 'features', shape: [1, 5], datatype: 'FP32', data: [1, 2, 3, 4, 5], ...extra });

  it('404 for an unknown model or version', async () => {
    await v2Error(tab.request('/v2/models/other'), 404, '"other"', '"tab"');
    await v2Error(tab.request('/v2/models/tab/versions/2'), 404, '"2"');
    await v2Error(tab.request('/v2/models/other/ready'), 404, '"other"');
    await v2Error(infer([features()], '/v2/models/other/infer'), 404, '"other"');
    await v2Error(infer([features()], '/v2/models/tab/versions/9/infer'), 404, '"9"');
  });

  it('400 for the wrong datatype or shape, naming the expected ones', async () => {
    await v2Error(infer([features({ datatype: 'FP64' })]), 400, 'FP32', '[-1, 5]', 'FP64');
    await v2Error(infer([features({ datatype: 'FLOAT' })]), 400, '"FLOAT"', 'FP32');
    await v2Error(infer([features({ shape: [1, 4], data: [1, 2, 3, 4] })]), 400, '[-1, 5]', '[1, 4]');
    await v2Error(infer([features({ shape: [1, 5], data: [1, 2, 3] })]), 400, '3 values');
    await v2Error(infer([features({ shape: [-1, 5] })]), 400, 'shape');
    await v2Error(infer([features({ data: [1, 2, 'x', 4, 5] })]), 400, '"x"');
  });

  it('400 for malformed requests', async () => {
    await v2Error(post(tab, '/v2/models/tab/infer', '{"inputs": ['), 400, 'not valid JSON');
    await v2Error(infer([]), 400, 'inputs');
    await v2Error(post(tab, '/v2/models/tab/infer', { data: [1] }), 400, 'inputs');
    await v2Error(infer([features({ name: 'nope' })]), 400, '"nope"');
    await v2Error(infer([{ shape: [1, 5], datatype: 'FP32', data: [1, 2, 3, 4, 5] }]), 400, 'name');
    await v2Error(post(tab, '/v2/models/tab/infer', { inputs: [features()], outputs: [{ name: 'nope' }] }), 400, '"nope"');
    await v2Error(post(pair, '/v2/models/pair/infer', { inputs: [{ name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }), 400, '"b"');
  });
});
