// Bad input of every kind gets MLflow's error shape {error_code, message} with a 4xx status, never a
// 500: bad JSON, non-object bodies, wrong field types, bodies over the limit, unknown endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, expectError, newRun, ok, trackingFixture, type Reply, type TrackingFixture } from '../../../test/helpers/tracking.js';

const LIMIT = 64 * 1024;
let f: TrackingFixture;
let runId: string;
let experimentId: string;
const internal: string[] = [];

beforeAll(async () => {
  f = trackingFixture({ maxBodyBytes: LIMIT, log: (line) => internal.push(line) });
  ({ runId, experimentId } = await newRun(f, 'bad-input'));
});
afterAll(() => f.close());

/** Any error answer: a 4xx, exactly {error_code, message}, a non-empty message. */
function expect4xx(r: Reply, where: string) {
  expect(r.status, `${where}: ${JSON.stringify(r.body)}`).toBeGreaterThanOrEqual(400);
  expect(r.status, `${where}: ${JSON.stringify(r.body)}`).toBeLessThan(500);
  expect(Object.keys(r.body).sort(), where).toEqual(['error_code', 'message']);
  expect(r.body.message.length, where).toBeGreaterThan(0);
}

describe('malformed bodies', () => {
  it('bad JSON and JSON that is not an object → 400 BAD_REQUEST', async () => {
    for (const body of ['{"name": ', 'name=x', '\u0000', '{"a":1}}'])
      expectError(await f.raw('POST', `${API}/experiments/create`, body, { 'content-type': 'application/json' }), 400, 'BAD_REQUEST', 'JSON');
    for (const body of ['[1,2]', '"name"', '42', 'null', 'true'])
      expectError(await f.raw('POST', `${API}/experiments/create`, body, { 'content-type': 'application/json' }), 400, 'BAD_REQUEST', 'object');
  });

  it('an empty body is an empty message: required fields are reported missing', async () => {
    expectError(await f.raw('POST', `${API}/experiments/create`, '', { 'content-type': 'application/json' }), 400, 'INVALID_PARAMETER_VALUE', 'name');
  });

  it('a body over --max-body-mb → 413 REQUEST_LIMIT_EXCEEDED, declared or streamed', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(LIMIT + 10) });
    const declared = await f.raw('POST', `${API}/experiments/create`, big, { 'content-type': 'application/json', 'content-length': String(big.length) });
    expectError(declared, 413, 'REQUEST_LIMIT_EXCEEDED');
    // No Content-Length: the limit is enforced while reading.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode('x'.repeat(LIMIT / 2)));
        c.close();
      },
    });
    const res = await f.app.request(`${API}/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error_code: string }).error_code).toBe('REQUEST_LIMIT_EXCEEDED');
    expect(ok(await f.get(`${API}/experiments/search`, { filter: "name LIKE 'xxx%'" }))).toEqual({});
  });
});

describe('wrong field types → 400 INVALID_PARAMETER_VALUE naming the field', () => {
  const cases: [string, string, () => Record<string, unknown>, string][] = [
    ['a string where an int64 is expected', 'runs/create', () => ({ experiment_id: experimentId, start_time: 'noon' }), 'start_time'],
    ['a float where an int64 is expected', 'runs/log-metric', () => ({ run_id: runId, key: 'm', value: 1, timestamp: 1.25 }), 'timestamp'],
    ['a string where an int32 is expected', 'runs/search', () => ({ experiment_ids: [experimentId], max_results: '10x' }), 'max_results'],
    ['a string where a double is expected', 'runs/log-metric', () => ({ run_id: runId, key: 'm', value: 'ten', timestamp: 1 }), 'value'],
    ['a list where a string is expected', 'runs/set-tag', () => ({ run_id: runId, key: ['k'], value: 'v' }), 'key'],
    ['an object where a string is expected', 'experiments/create', () => ({ name: { first: 'x' } }), 'name'],
    ['a boolean where a string is expected', 'runs/log-parameter', () => ({ run_id: runId, key: 'k', value: false }), 'value'],
    ['an object where a list is expected', 'runs/create', () => ({ experiment_id: experimentId, tags: { key: 'k', value: 'v' } }), 'tags'],
    ['a list where an object is expected', 'runs/log-inputs', () => ({ run_id: runId, datasets: [{ dataset: [{ name: 'd' }] }] }), 'dataset'],
    ['a string in a list of objects', 'runs/log-batch', () => ({ run_id: runId, params: ['lr=1'] }), 'params'],
    ['a number where a list of strings is expected', 'runs/search', () => ({ experiment_ids: [experimentId], order_by: [1.5, {}] }), 'order_by'],
    ['an unknown enum name', 'experiments/search', () => ({ view_type: 'EVERYTHING' }), 'EVERYTHING'],
    ['a huge int64', 'runs/log-metric', () => ({ run_id: runId, key: 'm', value: 1, timestamp: 1, step: 1e300 }), 'step'],
  ];
  for (const [what, endpoint, body, field] of cases)
    it(`${what} (${endpoint} ${field})`, async () => {
      expectError(await f.post(`${API}/${endpoint}`, body()), 400, 'INVALID_PARAMETER_VALUE', field);
    });

  it('GET query parameters are typed too: max_results=abc, version=one', async () => {
    expectError(
      await f.get(`${API}/metrics/get-history`, { run_id: runId, metric_key: 'm', max_results: 'abc' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'max_results',
    );
    expectError(await f.get(`${API}/model-versions/get`, { name: 'm', version: 'one' }), 400, 'INVALID_PARAMETER_VALUE', 'one');
  });
});

describe('never a 500', () => {
  const endpoints: [string, string][] = [
    ['POST', 'experiments/create'],
    ['GET', 'experiments/get'],
    ['GET', 'experiments/get-by-name'],
    ['POST', 'experiments/search'],
    ['POST', 'experiments/update'],
    ['POST', 'experiments/delete'],
    ['POST', 'experiments/restore'],
    ['POST', 'experiments/set-experiment-tag'],
    ['POST', 'runs/create'],
    ['GET', 'runs/get'],
    ['POST', 'runs/update'],
    ['POST', 'runs/delete'],
    ['POST', 'runs/restore'],
    ['POST', 'runs/log-metric'],
    ['POST', 'runs/log-parameter'],
    ['POST', 'runs/set-tag'],
    ['POST', 'runs/delete-tag'],
    ['POST', 'runs/log-batch'],
    ['POST', 'runs/log-inputs'],
    ['POST', 'runs/search'],
    ['GET', 'metrics/get-history'],
    ['GET', 'artifacts/list'],
    ['POST', 'registered-models/create'],
    ['GET', 'registered-models/get'],
    ['GET', 'registered-models/search'],
    ['POST', 'registered-models/rename'],
    ['PATCH', 'registered-models/update'],
    ['DELETE', 'registered-models/delete'],
    ['POST', 'registered-models/set-tag'],
    ['DELETE', 'registered-models/delete-tag'],
    ['POST', 'registered-models/alias'],
    ['DELETE', 'registered-models/alias'],
    ['GET', 'registered-models/alias'],
    ['POST', 'registered-models/get-latest-versions'],
    ['POST', 'model-versions/create'],
    ['GET', 'model-versions/get'],
    ['GET', 'model-versions/search'],
    ['PATCH', 'model-versions/update'],
    ['DELETE', 'model-versions/delete'],
    ['POST', 'model-versions/set-tag'],
    ['DELETE', 'model-versions/delete-tag'],
    ['GET', 'model-versions/get-download-uri'],
  ];
  const fields = [
    'name',
    'experiment_id',
    'experiment_name',
    'run_id',
    'key',
    'value',
    'timestamp',
    'step',
    'new_name',
    'status',
    'max_results',
    'page_token',
    'filter',
    'order_by',
    'view_type',
    'experiment_ids',
    'metric_key',
    'path',
    'alias',
    'version',
    'source',
    'tags',
    'metrics',
    'params',
    'datasets',
    'stages',
  ];
  const odd = [null, -1, 1.5, 1e308, true, {}, [], [null], [{}], [{ key: 7 }], '', '\u0000', '../..', 'NaN', '9'.repeat(40)];

  it('every endpoint × every field × odd values: a 4xx error in MLflow shape or a 200', async () => {
    let requests = 0;
    for (const [method, endpoint] of endpoints)
      for (const [i, field] of fields.entries()) {
        const value = odd[(i + endpoint.length) % odd.length];
        const body: Record<string, unknown> = { run_id: runId, experiment_id: experimentId, name: 'fuzz', [field]: value };
        const r =
          method === 'GET'
            ? await f.raw(
                'GET',
                `${API}/${endpoint}?${new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]))}`,
              )
            : await f.raw(method, `${API}/${endpoint}`, body);
        requests++;
        if (r.status !== 200) expect4xx(r, `${method} ${endpoint} ${field}=${JSON.stringify(value)}`);
      }
    expect(requests).toBe(endpoints.length * fields.length);
    expect(internal, 'the app reported internal errors').toEqual([]);
  });

  it('unknown endpoints and wrong methods → 404 in the same shape', async () => {
    expectError(await f.get(`${API}/runs/fly`), 404, 'ENDPOINT_NOT_FOUND');
    expect4xx(await f.get(`${API}/runs/log-metric`), 'GET on a POST endpoint');
    expect4xx(await f.raw('PUT', `${API}/experiments/create`, { name: 'x' }), 'PUT on a POST endpoint');
  });
});

// MLflow refuses POST bodies that are not application/json (mlflow/server/validation.py
// _validate_content_type): a web page cannot send application/json cross-origin without a CORS
// preflight, so this is what stops any site the user visits from writing to a local server.
it('a POST whose Content-Type is not application/json is refused (CSRF from simple cross-site requests)', async () => {
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])
    expectError(
      await f.raw('POST', `${API}/runs/delete`, JSON.stringify({ run_id: runId }), { 'content-type': type }),
      400,
      'INVALID_PARAMETER_VALUE',
      'Content-Type',
    );
  expect(ok(await f.get(`${API}/runs/get`, { run_id: runId })).run.info.lifecycle_stage).toBe('active');
  ok(
    await f.raw('POST', `${API}/runs/set-tag`, JSON.stringify({ run_id: runId, key: 'k', value: 'v' }), { 'content-type': 'application/json; charset=utf-8' }),
  );
});
