// Load shedding: with --max-queue N, a request that would be the (N+1)th waiting for inference is
// answered 503 at once (MLflow's error shape, Retry-After), before any work is done for it, and the
// requests already waiting are served when the model catches up.
import { describe, expect, it } from 'vitest';
import { Gate, fakeModel, rolloutApp } from '../../../test/helpers/rollout.js';
import { encodedImage, imageForm, json, metric } from '../../../test/helpers/serving-fixtures.js';
import { parsePreprocessSpec } from '../../models/preprocess-spec.js';

const post = (app: { request: (url: string, init: RequestInit) => Response | Promise<Response> }, row: number[]) =>
  app.request('/invocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [row] }) });

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(ok(), what).toBe(true);
}

describe('--max-queue', () => {
  it('refuses the request past the queue with 503 and Retry-After; the waiting ones are answered once the model catches up', async () => {
    const gate = new Gate();
    gate.close();
    const model = fakeModel({ gate });
    const { app, variants } = rolloutApp('models:/clf/1', {}, { 'models:/clf/1': model }, { maxBatchSize: 1, maxQueue: 2 });
    const batcher = variants.primary.predictor!.batcher;

    const running = post(app, [1, 0, 0]);
    await until('the first request is running (held at the gate)', () => gate.held === 1);
    const waiting = [post(app, [2, 0, 0]), post(app, [3, 0, 0])];
    await until('two requests wait', () => batcher.pending === 2);

    const refused = await post(app, [4, 0, 0]);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-mlx-model')).toBe('clf');
    const body = await json(refused);
    expect(body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(body.message).toMatch(/model clf is busy: 2 requests are waiting for inference \(--max-queue 2\)/);
    expect(model.runs, 'the refused request never reached the model').toBe(1);

    const scraped = await (await app.request('/metrics')).text();
    expect(metric(scraped, 'mlx_inference_queue_requests', { variant: 'clf/1' })).toBe(2);

    gate.open();
    const answers = await Promise.all([running, ...waiting]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await Promise.all(answers.map(async (r) => (await json(r)).predictions[0][0]))).toEqual([2, 3, 4]);
    expect((await post(app, [5, 0, 0])).status, 'served again once the queue drained').toBe(200);
    const after = await (await app.request('/metrics')).text();
    expect(metric(after, 'mlx_requests_total', { route: '/invocations', status: '503', method: 'POST' })).toBe(1);
    expect(metric(after, 'mlx_inference_queue_requests', { variant: 'clf/1' })).toBe(0);
  });

  it('an image upload is refused before it is decoded', async () => {
    const gate = new Gate();
    gate.close();
    // An image spec on a model that takes rows: an upload that got as far as decoding would fail with 400.
    const model = { ...fakeModel({ gate }), spec: parsePreprocessSpec('image:8x8,rgb') };
    const { app, variants } = rolloutApp('models:/clf/1', {}, { 'models:/clf/1': model }, { maxBatchSize: 1, maxQueue: 1 });
    const batcher = variants.primary.predictor!.batcher;
    const running = post(app, [1, 0, 0]);
    await until('running', () => gate.held === 1);
    const waiting = post(app, [2, 0, 0]);
    await until('one waits', () => batcher.pending === 1);
    const image = await encodedImage('cat', 1);
    const r = await app.request('/predict', { method: 'POST', body: imageForm(image.bytes) });
    expect(r.status).toBe(503);
    expect((await json(r)).message).toContain('--max-queue 1');
    gate.open();
    expect((await running).status).toBe(200);
    expect((await waiting).status).toBe(200);
  });

  it('the images of one request are admitted together, and the 503 counts waiting images as images', async () => {
    const gate = new Gate();
    gate.close();
    const model = {
      ...fakeModel({ gate }),
      spec: parsePreprocessSpec('image:2x2,rgb'),
      signature: { inputs: [{ name: 'x', type: 'float32', shape: [-1, 3, 2, 2] }], outputs: [{ name: 'y', type: 'float32', shape: [-1, 1] }] },
    };
    const { app, variants } = rolloutApp('models:/clf/1', {}, { 'models:/clf/1': model }, { maxBatchSize: 1, maxQueue: 2 });
    const batcher = variants.primary.predictor!.batcher;
    const image = (await encodedImage('cat', 1)).bytes;
    const upload = (n: number) => app.request('/predict', { method: 'POST', body: imageForm(...Array.from({ length: n }, () => image)) });
    const running = upload(1);
    await until('running', () => gate.held === 1);
    // Nothing waits yet: the request is admitted whole, though it brings more images than --max-queue.
    const three = upload(3);
    await until('its three images wait', () => batcher.pending === 3);
    const refused = await upload(1);
    expect(refused.status).toBe(503);
    expect((await json(refused)).message).toMatch(/^model clf is busy: 3 images are waiting for inference \(--max-queue 2\); retry shortly/);
    gate.open();
    expect((await running).status).toBe(200);
    const answered = await three;
    expect(answered.status).toBe(200);
    expect((await json(answered)).predictions).toHaveLength(3);
  });

  it('0 means no limit', async () => {
    const gate = new Gate();
    gate.close();
    const { app, variants } = rolloutApp('models:/clf/1', {}, { 'models:/clf/1': fakeModel({ gate }) }, { maxBatchSize: 1, maxQueue: 0 });
    const all = Array.from({ length: 50 }, (_, i) => post(app, [i, 0, 0]));
    await until('49 wait', () => variants.primary.predictor!.batcher.pending === 49);
    gate.open();
    expect((await Promise.all(all)).every((r) => r.status === 200)).toBe(true);
  });
});
