// `mlflow server` command lines on `mlx server`: --serve-artifacts / --no-serve-artifacts (clients
// write to a real S3-protocol server directly), --artifacts-only (MLflow's two-server layout),
// --registry-store-uri, --allowed-hosts / --cors-allowed-origins, the process-model flags and
// MLflow's other flags. Every case spawns real servers on 127.0.0.1 (store URIs: server-store-uris.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, filesUnder, mlx, mlxJson, runsOf, tempProjects } from './helpers/cli.js';
import { killServer, startTrackingServer, stopServers, type TrackingServer } from './helpers/mlx-server.js';
import { rawRequest } from './helpers/raw-http.js';
import { bucketKeys, s3Client, startS3, type TestS3 } from './helpers/s3.js';
import { tabularBytes, tabularRows } from './helpers/serving-fixtures.js';

const T = 90_000;
let s3: TestS3;
let client: S3Client;
const { project, removeAll } = tempProjects('mlx-mlflow-flags-');

beforeAll(async () => {
  s3 = await startS3(['mlx']);
  client = s3Client(s3);
});
afterAll(async () => {
  await stopServers();
  client?.destroy();
  await s3?.close();
  removeAll();
});

/** Every key in the bucket under prefix. */
const keys = (prefix: string) => bucketKeys(client, 'mlx', prefix);

const NO_SERVE =
  /^Endpoint: \/api\/2\.0\/mlflow-artifacts\/artifacts(\/<path:artifact_path>)? disabled due to the mlflow server running with `--no-serve-artifacts`\. To enable artifacts server functionality, run `mlflow server` with `--serve-artifacts`$/;

