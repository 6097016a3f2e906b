// Rollouts in-process (Hono's app.request) over fake models: traffic split, route keys, response headers,
// /variants, the variant label in /metrics, shadows, and a hot swap with requests in flight.
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { fakeModel, Gate, rolloutApp } from '../../../test/helpers/rollout.js';
import { json, metric } from '../../../test/helpers/serving-fixtures.js';

const invoke = (app: Hono, rows: number[][] = [[0.5, 0, 0]], headers: Record<string, string> = {}) =>
  app.request('/invocations', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ instances: rows }) });

/** Sends n requests, `parallel` at a time; returns the responses. */
async function load(n: number, send: (i: number) => Response | Promise<Response>, parallel = 50): Promise<Response[]> {
  const out: Response[] = [];
  for (let i = 0; i < n; i += parallel)
    out.push(...(await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, (_, j) => Promise.resolve(send(i + j))))));
  return out;
}

const count = (responses: Response[], header: string) => {
  const c: Record<string, number> = {};
  for (const r of responses) c[r.headers.get(header) ?? ''] = (c[r.headers.get(header) ?? ''] ?? 0) + 1;
  return c;
};

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('one model: no rollout', () => {
  it('every response names its variant (from the URI) and carries a request id; a sane X-Request-Id is kept', async () => {
    const { app } = rolloutApp('models:/clf/1', {}, { 'models:/clf/1': fakeModel() });
    const r = await invoke(app);
    expect(r.status).toBe(200);
    expect(r.headers.get('X-Mlx-Variant')).toBe('clf/1');
    expect(r.headers.get('X-Mlx-Model-Version')).toBe('1');
    expect(r.headers.get('X-Mlx-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    const other = await app.request('/health');
    expect(other.headers.get('X-Mlx-Request-Id')).not.toBe(r.headers.get('X-Mlx-Request-Id'));
    expect(other.headers.get('X-Mlx-Variant')).toBe('clf/1');
    expect((await invoke(app, undefined, { 'X-Request-Id': 'order-17:a/b' })).headers.get('X-Mlx-Request-Id')).toBe('order-17:a/b');
    for (const bad of ['has space', 'x'.repeat(200), '"quoted"', '-leading-dash'])
      expect((await invoke(app, undefined, { 'X-Request-Id': bad })).headers.get('X-Mlx-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('canary and A/B split', () => {
  it('10% canary: over 10,000 requests the split is within 2 points; headers, /variants and /metrics agree', async () => {
    const models = { 'models:/clf@champion': fakeModel({ version: 1 }), 'models:/clf@challenger': fakeModel({ version: 2 }) };
    const { app } = rolloutApp('models:/clf@champion', { canary: ['models:/clf@challenger=10'] }, models);
    const responses = await load(10_000, () => invoke(app, [[0.25, 0, 0]]));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const byVariant = count(responses, 'X-Mlx-Variant');
    expect(Math.abs(byVariant['clf@challenger'] / 10_000 - 0.1), JSON.stringify(byVariant)).toBeLessThanOrEqual(0.02);
    expect(byVariant['clf@champion'] + byVariant['clf@challenger']).toBe(10_000);
    // Each response is answered by the version its headers name: y = version + x0.
    for (const r of responses.slice(0, 500)) {
      const v = Number(r.headers.get('X-Mlx-Model-Version'));
      expect(v).toBe(r.headers.get('X-Mlx-Variant') === 'clf@challenger' ? 2 : 1);
      expect((await json(r)).predictions[0][0]).toBeCloseTo(v + 0.25, 5);
    }
    const report = await json(app.request('/variants'));
    expect(report.route_key_header).toBe('X-Mlx-Route-Key');
    const [champion, challenger] = report.variants;
    expect(champion).toMatchObject({
      name: 'clf@champion',
      role: 'primary',
      uri: 'models:/clf@champion',
      model: 'clf',
      version: 1,
      weight: 90,
      share: 0.9,
      errors: 0,
    });
    expect(challenger).toMatchObject({ name: 'clf@challenger', role: 'canary', version: 2, weight: 10, share: 0.1, requests: byVariant['clf@challenger'] });
    expect(champion.requests).toBe(byVariant['clf@champion']);
    expect(challenger.observed_share).toBeCloseTo(byVariant['clf@challenger'] / 10_000, 10);
    for (const v of report.variants) {
      expect(v.latency_ms.p50).toBeGreaterThan(0);
      expect(v.latency_ms.p50).toBeLessThanOrEqual(v.latency_ms.p90);
      expect(v.latency_ms.p90).toBeLessThanOrEqual(v.latency_ms.p99);
    }
    const text = await (await app.request('/metrics')).text();
    const ok = { route: '/invocations', status: '200' };
    expect(metric(text, 'mlx_requests_total', { ...ok, variant: 'clf@challenger', model_version: '2' })).toBe(byVariant['clf@challenger']);
    expect(metric(text, 'mlx_requests_total', { ...ok, variant: 'clf@champion', model_version: '1' })).toBe(byVariant['clf@champion']);
    expect(metric(text, 'mlx_request_duration_seconds_count', { route: '/invocations', variant: 'clf@challenger' })).toBe(byVariant['clf@challenger']);
    expect(metric(text, 'mlx_inference_batch_size_sum', { variant: 'clf@challenger' })).toBe(byVariant['clf@challenger']);
    expect(metric(text, 'mlx_variant_share', { variant: 'clf@challenger', role: 'canary' })).toBe(0.1);
    expect(metric(text, 'mlx_model_info', { variant: 'clf@challenger', model: 'clf', version: '2' })).toBe(1);
  });

  it('three variants with relative weights: each within 2 points over 10,000 requests', async () => {
    const models = { 'a.onnx': fakeModel({ name: 'a' }), 'b.onnx': fakeModel({ name: 'b' }), 'c.onnx': fakeModel({ name: 'c' }) };
    const { app } = rolloutApp('a.onnx', { variant: ['a.onnx=5', 'b.onnx=3', 'c.onnx=2'] }, models, { seed: 3 });
    const byModel = count(await load(10_000, () => invoke(app)), 'X-Mlx-Model');
    expect(Math.abs(byModel.a / 10_000 - 0.5)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(byModel.b / 10_000 - 0.3)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(byModel.c / 10_000 - 0.2)).toBeLessThanOrEqual(0.02);
  });

  it('X-Mlx-Route-Key: a key always meets the same variant; 10,000 keys split within 2 points', async () => {
    const models = { 'models:/clf/1': fakeModel({ version: 1 }), 'models:/clf/2': fakeModel({ version: 2 }) };
    const { app } = rolloutApp('models:/clf/1', { variant: ['models:/clf/2=30'] }, models);
    const first = await load(10_000, (i) => invoke(app, undefined, { 'X-Mlx-Route-Key': `user-${i}` }));
    const byVariant = count(first, 'X-Mlx-Variant');
    expect(Math.abs(byVariant['clf/2'] / 10_000 - 0.3)).toBeLessThanOrEqual(0.02);
    // The same 1,000 users again, twice: nobody changes variant.
    for (let round = 0; round < 2; round++) {
      const again = await load(1000, (i) => invoke(app, undefined, { 'X-Mlx-Route-Key': `user-${i}` }));
      again.forEach((r, i) => expect(r.headers.get('X-Mlx-Variant'), `user-${i}`).toBe(first[i].headers.get('X-Mlx-Variant')));
    }
  });

  it('/v2: a path with a version pins that version; without, requests are routed; unknown names list what is served', async () => {
    const models = { 'models:/clf/1': fakeModel({ version: 1 }), 'models:/clf/2': fakeModel({ version: 2 }) };
    const { app } = rolloutApp('models:/clf/1', { canary: ['models:/clf/2=50'] }, models);
    const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [0.5, 0, 0] }] });
    const post = (path: string) => app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (let i = 0; i < 20; i++) {
      const r = await post('/v2/models/clf/versions/2/infer');
      expect(r.headers.get('X-Mlx-Variant')).toBe('clf/2');
      expect(await json(r)).toMatchObject({ model_name: 'clf', model_version: '2', outputs: [{ name: 'y', data: [2.5] }] });
    }
    const routed = count(await load(200, () => post('/v2/models/clf/infer')), 'X-Mlx-Model-Version');
    expect(routed['1']).toBeGreaterThan(50);
    expect(routed['2']).toBeGreaterThan(50);
    expect(await json(app.request('/v2/models/clf'))).toMatchObject({ name: 'clf', versions: ['1', '2'] });
    const missing = await post('/v2/models/other/infer');
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toBe('model "other" is not served here; this server serves "clf"');
    expect((await json(post('/v2/models/clf/versions/7/infer'))).error).toBe('model "clf" has no version "7" here; version 1, 2 are served');
  });
});

describe('shadows', () => {
  it('see every request, are never returned, and /variants reports how often they agreed', async () => {
    const models = {
      'models:/clf/1': fakeModel({ kind: 'classifier', classId: 0 }),
      'models:/clf/2': fakeModel({ kind: 'classifier', version: 2, classId: 0 }),
      'models:/clf/3': fakeModel({ kind: 'classifier', version: 3, classId: 2 }),
    };
    const { app } = rolloutApp('models:/clf/1', { shadow: ['same:models:/clf/2', 'models:/clf/3'] }, models);
    const responses = await load(200, () =>
      invoke(app, [
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    for (const r of responses) {
      expect(r.headers.get('X-Mlx-Variant')).toBe('clf/1');
      expect(r.headers.get('X-Mlx-Model-Version')).toBe('1');
    }
    await until('every mirrored request answered', async () => {
      const v = (await json(app.request('/variants'))).variants;
      return v[1].mirrored.answered === 200 && v[2].mirrored.answered === 200;
    });
    const [primary, same, other] = (await json(app.request('/variants'))).variants;
    expect(primary).toMatchObject({ role: 'primary', requests: 200, share: 1 });
    expect(same).toMatchObject({ name: 'same', role: 'shadow', version: 2, share: 0, mirrored: { answered: 200, failed: 0, skipped: 0 } });
    expect(same.agreement).toEqual({ compared: 400, agreed: 400, rate: 1 });
    expect(other.agreement).toEqual({ compared: 400, agreed: 0, rate: 0 });
    expect(other.latency_ms.p99).toBeGreaterThan(0);
    const text = await (await app.request('/metrics')).text();
    expect(metric(text, 'mlx_shadow_requests_total', { variant: 'same', result: 'answered' })).toBe(200);
    expect(metric(text, 'mlx_shadow_rows_total', { variant: 'clf/3', agreed: 'false' })).toBe(400);
    expect(metric(text, 'mlx_requests_total', { variant: 'same' })).toBeUndefined();
  });

  it('a failing shadow or a stuck one never fails or delays the answer; past 64 waiting, requests are not mirrored', async () => {
    const gate = new Gate();
    gate.close();
    const broken = fakeModel({ version: 2, fail: true });
    const stuck = fakeModel({ version: 3, gate });
    const { app, lines } = rolloutApp(
      'models:/clf/1',
      { shadow: ['models:/clf/2', 'models:/clf/3'] },
      {
        'models:/clf/1': fakeModel(),
        'models:/clf/2': broken,
        'models:/clf/3': stuck,
      },
    );
    const responses = await load(100, () => invoke(app));
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    await until('the shadows took their share', async () => {
      const v = (await json(app.request('/variants'))).variants;
      return v[1].mirrored.failed === 100 && v[2].mirrored.skipped === 36;
    });
    gate.open();
    await until('the stuck shadow caught up', async () => (await json(app.request('/variants'))).variants[2].mirrored.answered === 64);
    // The first failure is logged (one line, with its reason); the rest are only counted.
    expect(lines).toEqual([
      'shadow clf/2: a mirrored request failed: the fake model is broken; further failures are counted in /variants and mlx_shadow_requests_total, not logged',
    ]);
  });
});

describe('hot swap', () => {
  it('in-flight requests finish on the old version, new ones go to the new; the old one is released when idle', async () => {
    const gate = new Gate();
    const v1 = fakeModel({ version: 1, gate });
    const v2 = fakeModel({ version: 2 });
    const { app, variants, install } = rolloutApp('models:/clf@champion', {}, { 'models:/clf@champion': v1 });
    gate.close();
    const held = Array.from({ length: 5 }, (_, i) => invoke(app, [[i, 0, 0]]));
    await until('the requests wait inside version 1', () => gate.held > 0);
    install(variants.primary, v2);
    const after = await load(50, (i) => invoke(app, [[i, 0, 0]]));
    for (const [i, r] of after.entries()) {
      expect(r.headers.get('X-Mlx-Model-Version')).toBe('2');
      expect((await json(r)).predictions[0][0]).toBe(2 + i);
    }
    expect(v1.released, 'version 1 still has requests in flight').toBe(false);
    gate.open();
    for (const [i, r] of (await Promise.all(held)).entries()) {
      expect(r.status).toBe(200);
      expect(r.headers.get('X-Mlx-Model-Version')).toBe('1');
      expect((await json(r)).predictions[0][0]).toBe(1 + i);
    }
    await until('version 1 released', () => v1.released);
    expect(v2.released).toBe(false);
    expect((await json(app.request('/health'))).version).toBe(2);
  });
});
