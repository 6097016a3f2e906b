// runs/search (service.proto SearchRuns): filter over metrics/params/tags/attributes, order_by,
// run_view_type, max_results, page tokens; repeated experiment_ids in JSON and as repeated query
// parameters; both URL prefixes; and page tokens the server never issued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AJAX, allPages, API, expectError, ok, trackingFixture, type TrackingFixture } from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
let expA: string;
let expB: string;
const runs: { id: string; exp: string; acc: number; opt: string; start: number }[] = [];
const OPTS = ['adam', 'sgd', 'rmsprop'];

beforeAll(async () => {
  f = trackingFixture();
  expA = ok(await f.post(`${API}/experiments/create`, { name: 'search-a' })).experiment_id;
  expB = ok(await f.post(`${API}/experiments/create`, { name: 'search-b' })).experiment_id;
  for (let i = 0; i < 24; i++) {
    const exp = i % 3 === 0 ? expB : expA;
    const start = 1_700_000_000_000 + i * 1000;
    const { run } = ok(await f.post(`${API}/runs/create`, { experiment_id: exp, run_name: `r${i}`, start_time: start }));
    const acc = ((i * 7) % 24) / 24;
    const opt = OPTS[i % 3];
    ok(
      await f.post(`${API}/runs/log-batch`, {
        run_id: run.info.run_id,
        metrics: [{ key: 'acc', value: acc, timestamp: start, step: 1 }],
        params: [{ key: 'opt', value: opt }],
        tags: [{ key: 'parity', value: i % 2 ? 'odd' : 'even' }],
      }),
    );
    runs.push({ id: run.info.run_id, exp, acc, opt, start });
  }
});
afterAll(() => f.close());

const ids = (body: { runs: { info: { run_id: string } }[] }) => body.runs.map((r) => r.info.run_id);

describe('runs/search', () => {
  it('filters and orders like MLflow: metrics.acc > 0.3 and params.opt = adam, by metrics.acc DESC', async () => {
    const body = ok(
      await f.post(`${API}/runs/search`, {
        experiment_ids: [expA, expB],
        filter: "metrics.acc > 0.3 and params.opt = 'adam'",
        order_by: ['metrics.acc DESC'],
        max_results: 100,
      }),
    );
    const expected = runs.filter((r) => r.acc > 0.3 && r.opt === 'adam').sort((a, b) => b.acc - a.acc);
    expect(expected.length).toBeGreaterThan(2);
    expect(ids(body)).toEqual(expected.map((r) => r.id));
    expect(body.next_page_token).toBeUndefined();
    const first = body.runs[0];
    expect(first.data.params).toEqual([{ key: 'opt', value: 'adam' }]);
    expect(first.data.metrics).toEqual([{ key: 'acc', value: expected[0].acc, timestamp: expected[0].start, step: 1 }]);
  });

  it('default order is start_time DESC; experiment_ids limits the runs searched', async () => {
    const onlyA = ok(await f.post(`${API}/runs/search`, { experiment_ids: [expA] }));
    expect(ids(onlyA)).toEqual(
      runs
        .filter((r) => r.exp === expA)
        .sort((a, b) => b.start - a.start)
        .map((r) => r.id),
    );
  });

  it('GET takes repeated query parameters: experiment_ids=A&experiment_ids=B, order_by twice', async () => {
    const viaGet = ok(
      await f.get(`${API}/runs/search`, {
        experiment_ids: [expA, expB],
        order_by: ['params.opt ASC', 'attributes.start_time ASC'],
        filter: "tags.parity = 'odd'",
      }),
    );
    const viaPost = ok(
      await f.post(`${API}/runs/search`, {
        experiment_ids: [expA, expB],
        order_by: ['params.opt ASC', 'attributes.start_time ASC'],
        filter: "tags.parity = 'odd'",
      }),
    );
    expect(viaGet).toEqual(viaPost);
    expect(viaGet.runs).toHaveLength(12);
    const expected = runs.filter((_, i) => i % 2).sort((a, b) => a.opt.localeCompare(b.opt) || a.start - b.start);
    expect(ids(viaGet)).toEqual(expected.map((r) => r.id));
    // Both experiments' runs are there, so the repeated parameter was read as a list.
    expect(new Set(viaGet.runs.map((r: { info: { experiment_id: string } }) => r.info.experiment_id))).toEqual(new Set([expA, expB]));
  });

  it('page tokens round-trip: max_results 5 pages through all 24 runs once, in order; ajax-api alike', async () => {
    const whole = ids(ok(await f.post(`${API}/runs/search`, { experiment_ids: [expA, expB], order_by: ['metrics.acc ASC'] })));
    expect(whole).toHaveLength(24);
    for (const prefix of [API, AJAX]) {
      const { items, pages } = await allPages(
        (page_token) => f.post(`${prefix}/runs/search`, { experiment_ids: [expA, expB], order_by: ['metrics.acc ASC'], max_results: 5, page_token }),
        'runs',
      );
      expect(pages).toBe(5);
      expect(items.map((r) => r.info.run_id)).toEqual(whole);
    }
  });

  it('run_view_type: deleted runs only with DELETED_ONLY or ALL', async () => {
    const victim = runs[1].id;
    ok(await f.post(`${API}/runs/delete`, { run_id: victim }));
    const search = async (run_view_type?: string) =>
      ids(ok(await f.post(`${API}/runs/search`, { experiment_ids: [expA, expB], ...(run_view_type ? { run_view_type } : {}) })));
    expect(await search()).not.toContain(victim);
    expect(await search('DELETED_ONLY')).toEqual([victim]);
    expect(await search('ALL')).toHaveLength(24);
    ok(await f.post(`${API}/runs/restore`, { run_id: victim }));
  });

  it('refuses bad filters, order_by, max_results and view types with 400', async () => {
    const bad = async (body: Record<string, unknown>, ...mentions: string[]) =>
      expectError(await f.post(`${API}/runs/search`, { experiment_ids: [expA], ...body }), 400, 'INVALID_PARAMETER_VALUE', ...mentions);
    await bad({ filter: 'metrics.acc >' });
    await bad({ filter: "params.opt = 'adam' or" });
    await bad({ order_by: ['metrics.acc SIDEWAYS'] });
    await bad({ max_results: 0 }, '0');
    await bad({ max_results: 50_001 }, '50001');
    await bad({ max_results: 'many' }, 'max_results');
    await bad({ run_view_type: 'SOME' }, 'SOME');
    await bad({ experiment_ids: [{ id: 1 }] }, 'experiment_ids');
    await bad({ page_token: 'bm9wZQ' });
  });
});

// A token the server did not issue must not silently mean "the first page".
it('page tokens the server did not issue are refused with 400 by every paged endpoint', async () => {
  const runId = runs[0].id;
  for (const page_token of ['%%%', '!!!', 'IA', 'bm90IGEgdG9rZW4']) {
    expectError(await f.get(`${API}/metrics/get-history`, { run_id: runId, metric_key: 'acc', page_token }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await f.get(`${API}/experiments/search`, { page_token }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await f.get(`${API}/registered-models/search`, { page_token }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await f.post(`${API}/runs/search`, { experiment_ids: [expA], page_token }), 400, 'INVALID_PARAMETER_VALUE');
  }
});