describe('--no-serve-artifacts: clients write to the experiments’ location directly', () => {
  it(
    'mlx run and mlx log artifact through the server land in the bucket; the proxy answers MLflow’s 503',
    async () => {
      const dir = project();
      const store = path.join(dir, '.mlx');
      const server = await startTrackingServer(
        dir,
        ['--backend-store-uri', store, '--default-artifact-root', 's3://mlx/direct', '--no-serve-artifacts'],
        s3.env,
      );
      expect(server.stderr()).toContain("artifacts not served: clients write new experiments' artifacts under s3://mlx/direct");
      const env = { ...s3.env, MLX_TRACKING_URI: server.base };
      const r = mlx(dir, ['run', '--experiment', 'direct', '--', process.execPath, '-e', 'console.log("epoch 1")'], { env });
      expect(r.code, r.stderr).toBe(0);
      const [run] = runsOf(dir, env, 'direct');
      expect(run.artifact_uri).toBe(`s3://mlx/direct/${run.experiment_id}/${run.run_id}/artifacts`);
      fs.writeFileSync(path.join(dir, 'metrics.json'), '{"acc":0.9}');
      const a = mlx(dir, ['log', 'artifact', 'metrics.json', '--run', run.run_id], { env });
      expect(a.code, a.stderr).toBe(0);
      const prefix = `direct/${run.experiment_id}/${run.run_id}/artifacts/`;
      expect(await keys(prefix)).toEqual([`${prefix}logs/output.txt`, `${prefix}metrics.json`]);
      // The Default experiment moves to the root too (MLflow creates it there), instead of the server's folder.
      expect(mlx(dir, ['run', '--', process.execPath, '-e', '0'], { env }).code).toBe(0);
      const [def] = runsOf(dir, env, 'Default');
      expect(def.artifact_uri).toBe(`s3://mlx/direct/0/${def.run_id}/artifacts`);
      expect(await keys(`direct/0/${def.run_id}/`)).toEqual([`direct/0/${def.run_id}/artifacts/logs/output.txt`]);
      expect(filesUnder(path.join(store, 'artifacts')).filter((f) => !f.startsWith('.mlx-tmp'))).toEqual([]);

      // The proxy: MLflow's refusal, word for word, for listing, download, upload and delete.
      const list = await rawRequest(server.base, '/api/2.0/mlflow-artifacts/artifacts?path=1');
      expect(list.status).toBe(503);
      expect(list.text).toMatch(NO_SERVE);
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await rawRequest(server.base, `/api/2.0/mlflow-artifacts/artifacts/${run.experiment_id}/${run.run_id}/artifacts/x.txt`, {
          method,
          body: method === 'PUT' ? 'hello' : undefined,
        });
        expect(res.status, method).toBe(503);
        expect(res.text).toMatch(NO_SERVE);
      }
      expect(filesUnder(path.join(store, 'artifacts')).filter((f) => !f.startsWith('.mlx-tmp'))).toEqual([]);
    },
    T,
  );

  it(
    'a shared folder as --default-artifact-root (even inside the store): clients get its path and write there',
    async () => {
      const dir = project();
      const store = path.join(dir, '.mlx');
      const shared = path.join(store, 'artifacts', 'shared');
      const server = await startTrackingServer(dir, ['--backend-store-uri', store, '--default-artifact-root', shared, '--no-serve-artifacts']);
      const env = { MLX_TRACKING_URI: server.base };
      expect(mlx(dir, ['run', '--experiment', 'nfs', '--', process.execPath, '-e', 'console.log("on nfs")'], { env }).code).toBe(0);
      const [run] = runsOf(dir, env, 'nfs');
      expect(run.artifact_uri).toBe(path.join(shared, run.experiment_id, run.run_id, 'artifacts'));
      expect(fs.readFileSync(path.join(run.artifact_uri, 'logs/output.txt'), 'utf8')).toContain('on nfs');
    },
    T,
  );

  it(
    'a run created while the proxy served: logging to it says MLflow’s refusal in one line (exit 1), nothing written',
    async () => {
      const dir = project();
      const store = path.join(dir, '.mlx');
      const before = await startTrackingServer(dir, ['--backend-store-uri', store]);
      const run = mlxJson<{ run_id: string }>(dir, ['runs', 'start', '--experiment', 'old'], { env: { MLX_TRACKING_URI: before.base } });
      await killServer(before);
      const server = await startTrackingServer(dir, [
        '--backend-store-uri',
        store,
        '--no-serve-artifacts',
        '--default-artifact-root',
        path.join(dir, 'shared'),
      ]);
      fs.writeFileSync(path.join(dir, 'f.txt'), 'x');
      const line = expectError(
        mlx(dir, ['log', 'artifact', 'f.txt', '--run', run.run_id], { env: { MLX_TRACKING_URI: server.base } }),
        1,
        `the tracking server at ${server.base} refused PUT /api/2.0/mlflow-artifacts/artifacts/`,
        '(503): Endpoint: /api/2.0/mlflow-artifacts/artifacts/<path:artifact_path> disabled due to the mlflow server running with `--no-serve-artifacts`',
      );
      expect(line).not.toContain('is MLX_TRACKING_URI an mlx or MLflow server');
      expect(filesUnder(path.join(store, 'artifacts')).filter((f) => !f.startsWith('.mlx-tmp'))).toEqual([]);
    },
    T,
  );

  it(
    'the registry keeps working: mlx register uploads to the server and downloads back its model',
    async () => {
      const dir = project();
      const server = await startTrackingServer(
        dir,
        ['--backend-store-uri', path.join(dir, '.mlx'), '--default-artifact-root', 's3://mlx/reg', '--no-serve-artifacts'],
        s3.env,
      );
      const env = { ...s3.env, MLX_TRACKING_URI: server.base, MLX_MODEL_CACHE: path.join(dir, 'cache') };
      fs.writeFileSync(path.join(dir, 'model.onnx'), tabularBytes());
      const v = mlxJson<{ model_version: { version: number } }>(dir, ['register', 'model.onnx', '--name', 'clf'], { env });
      expect(v.model_version.version).toBe(1);
      fs.writeFileSync(
        path.join(dir, 'rows.jsonl'),
        tabularRows(2)
          .map((r) => JSON.stringify(r))
          .join('\n') + '\n',
      );
      const p = mlx(dir, ['predict', 'models:/clf/1', '--input', path.join(dir, 'rows.jsonl')], { env });
      expect(p.code, p.stderr).toBe(0);
      expect(p.stdout.trim().split('\n')).toHaveLength(2);
    },
    T,
  );

  it('refusals: no --default-artifact-root, or with --artifacts-only; exit 2, nothing created', () => {
    const dir = project();
    expectError(mlx(dir, ['server', '--port', '0', '--no-serve-artifacts']), 2, '--no-serve-artifacts', '--default-artifact-root s3://BUCKET/PREFIX');
    expectError(
      mlx(dir, ['server', '--port', '0', '--no-serve-artifacts', '--artifacts-only', '--default-artifact-root', 's3://mlx/x']),
      2,
      '--artifacts-only serves only the artifact proxy, and --no-serve-artifacts turns the proxy off',
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('--artifacts-only: MLflow’s artifact server', () => {
  it(
    'serves the proxy alone; a --no-serve-artifacts tracking server sends clients to it (mlflow-artifacts://HOST:PORT/…)',
    async () => {
      const dir = project();
      const arts = path.join(dir, 'mlartifacts');
      const proxy = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, 'proxy-store'), '--artifacts-only', '--artifacts-destination', arts]);
      expect(proxy.stderr()).toContain('artifacts only');
      for (const p of [
        '/api/2.0/mlflow/experiments/search',
        '/ajax-api/2.0/mlflow/runs/search',
        '/api/2.0/mlflow/registered-models/search',
        '/api/2.0/mlx/runs/counts',
      ]) {
        const res = await rawRequest(proxy.base, p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        expect(res.status, p).toBe(503);
        expect(res.text).toBe(
          `Endpoint: ${p} disabled due to the mlflow server running in \`--artifacts-only\` mode. To enable tracking server functionality, run \`mlflow server\` without \`--artifacts-only\``,
        );
      }
      expect((await rawRequest(proxy.base, '/health')).status).toBe(200);
      expect((await rawRequest(proxy.base, '/version')).status).toBe(200);
      expect((await rawRequest(proxy.base, '/')).status).toBe(404); // no UI: it would only show errors
      const put = await rawRequest(proxy.base, '/api/2.0/mlflow-artifacts/artifacts/a/b.txt', { method: 'PUT', body: 'hi' });
      expect(put.status).toBe(200);
      expect(fs.readFileSync(path.join(arts, 'a/b.txt'), 'utf8')).toBe('hi');

      const tracking = await startTrackingServer(dir, [
        '--backend-store-uri',
        path.join(dir, '.mlx'),
        '--no-serve-artifacts',
        '--default-artifact-root',
        `mlflow-artifacts://127.0.0.1:${proxy.port}/exp`,
      ]);
      const env = { MLX_TRACKING_URI: tracking.base };
      const r = mlx(dir, ['run', '--experiment', 'two-servers', '--', process.execPath, '-e', 'console.log("trained")'], { env });
      expect(r.code, r.stderr).toBe(0);
      const [run] = runsOf(dir, env, 'two-servers');
      expect(run.artifact_uri).toBe(`mlflow-artifacts://127.0.0.1:${proxy.port}/exp/${run.experiment_id}/${run.run_id}/artifacts`);
      expect(fs.readFileSync(path.join(arts, 'exp', run.experiment_id, run.run_id, 'artifacts/logs/output.txt'), 'utf8')).toContain('trained');
    },
    T,
  );

  it('--artifacts-only with --default-artifact-root is refused (an artifact server has no experiments)', () => {
    const dir = project();
    expectError(
      mlx(dir, ['server', '--port', '0', '--artifacts-only', '--default-artifact-root', 's3://mlx/x']),
      2,
      '--artifacts-only server serves no experiments',
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('--registry-store-uri', () => {
  it(
    'the backend store (however spelled) is accepted; another store is refused naming both, exit 2',
    async () => {
      const dir = project();
      const store = path.join(dir, 'store');
      const s = await startTrackingServer(dir, ['--backend-store-uri', store, '--registry-store-uri', `file://${store}`]);
      expect((await rawRequest(s.base, '/health')).status).toBe(200);
      const line = expectError(
        mlx(dir, [
          'server',
          '--port',
          '0',
          '--backend-store-uri',
          'postgresql://u:secret@127.0.0.1:1/mlflow',
          '--registry-store-uri',
          'postgresql://u:secret@127.0.0.1:1/registry',
        ]),
        2,
        '--registry-store-uri "postgresql://u@127.0.0.1:1/registry" is not the backend store "postgresql://u@127.0.0.1:1/mlflow"',
        'mlx keeps the model registry in the tracking store',
      );
      expect(line).not.toContain('secret');
      expectError(
        mlx(dir, ['server', '--port', '0', '--backend-store-uri', store, '--registry-store-uri', path.join(dir, 'other')]),
        2,
        'is not the backend store',
      );
      expect(fs.existsSync(path.join(dir, 'other'))).toBe(false);
    },
    T,
  );
});

describe('--allowed-hosts and --cors-allowed-origins (MLflow 3)', () => {
  const get = (s: TrackingServer, host: string, p = '/api/2.0/mlflow/experiments/search?max_results=1') => rawRequest(s.base, p, { headers: { host } });

  it(
    'host[:port] patterns replace mlx’s loopback list, with or without a token; /health and /version stay open',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx'), '--allowed-hosts', 'mlflow.internal, *.corp:5000']);
      expect((await get(s, 'mlflow.internal')).status).toBe(200);
      expect((await get(s, 'MLflow.Internal')).status).toBe(200);
      expect((await get(s, 'mlflow.internal:8443')).status).toBe(200);
      expect((await get(s, 'team.corp:5000')).status).toBe(200);
      const refused = await get(s, 'team.corp:5001');
      expect(refused.status).toBe(403);
      expect(refused.json.message).toBe('host "team.corp" is not served: this server answers only to --allowed-hosts mlflow.internal,*.corp:5000');
      expect((await get(s, `127.0.0.1:${s.port}`)).status).toBe(403);
      expect((await get(s, 'evil.example', '/health')).status).toBe(200);
      expect((await get(s, 'evil.example', '/version')).status).toBe(200);

      const token = 'a-long-test-token';
      const t = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx'), '--token', token, '--allowed-hosts', 'mlflow.internal']);
      const auth = { authorization: `Bearer ${token}` };
      expect((await rawRequest(t.base, '/api/2.0/mlflow/experiments/search', { headers: { ...auth, host: 'mlflow.internal' } })).status).toBe(200);
      expect((await rawRequest(t.base, '/api/2.0/mlflow/experiments/search', { headers: { ...auth, host: 'evil.example' } })).status).toBe(403);
    },
    T,
  );

  it(
    '* turns the Host check off with a warning; a public bind still needs a token',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx'), '--allowed-hosts', '*']);
      expect(s.stderr()).toContain('--allowed-hosts *: the Host check against DNS rebinding is off');
      expect((await get(s, 'anything.example')).status).toBe(200);
      expectError(mlx(dir, ['server', '--port', '0', '--host', '0.0.0.0', '--allowed-hosts', '*']), 2, 'refusing to serve 0.0.0.0 without a token');
      expectError(mlx(dir, ['server', '--port', '0', '--allowed-hosts', 'a/b']), 2, '--allowed-hosts "a/b": "a/b" is not a host[:port] pattern');
      expectError(mlx(dir, ['server', '--port', '0', '--allowed-hosts', ' , ']), 2, '--allowed-hosts " , " lists no host');
    },
    T,
  );

  it(
    '--cors-allowed-origins takes MLflow’s list; * needs a token; with --cors-origin it is refused',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, [
        '--backend-store-uri',
        path.join(dir, '.mlx'),
        '--cors-allowed-origins',
        'https://a.example,https://b.example',
      ]);
      const preflight = (base: string, origin: string) =>
        rawRequest(base, '/api/2.0/mlflow/runs/search', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      expect((await preflight(s.base, 'https://b.example')).headers['access-control-allow-origin']).toBe('https://b.example');
      expect((await preflight(s.base, 'https://c.example')).headers['access-control-allow-origin']).toBeUndefined();
      const t = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx'), '--token', 'a-long-test-token', '--cors-allowed-origins', '*']);
      expect((await preflight(t.base, 'https://any.example')).headers['access-control-allow-origin']).toBe('*');
      expectError(
        mlx(dir, ['server', '--port', '0', '--cors-allowed-origins', '*']),
        2,
        '--cors-allowed-origins *: any web page you visit could then read and change every run',
      );
      expectError(mlx(dir, ['server', '--port', '0', '--cors-allowed-origins', 'https://a.example/path']), 2, '"https://a.example/path" is not an origin');
      expectError(
        mlx(dir, ['server', '--port', '0', '--cors-origin', 'https://a.example', '--cors-allowed-origins', 'https://a.example']),
        2,
        '--cors-origin and --cors-allowed-origins are the same setting',
      );
    },
    T,
  );
});

describe('--workers, --gunicorn-opts, --uvicorn-opts, --waitress-opts', () => {
  it(
    'accepted with one warning each; TLS or bind options and bad worker counts are refused',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, [
        '--backend-store-uri',
        path.join(dir, '.mlx'),
        '--workers',
        '4',
        '--gunicorn-opts',
        '--timeout 120 --log-level debug',
      ]);
      expect(s.stderr()).toContain('mlx: --workers 4 ignored: mlx server is one asynchronous process');
      expect(s.stderr()).toContain('mlx: --gunicorn-opts ignored: mlx server runs no gunicorn');
      expect((await rawRequest(s.base, '/health')).status).toBe(200);
      expectError(mlx(dir, ['server', '--port', '0', '--workers', '0']), 2, '--workers "0" must be an integer from 1');
      expectError(
        mlx(dir, ['server', '--port', '0', '--uvicorn-opts', '--ssl-keyfile key.pem']),
        2,
        '--uvicorn-opts "--ssl-keyfile key.pem" sets TLS or the listening address',
      );
      expectError(mlx(dir, ['server', '--port', '0', '--gunicorn-opts', '-b 0.0.0.0:80']), 2, 'put a TLS-terminating proxy');
      expect(fs.readdirSync(dir)).toEqual(['.mlx']);
    },
    T,
  );

  it(
    'mlflow server -h HOST -p PORT -w N: the short flags mean what they mean to MLflow (help is --help)',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, ['-h', '127.0.0.1', '-w', '2', '--backend-store-uri', path.join(dir, '.mlx')]);
      expect(s.stderr()).toContain('--workers 2 ignored');
      expect(mlx(dir, ['server', '--help']).stdout).toContain('-h, --host <host>');
      expectError(mlx(dir, ['server', '-h', '0.0.0.0', '-p', '0']), 2, 'refusing to serve 0.0.0.0 without a token');
    },
    T,
  );

  it(
    'mlflow server’s environment variables are named at start, not silently dropped',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')], {
        MLFLOW_BACKEND_STORE_URI: 'postgresql://u@db/mlflow',
        MLFLOW_SERVER_ALLOWED_HOSTS: '*',
      });
      expect(s.stderr()).toContain(
        "mlx: MLFLOW_BACKEND_STORE_URI, MLFLOW_SERVER_ALLOWED_HOSTS are mlflow server's and not read by mlx server: pass --backend-store-uri, --allowed-hosts instead",
      );
      // Not read: the Host check is still mlx's loopback one.
      expect((await rawRequest(s.base, '/api/2.0/mlflow/experiments/search', { headers: { host: 'evil.example' } })).status).toBe(403);
    },
    T,
  );

  it('MLflow flags mlx does not take: one line saying what to do instead, exit 2', () => {
    const dir = project();
    for (const [args, says] of [
      [['--static-prefix', '/mlflow'], 'put it behind a proxy that strips the prefix'],
      [['--expose-prometheus', 'metrics'], 'no Prometheus endpoint'],
      [['--app-name', 'basic-auth'], 'use --token'],
      [['--dev'], 'MLX_DEBUG=1'],
      [['--x-frame-options', 'DENY'], "frame-ancestors 'none'"],
      [['--disable-security-middleware'], "--allowed-hosts '*'"],
    ] as const)
      expectError(mlx(dir, ['server', '--port', '0', ...args]), 2, `${args[0]} is MLflow's and not taken by mlx server`, says);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
