// The inference app in-process (Hono's app.request) over real onnxruntime sessions of real ONNX models.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FEATURES,
  IMAGE_LABELS,
  IMAGE_SPEC,
  SEED_LABELS,
  VALUE_CLASSES,
  encodedImage,
  expectClose,
  imageBytes,
  imageForm,
  metric,
  pairModelBytes,
  tabularBytes,
  tabularExpected,
  tabularRows,
  json,
} from '../../../test/helpers/serving-fixtures.js';
import { loadServedModel, type LoadOptions, type ServedModel } from '../../serving/model-runtime.js';
import { Predictor } from '../../serving/predictor.js';
import { servingMetrics } from '../../serving/serving-metrics.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { inferenceApp } from './app.js';
import type { ServingState } from './state.js';

let dir: string;
let store: Store;
const models: ServedModel[] = [];

async function load(file: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<ServedModel> {
  const p = path.join(dir, file);
  fs.writeFileSync(p, bytes);
  // On the CPU whatever the machine has: the answers below are the CPU's.
  const m = await loadServedModel(store, p, { device: { kind: 'cpu' }, ...opts });
  models.push(m);
  return m;
}

function appFor(model: ServedModel) {
  const state: ServingState = {
    predictor: null,
    loadError: null,
    metrics: servingMetrics(),
    modelName: model.name,
    mlxVersion: '9.8.7',
    maxBodyBytes: 1024 * 1024,
    inFlight: 0,
  };
  state.predictor = new Predictor(model, { maxBatchSize: 16, maxDelayMs: 1 }, { onBatch: (n) => state.metrics.batchSize.observe({}, n) });
  return { app: inferenceApp(state), state };
}

const post = (app: Hono, url: string, body: unknown, type = 'application/json') =>
  app.request(url, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const rows = tabularRows(5);
const expected = tabularExpected(rows);
let tab: ReturnType<typeof appFor>;
let img: ReturnType<typeof appFor>;
let pair: ReturnType<typeof appFor>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-app-'));
  store = await openStore(path.join(dir, '.mlx'), { create: false });
  fs.writeFileSync(path.join(dir, 'labels.txt'), IMAGE_LABELS);
  tab = appFor(await load('tab.onnx', tabularBytes()));
  img = appFor(await load('img.onnx', imageBytes(), { labelsFile: path.join(dir, 'labels.txt'), preprocess: IMAGE_SPEC }));
  pair = appFor(await load('pair.onnx', pairModelBytes()));
});

