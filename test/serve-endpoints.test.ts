// `mlx serve` as a real process on a real port: every endpoint of issue 4 against registered models.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, scrape, servingProject, startServe, stopAll, type Server } from './helpers/serve.js';
import {
  FEATURES,
  SEED_LABELS,
  VALUE_CLASSES,
  encodedImage,
  expectClose,
  imageForm,
  metric,
  tabularExpected,
  tabularRows,
  json,
} from './helpers/serving-fixtures.js';

let dir: string;
let img: Server;
let tab: Server;

beforeAll(async () => {
  dir = servingProject();
  [img, tab] = await Promise.all([startServe(dir, 'models:/img/1'), startServe(dir, 'models:/tab/1')]);
}, 60_000);

afterAll(async () => {
  await stopAll();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const rows = tabularRows(6, 11);
const expected = tabularExpected(rows);
const shuffled = ['score', 'time', 'age', 'income', 'clicks'];
const pick = (r: number[], cols: string[]) => cols.map((c) => r[FEATURES.indexOf(c as never)]);

describe('health and readiness', () => {
  it('/health names the model and version; /ready answers 200 once the model is loaded', async () => {
    const h = await fetch(`${img.base}/health`);
    expect(h.status).toBe(200);
    // No GPU here: auto serves on the CPU and says why.
    expect(await json(h)).toEqual({
      status: 'healthy',
      model_loaded: true,
      model: 'img',
      version: 1,
      device: 'cpu',
      device_reason: expect.stringMatching(/CUDA execution provider|no NVIDIA GPU/),
    });
    expect(h.headers.get('x-mlx-model')).toBe('img');
    expect(h.headers.get('x-mlx-model-version')).toBe('1');
    const r = await fetch(`${tab.base}/ready`);
    expect(r.status).toBe(200);
    expect(await json(r)).toEqual({ ready: true });
    expect((await fetch(`${tab.base}/ping`)).status).toBe(200);
    expect(await (await fetch(`${tab.base}/version`)).text()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('/predict with images', () => {
  for (const format of ['png', 'jpeg', 'webp'] as const) {
    it(`classifies a ${format.toUpperCase()} upload: label, class id, confidences, top_k as asked`, async () => {
      for (const [label, seed] of [
        ['cat', 1],
        ['bird', 2],
        ['fish', 3],
      ] as const) {
        const image = await encodedImage(label, seed, format);
        const r = await fetch(`${img.base}/predict?top_k=3`, { method: 'POST', body: imageForm(image.bytes) });
        expect(r.status).toBe(200);
        expect(r.headers.get('x-mlx-model')).toBe('img');
        const p = await json(r);
        expect(p).toMatchObject({ label, class_id: SEED_LABELS.indexOf(label) });
        expect(p.class_id).toBe(image.classId);
        expect(p.top_k).toHaveLength(3);
        expect(p.top_k[0]).toEqual({ label: p.label, confidence: p.confidence, class_id: p.class_id });
        const conf = p.top_k.map((s: { confidence: number }) => s.confidence);
        expect([...conf].sort((a, b) => b - a)).toEqual(conf);
        expect(conf.reduce((a: number, b: number) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);
        for (const s of p.top_k) expect(s.label).toBe(SEED_LABELS[s.class_id]);
        // PNG is lossless: the served confidence is the model's own on these exact pixels.
        if (format === 'png') expect(p.confidence).toBeCloseTo(image.probs[image.classId], 4);
      }
    });
  }

  it('top_k defaults to one entry', async () => {
    const image = await encodedImage('dog', 4);
    const p = await json(fetch(`${img.base}/predict`, { method: 'POST', body: imageForm(image.bytes) }));
    expect(p.label).toBe('dog');
    expect(p.top_k).toHaveLength(1);
  });

  it('several "file" fields answer {"predictions": [...]}, one per image, in order', async () => {
    const images = await Promise.all([
      encodedImage('fish', 5, 'png'),
      encodedImage('cat', 6, 'jpeg'),
      encodedImage('other', 7, 'webp'),
      encodedImage('dog', 8),
    ]);
    const r = await fetch(`${img.base}/predict?top_k=2`, { method: 'POST', body: imageForm(...images.map((i) => i.bytes)) });
    expect(r.status).toBe(200);
    const { predictions } = await json(r);
    expect(predictions.map((p: { label: string }) => p.label)).toEqual(['fish', 'cat', 'other', 'dog']);
    for (const p of predictions) expect(p.top_k).toHaveLength(2);
  });
});

describe('/predict with tabular JSON', () => {
  it('{"instances"} answers one prediction per row, as the model predicts', async () => {
    const r = await postJson(`${tab.base}/predict`, { instances: rows });
    expect(r.status).toBe(200);
    const { predictions } = await json(r);
    expect(predictions).toHaveLength(rows.length);
    predictions.forEach((p: { label: string; class_id: number; confidence: number }, i: number) => {
      const best = expected[i].indexOf(Math.max(...expected[i]));
      expect(p.class_id).toBe(best);
      expect(p.label).toBe(VALUE_CLASSES[best]);
      expect(p.confidence).toBeCloseTo(expected[i][best], 5);
    });
  });
});

describe('/invocations (clients of mlflow models serve)', () => {
  const formats: [string, unknown][] = [
    ['dataframe_split', { dataframe_split: { columns: [...FEATURES], data: rows } }],
    ['dataframe_split, columns shuffled', { dataframe_split: { columns: shuffled, data: rows.map((r) => pick(r, shuffled)) } }],
    ['dataframe_records, keys shuffled', { dataframe_records: rows.map((r) => Object.fromEntries(shuffled.map((c) => [c, r[FEATURES.indexOf(c as never)]]))) }],
    ['instances', { instances: rows }],
    ['inputs (list)', { inputs: rows }],
    ['inputs (dict)', { inputs: { features: rows } }],
  ];
  for (const [what, body] of formats) {
    it(`${what}: {"predictions"} equal to the model's own outputs`, async () => {
      const r = await postJson(`${tab.base}/invocations`, body);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expectClose((await json(r)).predictions, expected, 1e-5, what);
    });
  }

  it('text/csv with a header in any column order', async () => {
    for (const cols of [[...FEATURES], shuffled]) {
      const csv = [cols.join(','), ...rows.map((r) => pick(r, cols).join(','))].join('\n');
      const r = await postJson(`${tab.base}/invocations`, csv, 'text/csv');
      expect(r.status).toBe(200);
      expectClose((await json(r)).predictions, expected, 1e-5, `csv ${cols}`);
    }
  });

  it('every format gives exactly the same answer', async () => {
    const answers = await Promise.all(formats.map(async ([, body]) => (await json(postJson(`${tab.base}/invocations`, body))).predictions));
    for (const a of answers) expect(a).toEqual(answers[0]);
  });
});

describe('/v2 (Open Inference Protocol)', () => {
  it('server metadata, live and ready', async () => {
    const meta = await json(fetch(`${tab.base}/v2`));
    expect(meta).toMatchObject({ name: 'mlx', extensions: [] });
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await json(fetch(`${tab.base}/v2/health/live`))).toEqual({ live: true });
    expect(await json(fetch(`${tab.base}/v2/health/ready`))).toEqual({ ready: true });
    expect(await json(fetch(`${tab.base}/v2/models/tab/ready`))).toEqual({ name: 'tab', ready: true });
    expect((await fetch(`${tab.base}/v2/models/tab/versions/1/ready`)).status).toBe(200);
  });

  it('model metadata, with -1 for the dynamic batch dimension', async () => {
    const m = await json(fetch(`${img.base}/v2/models/img`));
    expect(m).toEqual({
      name: 'img',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'image', datatype: 'FP32', shape: [-1, 3, 32, 32] }],
      outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 5] }],
      parameters: { device: 'cpu' },
    });
    expect(await json(fetch(`${img.base}/v2/models/img/versions/1`))).toEqual(m);
  });

  it('infer with flat and with nested data, and through versions/{v}', async () => {
    for (const [url, data] of [
      ['/v2/models/tab/infer', rows.flat()],
      ['/v2/models/tab/infer', rows],
      ['/v2/models/tab/versions/1/infer', rows.flat()],
    ] as const) {
      const r = await postJson(`${tab.base}${url}`, { id: 'x1', inputs: [{ name: 'features', shape: [rows.length, 5], datatype: 'FP32', data }] });
      expect(r.status, url).toBe(200);
      const body = await json(r);
      expect(body).toMatchObject({ model_name: 'tab', model_version: '1', id: 'x1' });
      expect(body.outputs).toHaveLength(1);
      expect(body.outputs[0]).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [rows.length, 3] });
      expectClose(body.outputs[0].data, expected.flat(), 1e-5, url);
    }
  });

  it('unknown model or version: 404 {"error"}; wrong datatype: 400 {"error"}', async () => {
    const input = { name: 'features', shape: [1, 5], datatype: 'FP32', data: rows[0] };
    for (const url of ['/v2/models/nope', '/v2/models/tab/versions/2', '/v2/models/nope/ready']) {
      const r = await fetch(`${tab.base}${url}`);
      expect(r.status, url).toBe(404);
      expect(Object.keys(await json(r)), url).toEqual(['error']);
    }
    for (const url of ['/v2/models/nope/infer', '/v2/models/tab/versions/2/infer']) {
      const r = await postJson(`${tab.base}${url}`, { inputs: [input] });
      expect(r.status, url).toBe(404);
      expect(Object.keys(await json(r))).toEqual(['error']);
    }
    const bad = await postJson(`${tab.base}/v2/models/tab/infer`, { inputs: [{ ...input, datatype: 'INT32' }] });
    expect(bad.status).toBe(400);
    const body = await json(bad);
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toContain('FP32');
    expect(body.error).toContain('[-1, 5]');
  });
});

