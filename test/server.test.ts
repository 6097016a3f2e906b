// `mlx server` as a real process: its startup line, the token, CORS, SIGTERM, and
// --artifacts-destination (uploads and new experiments' run artifacts go there).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProjects } from './helpers/cli.js';
import { call, startTrackingServer, stopServers, type TrackingServer } from './helpers/mlx-server.js';

const T = 60_000;
const TOKEN = 'e2e-token-0123456789abcdef';
const API = '/api/2.0/mlflow';
const { project, removeAll } = tempProjects('mlx-server-e2e-');

afterAll(async () => {
  await stopServers();
  removeAll();
});

describe('startup', () => {
  it(
    'prints one startup line with its URL and store on stderr, nothing on stdout, and answers /health',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')]);
      expect(s.stderr()).toMatch(
        new RegExp(
          `^mlx: tracking server listening on http://127\\.0\\.0\\.1:${s.port} \\(store ${path.join(dir, '.mlx').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
        ),
      );
      expect((await call(s.base, 'GET', '/health')).body).toEqual({ status: 'OK' });
      expect((await call(s.base, 'GET', '/version')).body).toMatch(/^\d+\.\d+\.\d+/);
      expect(fs.existsSync(path.join(dir, '.mlx', 'mlx.db'))).toBe(true);
      const exps = await call(s.base, 'GET', `${API}/experiments/search`);
      expect(exps.body.experiments.map((e: { name: string }) => e.name)).toEqual(['Default']);
      expect(s.stdout()).toBe('');
    },
    T,
  );
});

describe('--token', () => {
  let s: TrackingServer;
  beforeAll(async () => {
    const dir = project();
    s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx'), '--token', TOKEN]);
  }, T);

  it('401 without a token or with a wrong one; 200 with it; /health stays open', async () => {
    const none = await call(s.base, 'GET', `${API}/experiments/search`);
    expect(none.status).toBe(401);
    expect(none.body.error_code).toBe('UNAUTHENTICATED');
    expect((await call(s.base, 'GET', `${API}/experiments/search`, undefined, { authorization: 'Bearer wrong-token-xxxxxxxx' })).status).toBe(401);
    expect((await call(s.base, 'POST', `${API}/experiments/create`, { name: 'x' }, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await call(s.base, 'GET', '/api/2.0/mlflow-artifacts/artifacts', { path: '' })).status).toBe(401);
    expect((await call(s.base, 'GET', `${API}/experiments/search`, undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await call(s.base, 'POST', `${API}/experiments/create`, { name: 'with-token' }, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await call(s.base, 'GET', '/health')).status).toBe(200);
    expect(s.stderr()).toMatch(/token required/);
  });

  it(
    'MLX_SERVER_TOKEN works like --token',
    async () => {
      const dir = project();
      const env = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')], { MLX_SERVER_TOKEN: TOKEN });
      expect((await call(env.base, 'GET', `${API}/experiments/search`)).status).toBe(401);
      expect((await call(env.base, 'GET', `${API}/experiments/search`, undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    },
    T,
  );
});

describe('CORS', () => {
  it(
    'no Access-Control-* headers by default; with --cors-origin, that origin gets them and preflights pass',
    async () => {
      const origin = 'https://dash.example.org';
      const a = project();
      const b = project();
      const [plain, cors] = await Promise.all([
        startTrackingServer(a, ['--backend-store-uri', path.join(a, '.mlx')]),
        startTrackingServer(b, ['--backend-store-uri', path.join(b, '.mlx'), '--cors-origin', origin]),
      ]);
      const corsHeaders = (h: Headers) => [...h.keys()].filter((k) => k.startsWith('access-control-'));
      expect(corsHeaders((await call(plain.base, 'GET', `${API}/experiments/search`, undefined, { origin })).headers)).toEqual([]);
      const pre = await fetch(`${cors.base}${API}/runs/log-metric`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
      expect((await call(cors.base, 'GET', `${API}/experiments/search`, undefined, { origin })).headers.get('access-control-allow-origin')).toBe(origin);
      expect(
        (await call(cors.base, 'GET', `${API}/experiments/search`, undefined, { origin: 'https://other.example' })).headers.get('access-control-allow-origin'),
      ).not.toBe('https://other.example');
    },
    T,
  );
});

describe('SIGTERM', () => {
  it(
    'exits 0 after saying so, and the store is intact',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')]);
      const exp = (await call(s.base, 'POST', `${API}/experiments/create`, { name: 'before-term' })).body.experiment_id;
      s.proc.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(s.stderr()).toMatch(/SIGTERM/);
      await expect(fetch(`${s.base}/health`)).rejects.toThrow();
      const again = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')]);
      expect((await call(again.base, 'GET', `${API}/experiments/get`, { experiment_id: exp })).body.experiment.name).toBe('before-term');
    },
    T,
  );
});

describe('--artifacts-destination', () => {
  it(
    "uploads and new experiments' run artifacts land there, not in the store's own folder",
    async () => {
      const dir = project();
      const dest = path.join(dir, 'shared-artifacts');
      const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx'), '--artifacts-destination', dest]);
      expect(s.stderr()).toContain(dest);
      const put = await fetch(`${s.base}/api/2.0/mlflow-artifacts/artifacts/loose/file.txt`, {
        method: 'PUT',
        body: 'loose',
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(put.status).toBe(200);
      expect(fs.readFileSync(path.join(dest, 'loose', 'file.txt'), 'utf8')).toBe('loose');

      const exp = (await call(s.base, 'POST', `${API}/experiments/create`, { name: 'remote' })).body.experiment_id;
      const experiment = (await call(s.base, 'GET', `${API}/experiments/get`, { experiment_id: exp })).body.experiment;
      expect(experiment.artifact_location).toMatch(/^mlflow-artifacts:/);
      const run = (await call(s.base, 'POST', `${API}/runs/create`, { experiment_id: exp })).body.run;
      expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${exp}/${run.info.run_id}/artifacts`);
      const rel = `${run.info.artifact_uri.replace('mlflow-artifacts:/', '')}/plots/loss.svg`;
      expect((await fetch(`${s.base}/api/2.0/mlflow-artifacts/artifacts/${rel}`, { method: 'PUT', body: '<svg/>' })).status).toBe(200);
      expect(fs.readFileSync(path.join(dest, rel), 'utf8')).toBe('<svg/>');
      const listed = await call(s.base, 'GET', `${API}/artifacts/list`, { run_id: run.info.run_id });
      expect(listed.body.files).toEqual([{ path: 'plots', is_dir: true }]);
      const own = path.join(dir, '.mlx', 'artifacts');
      expect(fs.existsSync(own) ? fs.readdirSync(own, { recursive: true }) : []).toEqual([]);
    },
    T,
  );
});

