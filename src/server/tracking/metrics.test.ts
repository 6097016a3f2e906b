// runs/log-metric, runs/log-batch and metrics/get-history (service.proto LogMetric, LogBatch,
// GetMetricHistory): values, NaN/±Infinity as strings, MLflow's batch limits and messages, all or
// nothing, and page tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AJAX, allPages, API, expectError, newRun, ok, trackingFixture, type TrackingFixture } from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
beforeAll(() => {
  f = trackingFixture();
});
afterAll(() => f.close());

const history = async (run_id: string, metric_key: string) => ok(await f.get(`${API}/metrics/get-history`, { run_id, metric_key })).metrics ?? [];
const metric = (key: string, i: number, value: unknown = i / 10) => ({ key, value, timestamp: 1_700_000_000_000 + i, step: i });
const limitMessage = (n: number, max: number, what: string) =>
  `A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`;

describe('runs/log-metric and metrics/get-history', () => {
  it('stores every point; get-history answers them with key, value, timestamp and step; the run shows the latest', async () => {
    const { runId } = await newRun(f);
    for (let i = 0; i < 5; i++) ok(await f.post(`${API}/runs/log-metric`, { run_id: runId, ...metric('loss', i, 1 - i / 10) }));
    expect(await history(runId, 'loss')).toEqual([0, 1, 2, 3, 4].map((i) => metric('loss', i, 1 - i / 10)));
    const run = ok(await f.get(`${API}/runs/get`, { run_id: runId })).run;
    expect(run.data.metrics).toEqual([metric('loss', 4, 0.6)]);
    // step defaults to 0; the deprecated run_uuid names the run too.
    ok(await f.post(`${API}/runs/log-metric`, { run_uuid: runId, key: 'acc', value: 0.5, timestamp: 7 }));
    expect(await history(runId, 'acc')).toEqual([{ key: 'acc', value: 0.5, timestamp: 7, step: 0 }]);
  });

  it('NaN and ±Infinity travel as the strings "NaN", "Infinity", "-Infinity"', async () => {
    const { runId } = await newRun(f);
    for (const [i, v] of ['NaN', 'Infinity', '-Infinity'].entries()) ok(await f.post(`${API}/runs/log-metric`, { run_id: runId, ...metric('odd', i, v) }));
    expect((await history(runId, 'odd')).map((m: { value: unknown }) => m.value)).toEqual(['NaN', 'Infinity', '-Infinity']);
  });

  it('refuses wrong types and unknown runs with 400 / 404 naming the field', async () => {
    const { runId } = await newRun(f);
    const bad = async (body: Record<string, unknown>, field: string) =>
      expectError(await f.post(`${API}/runs/log-metric`, { run_id: runId, key: 'm', value: 1, timestamp: 1, ...body }), 400, 'INVALID_PARAMETER_VALUE', field);
    await bad({ value: 'high' }, 'value');
    await bad({ value: { v: 1 } }, 'value');
    await bad({ value: undefined }, 'value');
    await bad({ timestamp: 'now' }, 'timestamp');
    await bad({ step: 1.5 }, 'step');
    await bad({ step: '2' + '0'.repeat(30) }, 'step');
    await bad({ key: ['m'] }, 'key');
    await bad({ key: undefined }, 'key');
    expectError(await f.post(`${API}/runs/log-metric`, { run_id: '12'.repeat(16), key: 'm', value: 1, timestamp: 1 }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(await history(runId, 'm')).toEqual([]);
  });

  it('get-history pages round-trip with max_results and page_token; 404 for an unknown run, 400 without metric_key', async () => {
    const { runId } = await newRun(f);
    const points = Array.from({ length: 25 }, (_, i) => metric('curve', i));
    ok(await f.post(`${API}/runs/log-batch`, { run_id: runId, metrics: points }));
    const { items, pages } = await allPages(
      (page_token) => f.get(`${AJAX}/metrics/get-history`, { run_id: runId, metric_key: 'curve', max_results: 7, ...(page_token ? { page_token } : {}) }),
      'metrics',
    );
    expect(pages).toBe(4);
    expect(items).toEqual(points);
    expect(await history(runId, 'curve')).toEqual(points);
    expectError(await f.get(`${API}/metrics/get-history`, { run_id: '34'.repeat(16), metric_key: 'curve' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await f.get(`${API}/metrics/get-history`, { run_id: runId }), 400, 'INVALID_PARAMETER_VALUE', 'metric_key');
    expectError(
      await f.get(`${API}/metrics/get-history`, { run_id: runId, metric_key: 'curve', max_results: 'all' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'max_results',
    );
  });
});

describe('runs/log-batch', () => {
  it('stores metrics, params and tags together; exactly 1000 metrics and 1000 entries in all are accepted', async () => {
    const { runId } = await newRun(f);
    const metrics = Array.from({ length: 1000 }, (_, i) => metric('m', i));
    ok(await f.post(`${API}/runs/log-batch`, { run_id: runId, metrics }));
    expect(await history(runId, 'm')).toHaveLength(1000);
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: `v${i}` }));
    ok(await f.post(`${API}/runs/log-batch`, { run_id: runId, metrics: metrics.slice(0, 800).map((m) => ({ ...m, key: 'n' })), params, tags }));
    const run = ok(await f.get(`${API}/runs/get`, { run_id: runId })).run;
    expect(run.data.params).toHaveLength(100);
    expect(run.data.tags.filter((t: { key: string }) => t.key.startsWith('t'))).toHaveLength(100);
    expect(await history(runId, 'n')).toHaveLength(800);
  });

  it("refuses each limit with MLflow's message and stores nothing", async () => {
    const { runId } = await newRun(f);
    const ms = (n: number) => Array.from({ length: n }, (_, i) => metric('over', i));
    const kv = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: 'x' }));
    const cases: [Record<string, unknown>, string][] = [
      [{ metrics: ms(1001) }, limitMessage(1001, 1000, 'metrics')],
      [{ params: kv(101, 'p') }, limitMessage(101, 100, 'params')],
      [{ tags: kv(101, 't') }, limitMessage(101, 100, 'tags')],
      [{ metrics: ms(900), params: kv(100, 'p'), tags: kv(1, 't') }, limitMessage(1001, 1000, 'metrics, params, and tags')],
    ];
    for (const [body, message] of cases)
      expect(expectError(await f.post(`${API}/runs/log-batch`, { run_id: runId, ...body }), 400, 'INVALID_PARAMETER_VALUE')).toBe(message);
    const run = ok(await f.get(`${API}/runs/get`, { run_id: runId })).run;
    // As MLflow writes them: empty lists are left out.
    expect(run.data.params).toBeUndefined();
    expect(run.data.metrics).toBeUndefined();
    expect(await history(runId, 'over')).toEqual([]);
  });

  it('one bad entry anywhere refuses the whole batch (nothing stored)', async () => {
    const { runId } = await newRun(f);
    ok(await f.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'fixed', value: 'a' }));
    const good = { metrics: [metric('ok', 0), metric('ok', 1)], params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 'stage', value: 'dev' }] };
    const spoilers: [Record<string, unknown>, string][] = [
      [{ metrics: [...good.metrics, { key: 'ok', value: 'lots', timestamp: 1 }] }, 'value'],
      [{ metrics: [...good.metrics, { key: 'ok', value: 1, timestamp: 1, step: 'third' }] }, 'step'],
      [{ params: [...good.params, { key: 'bad key!', value: '1' }] }, 'bad key!'],
      [{ params: [...good.params, { key: 'fixed', value: 'b' }] }, 'fixed'],
      [{ tags: [...good.tags, { key: 't', value: ['list'] }] }, 'value'],
      [{ metrics: [...good.metrics, 'not an object'] }, 'metrics'],
      [{ metrics: { key: 'ok', value: 1 } }, 'metrics'],
    ];
    for (const [spoil, mention] of spoilers) {
      const r = await f.post(`${API}/runs/log-batch`, { run_id: runId, ...good, ...spoil });
      expectError(r, 400, 'INVALID_PARAMETER_VALUE', mention);
    }
    const run = ok(await f.get(`${API}/runs/get`, { run_id: runId })).run;
    expect(run.data.params).toEqual([{ key: 'fixed', value: 'a' }]);
    expect(run.data.tags.find((t: { key: string }) => t.key === 'stage')).toBeUndefined();
    expect(await history(runId, 'ok')).toEqual([]);
  });

  it('unknown run → 404; missing run_id → 400; an empty batch is a no-op', async () => {
    expectError(await f.post(`${API}/runs/log-batch`, { run_id: '56'.repeat(16), metrics: [metric('m', 0)] }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await f.post(`${API}/runs/log-batch`, { metrics: [metric('m', 0)] }), 400, 'INVALID_PARAMETER_VALUE', 'run_id');
    const { runId } = await newRun(f);
    ok(await f.post(`${API}/runs/log-batch`, { run_id: runId }));
  });
});
