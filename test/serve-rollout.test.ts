// Canary, A/B and shadow rollouts (issue 8) with a real `mlx serve`: the split, route-key stickiness, shadows never
// returned but compared in /variants, the variant label in /metrics, and the flags it refuses before starting.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, tempProject } from './helpers/cli.js';
import { offsetModel } from './helpers/rollout.js';
import { register, scrape, startServe, stopAll, type Server } from './helpers/serve.js';
import { json, metric } from './helpers/serving-fixtures.js';

let dir: string;
let server: Server;

beforeAll(async () => {
  dir = tempProject('mlx-rollout-');
  // y = x0 + offset: version 1 answers x0 + 100, version 2 x0 + 200, version 3 x0 + 100.5 (within 1% of version 1).
  for (const [v, offset, width] of [
    [1, 100, 3],
    [2, 200, 3],
    [3, 100.5, 3],
    [4, 400, 4],
  ] as const) {
    fs.writeFileSync(path.join(dir, `v${v}.onnx`), offsetModel(offset, width));
    register(dir, [`v${v}.onnx`, '--name', 'clf', ...(v === 1 ? ['--alias', 'champion'] : v === 2 ? ['--alias', 'challenger'] : [])]);
  }
  server = await startServe(dir, 'models:/clf@champion', ['--canary', 'models:/clf@challenger=10', '--shadow', 'models:/clf/3', '--watch-interval', '0']);
}, 60_000);