afterAll(async () => {
  for (const m of models) await m.release();
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('health and identity', () => {
  it('/health names the model; /ready, /ping answer 200; /version is the mlx version', async () => {
    const h = await tab.app.request('/health');
    expect(h.status).toBe(200);
    expect(await json(h)).toEqual({ status: 'healthy', model_loaded: true, model: 'tab', version: null, device: 'cpu' });
    expect((await tab.app.request('/ready')).status).toBe(200);
    expect((await tab.app.request('/ping')).status).toBe(200);
    expect(await (await tab.app.request('/version')).text()).toBe('9.8.7');
  });

  it('every response carries X-Mlx-Model and X-Mlx-Model-Version, errors and 404s included', async () => {
    const responses = [
      await tab.app.request('/health'),
      await tab.app.request('/metrics'),
      await post(tab.app, '/invocations', { instances: rows }),
      await post(tab.app, '/invocations', '{not json'),
      await post(tab.app, '/invocations', 'x', 'text/plain'),
      await tab.app.request('/no/such/route'),
      await tab.app.request('/v2/models/other'),
      await post(tab.app, '/v2/models/tab/infer', { inputs: [{ name: 'features', shape: [1, 5], datatype: 'INT32', data: [1, 2, 3, 4, 5] }] }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 400, 415, 404, 404, 400]);
    for (const r of responses) {
      expect(r.headers.get('X-Mlx-Model')).toBe('tab');
      // Served from a file, not the registry: there is no registry version.
      expect(r.headers.get('X-Mlx-Model-Version')).toBe('file');
    }
  });
});

describe('/predict', () => {
  it('classifies an uploaded image: label, confidence, class id and top_k', async () => {
    const image = await encodedImage('dog', 3);
    const r = await img.app.request('/predict?top_k=3', { method: 'POST', body: imageForm(image.bytes) });
    expect(r.status).toBe(200);
    const body = await json(r);
    expect(body).toMatchObject({ label: 'dog', class_id: 1 });
    expect(body.confidence).toBeCloseTo(image.probs[1], 5);
    expect(body.top_k).toHaveLength(3);
    expect(body.top_k[0]).toEqual({ label: 'dog', class_id: 1, confidence: body.confidence });
    body.top_k.forEach((s: { class_id: number; label: string; confidence: number }) => {
      expect(s.label).toBe(SEED_LABELS[s.class_id]);
      expect(s.confidence).toBeCloseTo(image.probs[s.class_id], 5);
    });
    const one = await json(img.app.request('/predict', { method: 'POST', body: imageForm(image.bytes) }));
    expect(one.top_k).toHaveLength(1);
  });

  it('several "file" fields answer {"predictions": [...]} in order', async () => {
    const images = await Promise.all([encodedImage('cat', 1), encodedImage('fish', 2), encodedImage('bird', 3)]);
    const r = await img.app.request('/predict', { method: 'POST', body: imageForm(...images.map((i) => i.bytes)) });
    const body = await json(r);
    expect(body.predictions.map((p: { label: string }) => p.label)).toEqual(['cat', 'fish', 'bird']);
  });

  it('tabular JSON {"instances"} answers one prediction per row', async () => {
    const r = await post(tab.app, '/predict?top_k=2', { instances: rows });
    expect(r.status).toBe(200);
    const { predictions } = await json(r);
    expect(predictions).toHaveLength(rows.length);
    predictions.forEach((p: { label: string; class_id: number; confidence: number; top_k: unknown[] }, i: number) => {
      const best = expected[i].indexOf(Math.max(...expected[i]));
      expect(p).toMatchObject({ class_id: best, label: VALUE_CLASSES[best] });
      expect(p.confidence).toBeCloseTo(expected[i][best], 5);
      expect(p.top_k).toHaveLength(2);
    });
  });
});

describe('/invocations (MLflow scoring protocol)', () => {
  const shuffled = ['time', 'age', 'clicks', 'income', 'score'];
  const record = (r: number[]) => Object.fromEntries(shuffled.map((c) => [c, r[FEATURES.indexOf(c as never)]]));

  it('every JSON format and CSV give the model’s own outputs', async () => {
    const bodies: [string, unknown, string?][] = [
      ['split', { dataframe_split: { columns: [...FEATURES], data: rows } }],
      ['split shuffled', { dataframe_split: { columns: shuffled, data: rows.map((r) => shuffled.map((c) => r[FEATURES.indexOf(c as never)])) } }],
      ['split no columns', { dataframe_split: { data: rows } }],
      ['records', { dataframe_records: rows.map(record) }],
      ['instances', { instances: rows }],
      ['inputs list', { inputs: rows }],
      ['inputs dict', { inputs: { features: rows } }],
      ['csv', [shuffled.join(','), ...rows.map((r) => shuffled.map((c) => r[FEATURES.indexOf(c as never)]).join(','))].join('\n') + '\n', 'text/csv'],
    ];
    for (const [what, body, type] of bodies) {
      const r = await post(tab.app, '/invocations', body as string, type);
      expect(r.status, what).toBe(200);
      expectClose((await json(r)).predictions, expected, 1e-5, what);
    }
  });

  it('several outputs come back by name; int64 inputs and outputs are plain numbers', async () => {
    const body = {
      inputs: {
        a: [
          [0.5, 2, -0.5],
          [1, 1, 1],
        ],
        b: [
          [1, 0, 3],
          [0, 5, 0],
        ],
      },
    };
    const r = await post(pair.app, '/invocations', body);
    expect(r.status).toBe(200);
    expect((await json(r)).predictions).toEqual({
      sum: [
        [1.5, 2, 2.5],
        [1, 6, 1],
      ],
      argmax: [2, 1],
    });
    // TF-serving rows: one object of named inputs per instance.
    const rowsBody = {
      instances: [
        { a: [0, 0, 1], b: [3, 0, 0] },
        { a: [0, 0, 0], b: [0, 0, 9] },
      ],
    };
    expect((await json(post(pair.app, '/invocations', rowsBody))).predictions).toEqual({
      sum: [
        [3, 0, 1],
        [0, 0, 9],
      ],
      argmax: [0, 2],
    });
  });
});

describe('/v2 (Open Inference Protocol)', () => {
  it('server metadata, liveness, readiness', async () => {
    expect(await json(tab.app.request('/v2'))).toEqual({ name: 'mlx', version: '9.8.7', extensions: [] });
    expect(await json(tab.app.request('/v2/health/live'))).toEqual({ live: true });
    expect(await json(tab.app.request('/v2/health/ready'))).toEqual({ ready: true });
    expect(await json(tab.app.request('/v2/models/tab/ready'))).toEqual({ name: 'tab', ready: true });
    expect((await tab.app.request('/v2/models/tab/versions/1/ready')).status).toBe(200);
  });

  it('model metadata with -1 for dynamic dimensions', async () => {
    const meta = {
      name: 'tab',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 5] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
      parameters: { device: 'cpu' },
    };
    expect(await json(tab.app.request('/v2/models/tab'))).toEqual(meta);
    expect(await json(tab.app.request('/v2/models/tab/versions/1'))).toEqual(meta);
    const p = await json(pair.app.request('/v2/models/pair'));
    expect(p.inputs).toEqual([
      { name: 'a', datatype: 'FP32', shape: [-1, 3] },
      { name: 'b', datatype: 'INT64', shape: [-1, 3] },
    ]);
    expect(p.outputs).toEqual([
      { name: 'sum', datatype: 'FP32', shape: [-1, 3] },
      { name: 'argmax', datatype: 'INT64', shape: [-1] },
    ]);
  });

  it('infer with flat and nested data, with and without a version, echoing the id', async () => {
    const input = (data: unknown) => ({ id: 'req-1', inputs: [{ name: 'features', shape: [rows.length, 5], datatype: 'FP32', data }] });
    for (const [url, data] of [
      ['/v2/models/tab/infer', rows.flat()],
      ['/v2/models/tab/infer', rows],
      ['/v2/models/tab/versions/1/infer', rows.flat()],
    ] as const) {
      const r = await post(tab.app, url, input(data));
      expect(r.status, url).toBe(200);
      const body = await json(r);
      expect(body).toMatchObject({ model_name: 'tab', model_version: '1', id: 'req-1' });
      expect(body.outputs).toHaveLength(1);
      expect(body.outputs[0]).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [rows.length, 3] });
      expectClose(body.outputs[0].data, expected.flat(), 1e-5, url);
    }
  });

  it('infer with two inputs of two types, and "outputs" picks which come back', async () => {
    const inputs = [
      { name: 'a', shape: [1, 3], datatype: 'FP32', data: [0.5, 0.25, 0] },
      { name: 'b', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] },
    ];
    const all = await json(post(pair.app, '/v2/models/pair/infer', { inputs }));
    expect(all.outputs).toEqual([
      { name: 'sum', datatype: 'FP32', shape: [1, 3], data: [1.5, 2.25, 3] },
      { name: 'argmax', datatype: 'INT64', shape: [1], data: [2] },
    ]);
    const some = await json(post(pair.app, '/v2/models/pair/infer', { inputs, outputs: [{ name: 'argmax' }] }));
    expect(some.outputs.map((o: { name: string }) => o.name)).toEqual(['argmax']);
  });
});