/** GET with a chosen Host header (fetch does not let a caller set Host). */
function getWithHost(base: string, p: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${p}`, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe('Host check without a token (DNS rebinding)', () => {
  it(
    'a tokenless loopback server answers 403 to other Host names; a token or a public --host turns the check off',
    async () => {
      const a = project();
      const b = project();
      const c = project();
      const [plain, tokened, open] = await Promise.all([
        startTrackingServer(a, ['--backend-store-uri', path.join(a, '.mlx')]),
        startTrackingServer(b, ['--backend-store-uri', path.join(b, '.mlx'), '--token', TOKEN]),
        startTrackingServer(c, ['--backend-store-uri', path.join(c, '.mlx'), '--host', '0.0.0.0', '--allow-unauthenticated']),
      ]);
      const rebound = await getWithHost(plain.base, `${API}/experiments/search`, `rebound.example:${plain.port}`);
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body).error_code).toBe('PERMISSION_DENIED');
      expect((await getWithHost(plain.base, `${API}/experiments/search`, `localhost:${plain.port}`)).status).toBe(200);
      expect((await getWithHost(plain.base, '/health', 'rebound.example')).status).toBe(200);
      expect((await getWithHost(tokened.base, `${API}/experiments/search`, 'rebound.example')).status).toBe(401);
      expect((await getWithHost(open.base, `${API}/experiments/search`, 'ml.example.com')).status).toBe(200);
    },
    T,
  );
});
