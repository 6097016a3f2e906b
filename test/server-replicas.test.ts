// Two `mlx server` replicas on one PostgreSQL database and one shared artifacts folder, as a team
// runs them behind a load balancer: 16 clients spread over both log 1,000 metric points each at
// once (none lost, none doubled), 50 registrations of one new model at once, alternating between
// the replicas (versions 1..50, no duplicates), and what one replica stored is read through the other.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, tempProject } from './helpers/cli.js';
import { call, startTrackingServer, stopServers, type TrackingServer } from './helpers/mlx-server.js';
import { sha256 } from './helpers/models.js';
import { postgresForTests, type TestPostgres } from './helpers/postgres.js';
import { tabularBytes } from './helpers/serving-fixtures.js';

const API = '/api/2.0/mlflow';
const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const CLIENTS = 16;
const POINTS = 1000;
const PASSWORD = 'not-a-real-pw-7f3a';

const pg: TestPostgres | null = await postgresForTests();
const describePg = pg ? describe : describe.skip;
let dir: string;
let shared: string;
let url: string;
let servers: TrackingServer[] = [];

/** The test database's URI with a password in it (trust auth ignores it): no message may show it. */
function withPassword(u: string): string {
  const parsed = new URL(u);
  parsed.password = PASSWORD;
  return parsed.toString();
}

beforeAll(async () => {
  if (!pg) return;
  dir = tempProject('mlx-replicas-');
  shared = path.join(dir, 'shared-artifacts');
  url = withPassword(pg.url(await pg.createDatabase()));
  const args = ['--backend-store-uri', url, '--artifacts-destination', shared];
  // Started together: both find the database empty, one creates the schema under the advisory lock.
  servers = await Promise.all([startTrackingServer(dir, args), startTrackingServer(dir, args)]);
}, 60_000);

