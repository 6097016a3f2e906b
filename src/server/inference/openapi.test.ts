// Issue 22, item 18: labels from /invocations, an OpenAPI description from the signature, raw image bodies to /predict.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IMAGE_LABELS,
  IMAGE_SPEC,
  SEED_LABELS,
  TABULAR_LABELS,
  VALUE_CLASSES,
  encodedImage,
  imageBytes,
  json,
  pairModelBytes,
  tabularBytes,
  tabularExpected,
  tabularRows,
} from '../../../test/helpers/serving-fixtures.js';
import { loadServedModel, type LoadOptions, type ServedModel } from '../../serving/model-runtime.js';
import { Predictor } from '../../serving/predictor.js';
import { servingMetrics } from '../../serving/serving-metrics.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
import { inferenceApp } from './app.js';

let dir: string;
let store: Store;
const models: ServedModel[] = [];

async function appOf(file: string, bytes: Uint8Array, opts: LoadOptions = {}) {
  fs.writeFileSync(path.join(dir, file), bytes);
  const m = await loadServedModel(store, path.join(dir, file), opts);
  models.push(m);
  return inferenceApp({
    predictor: new Predictor(m, { maxBatchSize: 16, maxDelayMs: 1 }),
    loadError: null,
    metrics: servingMetrics(),
    modelName: m.name,
    mlxVersion: '9.8.7',
    maxBodyBytes: 1024 * 1024,
    inFlight: 0,
  });
}

let pair: Awaited<ReturnType<typeof appOf>>;
let labelled: Awaited<ReturnType<typeof appOf>>;
let img: Awaited<ReturnType<typeof appOf>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-openapi-'));
  store = await openStore(path.join(dir, '.mlx'), { create: false });
  fs.writeFileSync(path.join(dir, 'img.txt'), IMAGE_LABELS);
  fs.writeFileSync(path.join(dir, 'tab.txt'), TABULAR_LABELS);
  pair = await appOf('pair.onnx', pairModelBytes());
  labelled = await appOf('labelled.onnx', tabularBytes(), { labelsFile: path.join(dir, 'tab.txt') });
  img = await appOf('img.onnx', imageBytes(), { labelsFile: path.join(dir, 'img.txt'), preprocess: IMAGE_SPEC });
});

afterAll(async () => {
  for (const m of models) await m.release();
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const post = (app: typeof img, url: string, body: unknown, type = 'application/json') =>
  app.request(url, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });

describe('/invocations of a classifier with labels', () => {
  it('answers labels (the top class per row) and classes (the order of the probabilities) beside predictions', async () => {
    const rows = tabularRows(4);
    const body = await json(post(labelled, '/invocations', { instances: rows }));
    const expected = tabularExpected(rows);
    expect(body.classes).toEqual(VALUE_CLASSES);
    expect(body.labels).toEqual(expected.map((p) => VALUE_CLASSES[p.indexOf(Math.max(...p))]));
    expect(body.predictions).toHaveLength(4);
    expect(body.predictions[0]).toHaveLength(VALUE_CLASSES.length);
    // A model that does not classify answers as MLflow does: {"predictions": ...} only.
    expect(Object.keys(await json(post(pair, '/invocations', { inputs: { a: [[1, 2, 3]], b: [[3, 4, 5]] } })))).toEqual(['predictions']);
  });
});

describe('OpenAPI', () => {
  it('GET /openapi.json describes the endpoints from the signature: columns, classes, image content types', async () => {
    const t = await json(labelled.request('/openapi.json'));
    expect(t.openapi).toBe('3.0.3');
    expect(t.info.description).toContain('Classes: low, medium, high');
    const inv = t.paths['/invocations'].post;
    expect(inv.responses['200'].content['application/json'].schema.properties.classes.example).toEqual(VALUE_CLASSES);
    expect(t.paths['/predict'].post.requestBody.content['application/json'].schema.properties.instances.items).toMatchObject({ minItems: 5, maxItems: 5 });
    const i = await json(img.request('/openapi.json'));
    expect(Object.keys(i.paths['/predict'].post.requestBody.content)).toEqual(['multipart/form-data', 'image/jpeg', 'image/png', 'image/webp']);
    expect(i.paths['/predict'].post.responses['200'].content['application/json'].schema.properties.label.enum).toEqual(SEED_LABELS);
  });

  it('GET /docs is a self-contained page (no scripts), GET / leads to it', async () => {
    const r = await img.request('/docs');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const html = await r.text();
    expect(html).toContain('<code>POST /predict</code>');
    expect(html).not.toMatch(/<script/i);
    const root = await img.request('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/docs');
  });
});

describe('raw image bodies to /predict', () => {
  it('image/png and image/jpeg bodies answer as a form upload does; an empty or broken one is a 400', async () => {
    for (const format of ['png', 'jpeg'] as const) {
      const image = await encodedImage('dog', 3, format);
      const raw = await json(post(img, '/predict?top_k=2', image.bytes, `image/${format}`));
      const form = new FormData();
      form.append('file', new Blob([image.bytes]), `dog.${format}`);
      const viaForm = await json(img.request('/predict?top_k=2', { method: 'POST', body: form }));
      expect(raw).toEqual(viaForm);
      expect(raw.top_k).toHaveLength(2);
    }
    const empty = await post(img, '/predict', new Uint8Array(0), 'image/png');
    expect(empty.status).toBe(400);
    expect((await json(empty)).message).toContain('the body is empty');
    const broken = await post(img, '/predict', new Uint8Array([1, 2, 3, 4]), 'image/jpeg');
    expect(broken.status).toBe(400);
    const unknown = await post(img, '/predict', new Uint8Array([1, 2, 3]), 'image/bmp');
    expect(unknown.status).toBe(415);
  });
});
