// The seam to the inference log, in-process: what every prediction route hands to the sink (request id, column
// names, rows, predictions, variant, version, shadow answers), and POST /feedback.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeSink, fakeModel, rolloutApp } from '../../../test/helpers/rollout.js';
import { IMAGE_LABELS, IMAGE_SPEC, encodedImage, imageBytes, imageForm, json } from '../../../test/helpers/serving-fixtures.js';
import { loadServedModel, type ServedModel } from '../../serving/model-runtime.js';
import { openStore } from '../../store/open-store.js';
import { feedbackItems } from './feedback.js';

const post = (app: Hono, url: string, body: unknown, headers: Record<string, string> = {}, type = 'application/json') =>
  app.request(url, { method: 'POST', headers: { 'content-type': type, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

const released: ServedModel[] = [];
afterAll(async () => {
  for (const m of released) await m.release();
});

describe('records handed to the inference log', () => {
  const FEATURES = ['age', 'income', 'score'];

  it('/invocations: dataframe_split and dataframe_records keep their columns (in the order fed), rows as numbers', async () => {
    const sink = new FakeSink();
    const { app } = rolloutApp(
      'models:/clf@champion',
      {},
      { 'models:/clf@champion': fakeModel({ kind: 'classifier', classId: 2, featureNames: FEATURES }) },
      { sink },
    );
    const r = await post(
      app,
      '/invocations',
      {
        dataframe_split: {
          columns: ['score', 'age', 'income'],
          data: [
            [3, 1, 2],
            [30, 10, 20],
          ],
        },
      },
      { 'X-Request-Id': 'req-1' },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('X-Mlx-Request-Id')).toBe('req-1');
    const rec = sink.records[0];
    expect(rec).toMatchObject({
      requestId: 'req-1',
      route: '/invocations',
      model: 'clf',
      version: 1,
      variant: 'clf@champion',
      shadow: false,
      columns: ['age', 'income', 'score'],
      rows: [
        [1, 2, 3],
        [10, 20, 30],
      ],
      predictions: ['high', 'high'],
    });
    expect(rec.latencyMs).toBeGreaterThan(0);
    expect(Math.abs(rec.timestamp - Date.now())).toBeLessThan(60_000);
    await post(app, '/invocations', { dataframe_records: [{ income: 2, score: 3, age: 1 }] });
    expect(sink.records[1]).toMatchObject({ columns: FEATURES, rows: [[1, 2, 3]], predictions: ['high'] });
    await post(app, '/invocations', 'score,age,income\n3,1,2\n', {}, 'text/csv');
    expect(sink.records[2]).toMatchObject({ columns: FEATURES, rows: [[1, 2, 3]] });
  });

  it('rows without column names: the model input name with an index; regression predictions are numbers', async () => {
    const sink = new FakeSink();
    const { app } = rolloutApp('m.onnx', {}, { 'm.onnx': fakeModel({ version: null, value: 10 }) }, { sink });
    await post(app, '/invocations', {
      instances: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
    await post(app, '/invocations', { dataframe_split: { data: [[7, 8, 9]] } });
    await post(app, '/predict', { instances: [[0.5, 0, 0]] });
    await post(app, '/v2/models/clf/infer', { inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] });
    expect(sink.records.map((r) => [r.route, r.columns, r.rows, r.predictions])).toEqual([
      [
        '/invocations',
        ['x_0', 'x_1', 'x_2'],
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [11, 14],
      ],
      ['/invocations', ['x_0', 'x_1', 'x_2'], [[7, 8, 9]], [17]],
      ['/predict', ['x_0', 'x_1', 'x_2'], [[0.5, 0, 0]], [10.5]],
      [
        '/v2/models/:name/infer',
        ['x_0', 'x_1', 'x_2'],
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [11, 14],
      ],
    ]);
    expect(sink.records.every((r) => r.variant === 'm' && r.version === null && !r.shadow)).toBe(true);
    // The JSON values are logged, not their float32 roundings.
    await post(app, '/invocations', { instances: [[0.1, 0.2, 0.3]] });
    expect(sink.records[4].rows).toEqual([[0.1, 0.2, 0.3]]);
  });

  it('failed requests are not logged; every logged request id is the one its response carried', async () => {
    const sink = new FakeSink();
    const { app } = rolloutApp('m.onnx', {}, { 'm.onnx': fakeModel() }, { sink });
    expect((await post(app, '/invocations', { instances: [[1, 2]] })).status).toBe(400);
    expect((await post(app, '/invocations', '{nope')).status).toBe(400);
    expect(sink.records).toHaveLength(0);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await post(app, '/invocations', { instances: [[i, 0, 0]] })).headers.get('X-Mlx-Request-Id'));
    expect(sink.records.map((r) => r.requestId)).toEqual(ids);
    expect(new Set(ids).size).toBe(5);
  });

  it('shadow answers are logged too, with shadow: true, the same request id and input, their own model and prediction', async () => {
    const sink = new FakeSink();
    const models = {
      'models:/clf/1': fakeModel({ kind: 'classifier', classId: 0 }),
      'models:/clf/2': fakeModel({ kind: 'classifier', version: 2, classId: 1 }),
    };
    const { app } = rolloutApp('models:/clf/1', { shadow: ['models:/clf/2'] }, models, { sink });
    const r = await post(app, '/invocations', { instances: [[1, 2, 3]] });
    expect((await json(r)).predictions[0][0]).toBeCloseTo(0.9, 5);
    await until('the shadow record', () => sink.records.length === 2);
    const [primary, shadow] = sink.records;
    expect(primary).toMatchObject({ variant: 'clf/1', version: 1, shadow: false, predictions: ['low'] });
    expect(shadow).toMatchObject({
      requestId: primary.requestId,
      variant: 'clf/2',
      version: 2,
      shadow: true,
      columns: primary.columns,
      rows: [[1, 2, 3]],
      predictions: ['mid'],
    });
  });

  it('/predict with images: columns and rows are null, predictions are labels', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-feedback-'));
    const store = await openStore(path.join(dir, '.mlx'), { create: false });
    fs.writeFileSync(path.join(dir, 'img.onnx'), imageBytes());
    fs.writeFileSync(path.join(dir, 'labels.txt'), IMAGE_LABELS);
    const img = await loadServedModel(store, path.join(dir, 'img.onnx'), { labelsFile: path.join(dir, 'labels.txt'), preprocess: IMAGE_SPEC });
    released.push(img);
    const sink = new FakeSink();
    const { app } = rolloutApp('img.onnx', {}, { 'img.onnx': img }, { sink });
    const images = await Promise.all([encodedImage('cat', 1), encodedImage('fish', 2)]);
    expect((await app.request('/predict', { method: 'POST', body: imageForm(...images.map((i) => i.bytes)) })).status).toBe(200);
    expect(sink.records[0]).toMatchObject({ route: '/predict', model: 'img', columns: null, rows: null, predictions: ['cat', 'fish'] });
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('POST /feedback', () => {
  it('one item, {"feedback": [...]} or a plain array → {matched, unknown}', async () => {
    const sink = new FakeSink();
    const { app } = rolloutApp('m.onnx', {}, { 'm.onnx': fakeModel() }, { sink });
    const id = (await post(app, '/invocations', { instances: [[1, 0, 0]] })).headers.get('X-Mlx-Request-Id')!;
    expect(await json(post(app, '/feedback', { request_id: id, label: 'yes' }))).toEqual({ matched: 1, unknown: [] });
    expect(
      await json(
        post(app, '/feedback', {
          feedback: [
            { request_id: id, label: 1.5 },
            { request_id: 'nope', label: 0 },
          ],
        }),
      ),
    ).toEqual({ matched: 1, unknown: ['nope'] });
    expect(
      await json(
        post(app, '/feedback', [
          { request_id: 'a', label: 'x' },
          { request_id: 'b', label: 'y' },
        ]),
      ),
    ).toEqual({ matched: 0, unknown: ['a', 'b'] });
    expect(sink.feedbacks[1]).toEqual([
      { request_id: id, label: 1.5 },
      { request_id: 'nope', label: 0 },
    ]);
    // Feedback is not a prediction: nothing more is logged.
    expect(sink.records).toHaveLength(1);
  });

  it('bad bodies: 400 with a one-line message naming the item; without --log-inputs: 409', async () => {
    const { app } = rolloutApp('m.onnx', {}, { 'm.onnx': fakeModel() }, { sink: new FakeSink() });
    const bad = async (body: unknown, ...mentions: string[]) => {
      const r = await post(app, '/feedback', body);
      const b = await json(r);
      expect(r.status, JSON.stringify(b)).toBe(400);
      for (const m of mentions) expect(b.message).toContain(m);
    };
    await bad('{oops', 'not valid JSON');
    await bad({ label: 1 }, 'request_id');
    await bad([], 'no feedback items');
    await bad(
      {
        feedback: [
          { request_id: 'a', label: 1 },
          { request_id: '', label: 1 },
        ],
      },
      'feedback[1]',
      'request_id',
    );
    await bad({ request_id: 'a', label: null }, 'the body', 'no label');
    await bad([{ request_id: 'a', label: [1] }], 'feedback[0]', 'label must be a string or a number');
    const plain = rolloutApp('m.onnx', {}, { 'm.onnx': fakeModel() }).app;
    const r = await post(plain, '/feedback', { request_id: 'a', label: 1 });
    expect(r.status).toBe(409);
    expect(await json(r)).toEqual({ error_code: 'INVALID_STATE', message: 'start mlx serve with --log-inputs to collect feedback' });
  });

  it('feedbackItems accepts exactly the three shapes', () => {
    expect(feedbackItems({ request_id: 'r', label: 'cat' })).toEqual([{ request_id: 'r', label: 'cat' }]);
    expect(() => feedbackItems('text')).toThrow(/must be/);
    expect(() => feedbackItems({ feedback: 'x' })).toThrow(/must be/);
  });
});