describe('/metrics', () => {
  it('Prometheus text whose counters, histograms and gauges move with traffic', async () => {
    const { app } = appFor(models[0]);
    const scrape = async () => {
      const r = await app.request('/metrics');
      expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      return r.text();
    };
    const ok = { route: '/invocations', method: 'POST', status: '200', model_version: 'file' };
    expect(metric(await scrape(), 'mlx_requests_total', ok)).toBeUndefined();
    await post(app, '/invocations', { instances: rows });
    await post(app, '/invocations', { instances: rows.slice(0, 2) });
    await post(app, '/invocations', '{');
    const text = await scrape();
    expect(text).toContain('# TYPE mlx_requests_total counter');
    expect(text).toContain('# TYPE mlx_request_duration_seconds histogram');
    expect(text).toContain('# TYPE mlx_inference_batch_size histogram');
    expect(text).toContain('# TYPE mlx_requests_in_flight gauge');
    expect(metric(text, 'mlx_requests_total', ok)).toBe(2);
    expect(metric(text, 'mlx_requests_total', { ...ok, status: '400' })).toBe(1);
    expect(metric(text, 'mlx_requests_total', { route: '/metrics', status: '200' })).toBe(1);
    expect(metric(text, 'mlx_request_duration_seconds_count', { route: '/invocations' })).toBe(3);
    expect(metric(text, 'mlx_request_duration_seconds_bucket', { route: '/invocations', le: '+Inf' })).toBe(3);
    expect(metric(text, 'mlx_inference_batch_size_sum')).toBe(rows.length + 2);
    // The scrape itself is the one request in flight.
    expect(metric(text, 'mlx_requests_in_flight')).toBe(1);
    const again = await scrape();
    expect(metric(again, 'mlx_requests_total', { route: '/metrics', status: '200' })).toBe(2);
    expect(metric(again, 'mlx_requests_total', ok)).toBe(2);
  });

  it('client-typed paths do not become route labels', async () => {
    const { app } = appFor(models[0]);
    for (const p of ['/a', '/b/c', '/v2/models/x/versions/7/infer']) await app.request(p);
    const text = await (await app.request('/metrics')).text();
    expect(metric(text, 'mlx_requests_total', { route: 'other', status: '404' })).toBe(2);
    expect(metric(text, 'mlx_requests_total', { route: '/v2/models/:name/infer', status: '404' })).toBe(1);
    expect(text).not.toContain('route="/b/c"');
  });
});