describe('/metrics', () => {
  it('after traffic: requests by route, status and model version; batch sizes; in flight; load time', async () => {
    await postJson(`${tab.base}/invocations`, { instances: rows });
    await postJson(`${tab.base}/invocations`, '{broken');
    await fetch(`${tab.base}/no-such-route`);
    const text = await scrape(tab);
    expect(text).toContain('# TYPE mlx_requests_total counter');
    expect(metric(text, 'mlx_requests_total', { route: '/invocations', status: '200', model_version: '1' })).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'mlx_requests_total', { route: '/invocations', status: '400', model_version: '1' })).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'mlx_requests_total', { route: 'other', status: '404', model_version: '1' })).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'mlx_requests_total', { route: '/health', status: '200', model_version: '1' })).toBeUndefined();
    expect(text).toContain('# TYPE mlx_request_duration_seconds histogram');
    expect(metric(text, 'mlx_request_duration_seconds_bucket', { route: '/invocations', le: '+Inf' })).toBe(
      metric(text, 'mlx_request_duration_seconds_count', { route: '/invocations' }),
    );
    expect(text).toContain('# TYPE mlx_inference_batch_size histogram');
    expect(metric(text, 'mlx_inference_batch_size_count')).toBeGreaterThan(0);
    expect(metric(text, 'mlx_inference_batch_size_bucket', { le: '+Inf' })).toBe(metric(text, 'mlx_inference_batch_size_count'));
    expect(text).toContain('# TYPE mlx_requests_in_flight gauge');
    expect(metric(text, 'mlx_requests_in_flight')).toBe(1);
    expect(text).toContain('# TYPE mlx_model_load_seconds gauge');
    expect(metric(text, 'mlx_model_load_seconds', { model: 'tab', version: '1' })).toBeGreaterThan(0);
    expect(metric(text, 'mlx_model_info', { model: 'tab', version: '1' })).toBe(1);
  });

  it('image uploads feed the preprocessing histogram', async () => {
    await fetch(`${img.base}/predict`, { method: 'POST', body: imageForm((await encodedImage('cat', 9)).bytes) });
    const text = await scrape(img);
    expect(metric(text, 'mlx_preprocess_duration_seconds_count')).toBeGreaterThan(0);
    expect(metric(text, 'mlx_requests_total', { route: '/predict', method: 'POST', status: '200', model_version: '1' })).toBeGreaterThan(0);
  });
});
