// The tracking server's experiment, registered model and model version searches (MLflow's simple
// filter grammar). A LIKE pattern used to become a regular expression, `%` → `.*`: with a dozen `%`
// against a long name V8's backtracking ran for hours, and the server (one event loop) answered
// nothing else meanwhile. Matching is now linear per wildcard, and filters have the run search's
// bounds (length, conditions, pattern length), each refused with a 400 naming the limit.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, tempProject } from '../helpers/cli.js';
import { call, startTrackingServer, stopServers, type TrackingServer } from '../helpers/mlx-server.js';
import { sampleModels, writeFile } from '../helpers/models.js';

const API = '/api/2.0/mlflow';
const LONG = 'a'.repeat(200);
// 40 wildcards, none able to match the final 'b': before, about C(200, 40) ways to try.
const EVIL = `${'%a'.repeat(40)}%b`;

let s: TrackingServer;

beforeAll(async () => {
  const dir = tempProject('mlx-sec-like-');
  writeFile(dir, 'tabular.onnx', sampleModels().tabular);
  expect(mlx(dir, ['experiments', 'create', LONG]).code).toBe(0);
  const r = mlx(dir, ['register', 'tabular.onnx', '--name', LONG, '--tag', `note=${LONG}`]);
  expect(r.code, r.stderr).toBe(0);
  s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')]);
}, 60_000);
afterAll(() => stopServers());

// Each holds one item whose field is LONG.
const SEARCHES: [string, string][] = [
  ['experiments/search', 'name'],
  ['registered-models/search', 'name'],
  ['model-versions/search', 'name'],
  ['model-versions/search', 'tags.note'],
];

describe('simple filters on the tracking server', () => {
  it('a LIKE pattern with 40 wildcards answers at once, and the server keeps serving', async () => {
    for (const [endpoint, field] of SEARCHES) {
      for (const [pattern, hits] of [
        [EVIL, 0],
        [`${'%a'.repeat(40)}%`, 1],
        [`${'_'.repeat(199)}%`, 1],
        [`${'_'.repeat(201)}%`, 0],
      ] as const) {
        const r = await call(s.base, 'POST', `${API}/${endpoint}`, { filter: `${field} LIKE '${pattern}'` });
        expect(r.status, `${endpoint} ${field}: ${JSON.stringify(r.body).slice(0, 200)}`).toBe(200);
        const list = r.body.experiments ?? r.body.registered_models ?? r.body.model_versions ?? [];
        // experiments/search also lists Default, which no pattern here matches.
        expect(list.length, `${endpoint} ${field} LIKE ${pattern.slice(0, 20)}…`).toBe(hits);
      }
      expect((await fetch(`${s.base}/health`)).status).toBe(200);
    }
  }, 60_000);

  it('ILIKE folds case per character, as before', async () => {
    const r = await call(s.base, 'POST', `${API}/experiments/search`, { filter: `name ILIKE '${'%A'.repeat(40)}%'` });
    expect(r.body.experiments.map((e: { name: string }) => e.name)).toEqual([LONG]);
  });

  it('refuses filters past the run search limits with a 400 naming the limit', async () => {
    const cases: [string, RegExp][] = [
      [`name LIKE '${'a'.repeat(5001)}'`, /LIKE patterns are at most 5000 characters/],
      [Array.from({ length: 1001 }, () => "name = 'x'").join(' AND '), /1001 conditions, over the limit of 1000/],
      [`name = '${'x'.repeat(100_000)}'`, /100009 characters, over the limit of 100000/],
    ];
    for (const [endpoint] of SEARCHES)
      for (const [filter, re] of cases) {
        const r = await call(s.base, 'POST', `${API}/${endpoint}`, { filter });
        expect(r.status, endpoint).toBe(400);
        expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
        expect(r.body.message).toMatch(re);
        expect(r.body.message.length, 'the message does not echo a 100,000-character filter').toBeLessThan(400);
      }
  });
});