afterAll(async () => {
  await stopAll();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const invoke = (x0: number, headers: Record<string, string> = {}) =>
  fetch(`${server.base}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ instances: [[x0, 0, 0]] }),
  });

/** n requests, `parallel` at a time. */
async function load(n: number, send: (i: number) => Promise<Response>, parallel = 16) {
  const out: { variant: string; version: number; y: number; x0: number }[] = [];
  for (let i = 0; i < n; i += parallel)
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(parallel, n - i) }, async (_, j) => {
          const r = await send(i + j);
          expect(r.status).toBe(200);
          return {
            variant: r.headers.get('x-mlx-variant')!,
            version: Number(r.headers.get('x-mlx-model-version')),
            y: ((await r.json()) as { predictions: number[][] }).predictions[0][0],
            x0: i + j,
          };
        }),
      )),
    );
  return out;
}

async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a 10% canary with a shadow', () => {
  it('announces every variant on stderr', async () => {
    await server.waitFor(/shadow clf\/3: clf version 3, sees every request, answers none/);
    expect(server.stderr()).toMatch(/^mlx: primary clf@champion: clf version 1, 90% of requests$/m);
    expect(server.stderr()).toMatch(/^mlx: canary clf@challenger: clf version 2, 10% of requests$/m);
  });

  it('splits 2,000 requests 90/10 (within 4 points), each answered by the version its headers name; the shadow never answers', async () => {
    const before = (await json(fetch(`${server.base}/variants`))).variants;
    const answers = await load(2000, (i) => invoke(i));
    const canary = answers.filter((a) => a.variant === 'clf@challenger').length;
    // 10% of 2,000 has a standard deviation under 0.7 points: 4 points is far outside chance.
    expect(Math.abs(canary / 2000 - 0.1), `${canary} of 2000 to the canary`).toBeLessThanOrEqual(0.04);
    for (const a of answers) {
      expect(a.variant === 'clf@challenger' ? 2 : 1).toBe(a.version);
      expect(a.variant).not.toBe('clf/3');
      expect(a.y).toBeCloseTo(a.x0 + 100 * a.version, 3);
    }
    // The shadow saw every request and agreed (within 1%) with exactly the champion's answers.
    await until(
      'the shadow to answer every mirrored request',
      async () => (await json(fetch(`${server.base}/variants`))).variants[2].mirrored.answered >= before[2].mirrored.answered + 2000,
    );
    const [primary, challenger, shadow] = (await json(fetch(`${server.base}/variants`))).variants;
    expect(primary).toMatchObject({ name: 'clf@champion', role: 'primary', version: 1, share: 0.9, requests: before[0].requests + 2000 - canary });
    expect(challenger).toMatchObject({ name: 'clf@challenger', role: 'canary', version: 2, share: 0.1, requests: before[1].requests + canary });
    expect(shadow).toMatchObject({ name: 'clf/3', role: 'shadow', version: 3, share: 0, mirrored: { failed: 0, skipped: 0 } });
    expect(shadow.agreement.compared - before[2].agreement.compared).toBe(2000);
    expect(shadow.agreement.agreed - before[2].agreement.agreed).toBe(2000 - canary);
    for (const v of [primary, challenger, shadow]) expect(v.latency_ms.p99).toBeGreaterThan(0);
  }, 60_000);

  it('X-Mlx-Route-Key: each of 300 users meets the same variant every time', async () => {
    const first = await load(300, (i) => invoke(i, { 'X-Mlx-Route-Key': `user-${i}` }));
    const again = await load(300, (i) => invoke(i, { 'X-Mlx-Route-Key': `user-${i}` }));
    again.forEach((a, i) => expect(a.variant, `user-${i}`).toBe(first[i].variant));
    expect(new Set(first.map((a) => a.variant))).toEqual(new Set(['clf@champion', 'clf@challenger']));
  }, 60_000);

  it('/metrics: the variant label on requests, latency, batch sizes; shares and shadow counts', async () => {
    await load(50, (i) => invoke(i));
    const text = await scrape(server);
    for (const [variant, version] of [
      ['clf@champion', '1'],
      ['clf@challenger', '2'],
    ]) {
      expect(metric(text, 'mlx_requests_total', { route: '/invocations', status: '200', variant, model_version: version })).toBeGreaterThan(0);
      expect(metric(text, 'mlx_request_duration_seconds_count', { route: '/invocations', variant })).toBeGreaterThan(0);
      expect(metric(text, 'mlx_inference_batch_size_count', { variant })).toBeGreaterThan(0);
    }
    expect(metric(text, 'mlx_inference_batch_size_count', { variant: 'clf/3' })).toBeGreaterThan(0);
    expect(metric(text, 'mlx_variant_share', { variant: 'clf@challenger', role: 'canary' })).toBe(0.1);
    expect(metric(text, 'mlx_shadow_requests_total', { variant: 'clf/3', result: 'answered' })).toBeGreaterThan(0);
    expect(metric(text, 'mlx_shadow_rows_total', { variant: 'clf/3', agreed: 'true' })).toBeGreaterThan(0);
    expect(metric(text, 'mlx_requests_total', { variant: 'clf/3' }), 'a shadow answers no request').toBeUndefined();
  }, 60_000);
});

describe('a shadow that takes other inputs', () => {
  it('is announced with a warning; its failures are counted (the first logged), the answers unaffected', async () => {
    const s = await startServe(dir, 'models:/clf/1', ['--shadow', 'models:/clf/4']);
    await s.waitFor(
      /^mlx: warning: shadow clf\/4 does not take what clf\/1 takes \(its inputs differ: x float32 \[-1, 3\] for clf\/1, x float32 \[-1, 4\] for clf\/4\); a request that fits one may fail on the other$/m,
    );
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${s.base}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [[i, 0, 0]] }),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { predictions: number[][] }).predictions).toEqual([[100 + i]]);
    }
    await until('five failed mirrors', async () => (await json(fetch(`${s.base}/variants`))).variants[1].mirrored.failed === 5);
    await s.waitFor(/^mlx: shadow clf\/4: a mirrored request failed: .*input "x".*; further failures are counted/m);
    expect(s.stderr().match(/a mirrored request failed/g)).toHaveLength(1);
  }, 30_000);
});

describe('--log-inputs: request ids and POST /feedback', () => {
  it('every answer (the shadow answers too) goes to the log; feedback joins by request id and names the unknown ones', async () => {
    const s = await startServe(dir, 'models:/clf/1', ['--canary', 'models:/clf/2=50', '--shadow', 'models:/clf/3', '--log-inputs']);
    await s.waitFor(/logging inputs to .* \(sample rate 1, at most 1000000 rows\)/);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${s.base}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Request-Id': `order-${i}` },
        body: JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'c'], data: [[i, 0, 0]] } }),
      });
      expect(r.status).toBe(200);
      ids.push(r.headers.get('x-mlx-request-id')!);
    }
    expect(ids).toEqual(['order-0', 'order-1', 'order-2', 'order-3', 'order-4', 'order-5']);
    const post = (body: unknown) =>
      fetch(`${s.base}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(await json(post({ request_id: 'order-0', label: 100 }))).toEqual({ matched: 1, unknown: [] });
    expect(
      await json(
        post({
          feedback: [
            { request_id: 'order-1', label: 101 },
            { request_id: 'never-sent', label: 1 },
          ],
        }),
      ),
    ).toEqual({ matched: 1, unknown: ['never-sent'] });
    expect((await post({ label: 1 })).status).toBe(400);
    const text = await scrape(s);
    await until('the log to write', async () => (metric(await scrape(s), 'mlx_inference_log_rows_written_total') ?? 0) >= 12);
    expect(metric(text, 'mlx_inference_log_records_total', { result: 'recorded' })).toBeGreaterThanOrEqual(6);
    s.proc.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
  }, 30_000);

  it('without --log-inputs, POST /feedback answers 409 saying how to collect it', async () => {
    const r = await fetch(`${server.base}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"request_id":"x","label":1}' });
    expect(r.status).toBe(409);
    expect(await json(r)).toEqual({ error_code: 'INVALID_STATE', message: 'start mlx serve with --log-inputs to collect feedback' });
  });
});

describe('mlx serve refuses a bad rollout before starting', () => {
  const refuse = (args: string[], code: number, ...mentions: (string | RegExp)[]) => {
    const line = expectError(mlx(dir, ['serve', 'models:/clf@champion', '--port', '0', ...args]), code, ...mentions);
    expect(line).not.toMatch(/listening/);
  };

  it('weights that are negative, do not parse, exceed 100 or add up past 100: usage errors (exit 2)', () => {
    refuse(['--canary', 'models:/clf@challenger=-5'], 2, '--canary', '"-5"', 'non-negative');
    refuse(['--canary', 'models:/clf@challenger=ten'], 2, '"ten"');
    refuse(['--canary', 'models:/clf@challenger'], 2, 'no weight');
    refuse(['--canary', 'models:/clf@challenger=101'], 2, 'at most 100');
    refuse(['--canary', 'models:/clf/2=60', '--variant', 'models:/clf/3=50'], 2, 'add up to 110%');
    refuse(['--variant', 'models:/clf@champion=0', '--variant', 'models:/clf/2=0'], 2, 'all 0');
  });

  it('a shadow of the served model, a model given twice, bad logging and watch flags: exit 2', () => {
    refuse(['--shadow', 'models:/clf@champion'], 2, '--shadow models:/clf@champion', 'being served');
    refuse(['--canary', 'models:/clf/2=5', '--shadow', 'models:/clf/2'], 2, 'already answers requests');
    refuse(['--canary', 'models:/clf/2=5', '--canary', 'models:/clf/2=6'], 2, 'given twice');
    refuse(['--log-inputs', '--sample-rate', '2'], 2, '--sample-rate "2"', 'from 0 to 1');
    refuse(['--sample-rate', '0.5'], 2, '--sample-rate needs --log-inputs');
    refuse(['--log-inputs', '--log-max-rows', '0'], 2, '--log-max-rows "0"');
    refuse(['--watch-interval', '-1'], 2, '--watch-interval "-1"');
  });

  it('a variant URI that does not resolve: exit 1 naming the flag and the URI, nothing started', () => {
    refuse(['--canary', 'models:/clf@nope=10'], 1, '--canary models:/clf@nope', 'nope');
    refuse(['--variant', 'models:/ghost/1=10'], 1, '--variant models:/ghost/1', 'name=ghost not found');
    refuse(['--shadow', 'missing.onnx'], 1, '--shadow missing.onnx', 'does not exist');
  });

  it('bad flags with --log-inputs leave no store behind where there was none', () => {
    const empty = tempProject('mlx-rollout-empty-');
    fs.writeFileSync(path.join(empty, 'm.onnx'), offsetModel(1));
    expectError(mlx(empty, ['serve', 'm.onnx', '--log-inputs', '--sample-rate', 'lots']), 2, '--sample-rate');
    expectError(mlx(empty, ['serve', 'm.onnx', '--log-inputs', '--canary', 'other.onnx=5']), 1, '--canary other.onnx');
    expect(fs.readdirSync(empty)).toEqual(['m.onnx']);
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('a good start with --log-inputs and no store yet creates one', async () => {
    const empty = tempProject('mlx-rollout-new-');
    fs.writeFileSync(path.join(empty, 'm.onnx'), offsetModel(1));
    const s = await startServe(empty, 'm.onnx', ['--log-inputs']);
    expect(fs.existsSync(path.join(empty, '.mlx'))).toBe(true);
    s.proc.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