afterAll(async () => {
  await stopServers();
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function post(base: string, endpoint: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${API}/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${endpoint} on ${base} answered ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

describePg('two mlx server replicas on one PostgreSQL database', () => {
  it('start together on an empty database, and say which store they serve without its password', () => {
    for (const s of servers) {
      expect(s.stderr()).toMatch(/tracking server listening on .*\(store postgresql:\/\/postgres@127\.0\.0\.1:\d+\/\w+, artifacts /);
      expect(s.stderr()).not.toContain(PASSWORD);
    }
    // Nothing was created from the URI in the working folder (no "postgresql:" folder).
    expect(fs.readdirSync(dir).filter((f) => f !== 'shared-artifacts')).toEqual([]);
  });

  it('16 clients over both replicas × 1,000 points, at once: all 16,000 stored, none lost, none doubled', async () => {
    const [a, b] = servers;
    const exp = (await post(a.base, 'experiments/create', { name: 'replicas' })).experiment_id as string;
    const runIds: string[] = [];
    for (let r = 0; r < 4; r++)
      runIds.push(((await post(r % 2 ? b.base : a.base, 'runs/create', { experiment_id: exp })).run as { info: { run_id: string } }).info.run_id);
    const valueOf = (c: number, step: number) => c * 10_000 + step + 0.5;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const base = servers[c % 2].base;
        const run_id = runIds[c % 4];
        const metric = (step: number) => ({ key: `client_${c}`, value: valueOf(c, step), timestamp: 1_700_000_000_000 + step, step });
        for (let start = 0, i = 0; start < POINTS; start += 100, i++) {
          const steps = Array.from({ length: 100 }, (_, k) => start + k);
          if (i % 2) await post(base, 'runs/log-batch', { run_id, metrics: steps.map(metric) });
          else
            for (let k = 0; k < steps.length; k += 10)
              await Promise.all(steps.slice(k, k + 10).map((s) => post(base, 'runs/log-metric', { run_id, ...metric(s) })));
        }
      }),
    );
    for (let c = 0; c < CLIENTS; c++) {
      // Read through the replica the client did not write to.
      const { body } = await call(servers[(c + 1) % 2].base, 'GET', `${API}/metrics/get-history`, { run_id: runIds[c % 4], metric_key: `client_${c}` });
      const steps = body.metrics.map((m: { step: number }) => m.step).sort((x: number, y: number) => x - y);
      expect(steps, `client ${c}`).toEqual(Array.from({ length: POINTS }, (_, s) => s));
      for (const m of body.metrics) expect(m.value).toBe(valueOf(c, m.step));
    }
    for (const run_id of runIds) {
      const run = (await call(b.base, 'GET', `${API}/runs/get`, { run_id })).body.run;
      expect(run.data.metrics).toHaveLength(CLIENTS / 4);
      for (const m of run.data.metrics) expect(m.step).toBe(POINTS - 1);
    }
  }, 180_000);

  it('50 registrations of one new model at once over both replicas: versions 1..50, each readable through either', async () => {
    const [a, b] = servers;
    const bytes = tabularBytes();
    const put = await fetch(`${a.base}${PROXY}/uploads/value.onnx`, { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);
    const created = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(servers[i % 2].base, 'model-versions/create', { name: 'value', source: 'mlflow-artifacts:/uploads/value.onnx' }),
      ),
    );
    const versions = created.map((r) => Number((r.model_version as { version: string }).version)).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // One copy of the bytes in the shared folder, under the proxy's read-only registry prefix.
    expect(fs.readdirSync(path.join(shared, '_mlx-registry', 'models', 'sha256'))).toEqual([`${sha256(bytes)}.onnx`]);
    for (const v of [1, 25, 50]) {
      const res = await fetch(`${b.base}${PROXY}/_mlx-registry/value/${v}/model.onnx`);
      expect(res.status).toBe(200);
      expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(bytes));
    }
    // The model card written by one replica is read through the other.
    const card = await call(b.base, 'GET', '/api/2.0/mlx/model-versions/card', { name: 'value', version: '7' });
    expect(card.body.markdown).toContain('value');
    const info = await call(a.base, 'GET', '/api/2.0/mlx/server-info');
    expect(info.body.store).toBe('postgresql');
  }, 120_000);

  it('the CLI works against either replica (a run with an artifact, read back through the other)', async () => {
    const [a, b] = servers;
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello from a replica\n');
    const env = { MLX_TRACKING_URI: a.base };
    const run = mlx(dir, ['run', '--experiment', 'cli', '--name', 'first', '--', process.execPath, '-e', 'console.log("::mlx metric acc=0.9")'], { env });
    expect(run.code, run.stderr).toBe(0);
    const listed = JSON.parse(mlx(dir, ['runs', 'list', '--experiment', 'cli', '--json'], { env: { MLX_TRACKING_URI: b.base } }).stdout);
    expect(listed.runs).toHaveLength(1);
    expect(listed.runs[0].metrics).toMatchObject({ acc: 0.9 });
    const runId = listed.runs[0].run_id;
    expect(mlx(dir, ['log', 'artifact', 'notes.txt', '--run', runId], { env }).code).toBe(0);
    expect(listed.runs[0].artifact_uri).toMatch(/^mlflow-artifacts:\//);
    const res = await fetch(`${b.base}${PROXY}/${listed.runs[0].artifact_uri.replace(/^mlflow-artifacts:\/+/, '')}/notes.txt`);
    expect(await res.text()).toBe('hello from a replica\n');
  }, 60_000);

  it('refuses a PostgreSQL store without --artifacts-destination, naming the flag, without its password, writing nothing', () => {
    const empty = tempProject('mlx-replicas-refused-');
    try {
      const r = mlx(empty, ['server', '--port', '0', '--backend-store-uri', url]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--artifacts-destination/);
      expect(r.stderr).not.toContain(PASSWORD);
      expect(fs.readdirSync(empty)).toEqual([]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('mlx run straight against the database refuses before creating a run (its output needs the artifact proxy)', () => {
    const before = JSON.parse(mlx(dir, ['runs', 'list', '--json'], { env: { MLX_TRACKING_URI: url } }).stdout).runs.length;
    const r = mlx(dir, ['run', '--name', 'direct', '--', process.execPath, '-e', '1'], { env: { MLX_TRACKING_URI: url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/keeps artifacts through its tracking server: run `mlx server --backend-store-uri postgresql:\/\/postgres@/);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(JSON.parse(mlx(dir, ['runs', 'list', '--json'], { env: { MLX_TRACKING_URI: url } }).stdout).runs.length).toBe(before);
  });

  it('registering straight against the database (no server) says to go through a tracking server', () => {
    fs.writeFileSync(path.join(dir, 'direct.onnx'), tabularBytes());
    const r = mlx(dir, ['register', 'direct.onnx', '--name', 'direct'], { env: { MLX_TRACKING_URI: url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/keeps no model files on this machine; run `mlx server --backend-store-uri postgresql:\/\/postgres@/);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(fs.existsSync(path.join(dir, 'postgresql:'))).toBe(false);
  });
});
