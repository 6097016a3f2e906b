// 16 clients log 1,000 metric points each at the same time through one `mlx server` (a mix of
// runs/log-metric and runs/log-batch, four clients per run): all 16,000 points must be stored,
// as get-history and the SQLite file itself show.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempProject } from './helpers/cli.js';
import { call, startTrackingServer, stopServers, type TrackingServer } from './helpers/mlx-server.js';

const API = '/api/2.0/mlflow';
const CLIENTS = 16;
const POINTS = 1000;
const RUNS = 4;
const T0 = 1_700_000_000_000;
let dir: string;
let server: TrackingServer;
let runIds: string[];

beforeAll(async () => {
  dir = tempProject('mlx-server-load-');
  server = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')]);
  const exp = (await call(server.base, 'POST', `${API}/experiments/create`, { name: 'load' })).body.experiment_id;
  runIds = [];
  for (let r = 0; r < RUNS; r++) runIds.push((await call(server.base, 'POST', `${API}/runs/create`, { experiment_id: exp })).body.run.info.run_id);
}, 60_000);

afterAll(async () => {
  await stopServers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const valueOf = (client: number, step: number) => client * 10_000 + step + 0.25;

async function post(endpoint: string, body: unknown): Promise<void> {
  const res = await fetch(`${server.base}${API}/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${endpoint} answered ${res.status}: ${text}`);
}

/**
 * One client: steps in chunks; even chunks as single log-metric requests (4 in flight at a time),
 * odd chunks as one log-batch; chunk sizes vary by client so requests interleave differently.
 */
async function client(c: number): Promise<number> {
  const run_id = runIds[c % RUNS];
  const key = `client_${c}`;
  const chunk = 50 + c * 10;
  let requests = 0;
  for (let start = 0, i = 0; start < POINTS; start += chunk, i++) {
    const steps = Array.from({ length: Math.min(chunk, POINTS - start) }, (_, k) => start + k);
    const metric = (step: number) => ({ key, value: valueOf(c, step), timestamp: T0 + step, step });
    if (i % 2 === 1) {
      await post('runs/log-batch', { run_id, metrics: steps.map(metric) });
      requests++;
      continue;
    }
    for (let k = 0; k < steps.length; k += 4) {
      await Promise.all(steps.slice(k, k + 4).map((s) => post('runs/log-metric', { run_id, ...metric(s) })));
      requests += Math.min(4, steps.length - k);
    }
  }
  return requests;
}

it('16 clients × 1,000 points, at once: all 16,000 stored, none lost, none doubled', async () => {
  const requests = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  expect(requests.reduce((a, b) => a + b, 0)).toBeGreaterThan(CLIENTS * 100);

  // Through the API: every client's history is complete and exact.
  for (let c = 0; c < CLIENTS; c++) {
    const { body } = await call(server.base, 'GET', `${API}/metrics/get-history`, { run_id: runIds[c % RUNS], metric_key: `client_${c}` });
    const steps = body.metrics.map((m: { step: number }) => m.step).sort((a: number, b: number) => a - b);
    expect(steps, `client ${c}`).toEqual(Array.from({ length: POINTS }, (_, s) => s));
    for (const m of body.metrics) expect(m.value).toBe(valueOf(c, m.step));
  }
  // Each run shows its four clients' latest points.
  for (let r = 0; r < RUNS; r++) {
    const run = (await call(server.base, 'GET', `${API}/runs/get`, { run_id: runIds[r] })).body.run;
    expect(run.data.metrics).toHaveLength(CLIENTS / RUNS);
    for (const m of run.data.metrics) expect(m.step).toBe(POINTS - 1);
  }

  // In the SQLite file itself (WAL: a reader sees every committed write).
  const db = new Database(path.join(dir, '.mlx', 'mlx.db'), { readonly: true });
  try {
    expect(db.prepare('SELECT count(*) FROM metrics').pluck().get()).toBe(CLIENTS * POINTS);
    const perKey = db.prepare('SELECT key, count(*) AS n, count(DISTINCT step) AS steps FROM metrics GROUP BY run_uuid, key').all() as {
      key: string;
      n: number;
      steps: number;
    }[];
    expect(perKey).toHaveLength(CLIENTS);
    for (const row of perKey) expect(row, row.key).toMatchObject({ n: POINTS, steps: POINTS });
    const latest = db.prepare('SELECT key, step, value FROM latest_metrics ORDER BY key').all() as { key: string; step: number; value: number }[];
    expect(latest).toHaveLength(CLIENTS);
    for (const row of latest) expect(row.value).toBe(valueOf(Number(row.key.slice('client_'.length)), POINTS - 1));
  } finally {
    db.close();
  }
  expect(server.stderr()).not.toMatch(/internal error/);
}, 120_000);
