// S3 as a place for artifacts, end to end: spawned mlx commands against a real S3-protocol server
// (s3rver on 127.0.0.1), configured the way users configure the AWS CLI (AWS_* variables,
// MLFLOW_S3_ENDPOINT_URL), and the refusals of every location flag.
import fs from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, mlxSpawn, tempProjects } from './helpers/cli.js';
import { bucketKeys, s3Client, startS3, type TestS3 } from './helpers/s3.js';
import { sha256 } from './helpers/models.js';
import { tabularBytes, tabularRows } from './helpers/serving-fixtures.js';
import { startTrackingServer, stopTrackingServers } from './helpers/tracking-server.js';

let s3: TestS3;
let client: S3Client;
const { project, removeAll } = tempProjects('mlx-s3-e2e-');

beforeAll(async () => {
  s3 = await startS3(['mlx']);
  client = s3Client(s3);
});
afterAll(async () => {
  await stopTrackingServers();
  client?.destroy();
  await s3?.close();
  removeAll();
});

/** Every key in the bucket under prefix. */
const keys = (prefix: string) => bucketKeys(client, 'mlx', prefix);

/** A run in an experiment whose artifacts live at s3://mlx/<prefix>. */
function s3Run(dir: string, location: string): string {
  mlxJson(dir, ['experiments', 'create', 'vision', '--artifact-location', location], { env: s3.env });
  const r = mlx(dir, ['run', '--experiment', 'vision', '--', process.execPath, '-e', 'console.log("epoch 1")'], { env: s3.env });
  expect(r.code, r.stderr).toBe(0);
  return mlxJson<{ runs: { run_id: string }[] }>(dir, ['runs', 'list', '--experiment', 'vision'], { env: s3.env }).runs[0].run_id;
}

describe('artifacts in S3', () => {
  it('an experiment created with --artifact-location s3:// keeps its runs’ artifacts (and mlx run’s output) in the bucket', async () => {
    const dir = project();
    const runId = s3Run(dir, 's3://mlx/team/vision');
    const file = path.join(dir, 'metrics.json');
    fs.writeFileSync(file, '{"acc":0.93}');
    const logged = mlx(dir, ['log', 'artifact', file, '--run', runId, '--artifact-path', 'eval'], { env: s3.env });
    expect(logged.code, logged.stderr).toBe(0);
    const stored = await keys('team/vision/');
    expect(stored).toContain(`team/vision/1/${runId}/artifacts/eval/metrics.json`);
    expect(stored).toContain(`team/vision/1/${runId}/artifacts/logs/output.txt`);
    const shown = mlxJson<{ artifact_uri: string; artifacts: { path: string; file_size: number }[] }>(dir, ['runs', 'show', runId], { env: s3.env });
    expect(shown.artifact_uri).toBe(`s3://mlx/team/vision/1/${runId}/artifacts`);
    expect(shown.artifacts).toContainEqual({ path: 'eval/metrics.json', is_dir: false, file_size: 12 });
    // Nothing was written to a local folder named after the scheme.
    expect(fs.existsSync(path.join(dir, 's3:'))).toBe(false);
  });

  it('mlx predict runs:/… with the model in S3: downloaded once into the cache keyed by sha256, then served from it', () => {
    const dir = project();
    const runId = s3Run(dir, 's3://mlx/models');
    fs.writeFileSync(path.join(dir, 'model.onnx'), tabularBytes());
    expect(mlx(dir, ['log', 'artifact', path.join(dir, 'model.onnx'), '--run', runId, '--artifact-path', 'model'], { env: s3.env }).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'rows.jsonl'), `${JSON.stringify(tabularRows(1)[0])}\n`);
    const cache = path.join(dir, 'cache');
    const env = { ...s3.env, MLX_MODEL_CACHE: cache };
    const predict = () => mlx(dir, ['predict', `runs:/${runId}/model`, '--input', path.join(dir, 'rows.jsonl')], { env });
    const first = predict();
    expect(first.code, first.stderr).toBe(0);
    const cached = fs.readdirSync(cache);
    expect(cached).toEqual([`${sha256(tabularBytes())}.onnx`]);
    const inode = fs.statSync(path.join(cache, cached[0])).ino;
    const second = predict();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    // Not downloaded again: the same file, not a new one renamed into place.
    expect(fs.statSync(path.join(cache, cached[0])).ino).toBe(inode);
  });

  it('the AWS SDK loads only in commands that touch an s3:// location', () => {
    const dir = project();
    // Counts the SDK's CommonJS modules as the process loads them, and says how many at exit.
    const hook = path.join(dir, 'count-sdk.cjs');
    fs.writeFileSync(
      hook,
      "const M = require('module'); const load = M._load; let n = 0;\n" +
        'M._load = function (req, ...rest) { if (/^@aws-sdk\\//.test(req)) n++; return load.call(this, req, ...rest); };\n' +
        "process.on('exit', () => require('fs').writeSync(2, `sdk modules: ${n}\\n`));\n",
    );
    const loaded = (args: string[]) => {
      const r = mlx(dir, args, { env: { ...s3.env, NODE_OPTIONS: `--require ${hook}` } });
      expect(r.code, r.stderr).toBe(0);
      return Number(/sdk modules: (\d+)/.exec(r.stderr)![1]);
    };
    const runId = s3Run(dir, 's3://mlx/lazy');
    expect(loaded(['log', 'param', 'lr', '0.1', '--run', runId])).toBe(0);
    expect(loaded(['runs', 'list', '--experiment', 'vision'])).toBe(0);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
    expect(loaded(['log', 'artifact', path.join(dir, 'a.txt'), '--run', runId])).toBeGreaterThan(0);
  });

  it('credentials S3 refuses: one line naming the variables (never the secret), exit 1', () => {
    const dir = project();
    const runId = s3Run(dir, 's3://mlx/creds');
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'a');
    const r = mlx(dir, ['log', 'artifact', file, '--run', runId], {
      env: { ...s3.env, AWS_ACCESS_KEY_ID: 'NOT-A-KEY', AWS_SECRET_ACCESS_KEY: 'hunter2-secret' },
    });
    const line = expectError(
      r,
      1,
      /refused access to s3:\/\/mlx\/creds\/1\/[0-9a-f]+\/artifacts \(InvalidAccessKeyId/,
      'check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE',
    );
    expect(line).not.toContain('hunter2-secret');
  });

  it('a bucket that does not exist: one line naming it, exit 1', () => {
    const dir = project();
    // mlx run keeps going without its output artifact (it warns), and exits with the command's code.
    const runId = s3Run(dir, 's3://no-such-bucket/x');
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'a');
    const r = mlx(dir, ['log', 'artifact', file, '--run', runId], { env: s3.env });
    expectError(r, 1, `the bucket of s3://no-such-bucket/x/1/${runId}/artifacts does not exist at http://127.0.0.1:`, 'create it');
  });

  it('an upload killed midway leaves no object (S3 shows a multipart upload only once complete)', async () => {
    const dir = project();
    const runId = s3Run(dir, 's3://mlx/killed');
    const big = path.join(dir, 'weights.bin');
    fs.writeFileSync(big, Buffer.alloc(160 * 1024 * 1024, 1));
    // The upload's state (for a later run to resume it) goes under the project, not the user's ~/.cache.
    const proc = mlxSpawn(dir, ['log', 'artifact', big, '--run', runId], { ...s3.env, XDG_CACHE_HOME: path.join(dir, 'cache') });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    // Kill it once parts have reached the server (s3rver writes them under its folder).
    const partsArrived = () => {
      let bytes = 0;
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else bytes += fs.statSync(p).size;
        }
      };
      walk(s3.dir);
      return bytes > 16 * 1024 * 1024;
    };
    while (!partsArrived() && proc.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(proc.exitCode, 'the upload finished before it could be killed').toBeNull();
    proc.kill('SIGKILL');
    await exited;
    expect((await keys('killed/')).filter((k) => k.endsWith('weights.bin'))).toEqual([]);
    // What a rerun needs to resume it is kept (test/s3-resume.test.ts resumes such uploads).
    expect(fs.readdirSync(path.join(dir, 'cache', 'mlx', 's3-uploads')).filter((n) => n.endsWith('.json'))).toHaveLength(1);
  }, 60_000);
});

describe('mlx server --artifacts-destination s3://…: the artifact proxy in front of a bucket', () => {
  it('MLflow-style clients upload, list, download and delete through mlflow-artifacts:/ while the objects live in S3', async () => {
    const server = await startTrackingServer({
      args: ['--artifacts-destination', 's3://mlx/proxied'],
      env: { ...s3.env, XDG_CACHE_HOME: path.join(project(), 'cache') },
    });
    expect(server.stderr()).toContain('artifacts s3://mlx/proxied');
    const dir = project();
    // The client has no AWS credentials: only the server talks to S3.
    const env = { MLX_TRACKING_URI: server.url, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, MLFLOW_S3_ENDPOINT_URL: undefined };
    expect(mlx(dir, ['run', '--experiment', 'proxied', '--', process.execPath, '-e', 'console.log("through the proxy")'], { env }).code).toBe(0);
    const run = mlxJson<{ runs: { run_id: string; artifact_uri: string }[] }>(dir, ['runs', 'list', '--experiment', 'proxied'], { env }).runs[0];
    expect(run.artifact_uri).toBe(`mlflow-artifacts:/1/${run.run_id}/artifacts`);
    const weights = path.join(dir, 'weights.bin');
    const bytes = Buffer.alloc(12 * 1024 * 1024 + 5, 3);
    fs.writeFileSync(weights, bytes);
    const logged = mlx(dir, ['log', 'artifact', weights, '--run', run.run_id, '--artifact-path', 'model'], { env });
    expect(logged.code, logged.stderr).toBe(0);
    const prefix = `proxied/1/${run.run_id}/artifacts/`;
    expect(await keys(prefix)).toEqual([`${prefix}logs/output.txt`, `${prefix}model/weights.bin`]);
    // MLflow's REST calls: list (proxy and runs API), download, delete.
    const api = `${server.url}/api/2.0/mlflow-artifacts/artifacts`;
    const listed = await (await fetch(`${api}?path=${encodeURIComponent(`1/${run.run_id}/artifacts/model`)}`)).json();
    expect(listed).toEqual({ files: [{ path: 'weights.bin', is_dir: false, file_size: bytes.length }] });
    const runList = (await (await fetch(`${server.url}/api/2.0/mlflow/artifacts/list?run_id=${run.run_id}`)).json()) as { files: unknown[] };
    expect(runList.files).toEqual([
      { path: 'logs', is_dir: true },
      { path: 'model', is_dir: true },
    ]);
    const down = await fetch(`${api}/1/${run.run_id}/artifacts/model/weights.bin`);
    expect(down.status).toBe(200);
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await fetch(`${api}/1/${run.run_id}/artifacts/model`, { method: 'DELETE' })).status).toBe(200);
    expect(await keys(prefix)).toEqual([`${prefix}logs/output.txt`]);
    expect((await fetch(`${api}/1/${run.run_id}/artifacts/model/weights.bin`)).status).toBe(404);
  }, 60_000);

  it('mlx register from a run whose model is in the bucket, then predict with it', async () => {
    const server = await startTrackingServer({
      args: ['--artifacts-destination', 's3://mlx/registry-src'],
      env: { ...s3.env, XDG_CACHE_HOME: path.join(project(), 'cache') },
    });
    const dir = project();
    const env = { MLX_TRACKING_URI: server.url };
    expect(mlx(dir, ['run', '--experiment', 'reg', '--', process.execPath, '-e', '0'], { env }).code).toBe(0);
    const runId = mlxJson<{ runs: { run_id: string }[] }>(dir, ['runs', 'list', '--experiment', 'reg'], { env }).runs[0].run_id;
    fs.writeFileSync(path.join(dir, 'model.onnx'), tabularBytes());
    expect(mlx(dir, ['log', 'artifact', path.join(dir, 'model.onnx'), '--run', runId, '--artifact-path', 'model'], { env }).code).toBe(0);
    const v = mlxJson<{ model_version: { version: number; source: string } }>(dir, ['register', `runs:/${runId}/model`, '--name', 'from-s3'], { env });
    expect(v.model_version).toMatchObject({ version: 1, source: `runs:/${runId}/model/model.onnx` });
    // The registered model serves (predict reads it back through the server).
    fs.writeFileSync(path.join(dir, 'rows.jsonl'), `${JSON.stringify(tabularRows(1)[0])}\n`);
    const p = mlx(dir, ['predict', 'models:/from-s3/1', '--input', path.join(dir, 'rows.jsonl')], { env });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('a missing bucket or refused credentials stop the start with one line, exit 1', () => {
    const dir = project();
    expectError(
      mlx(dir, ['server', '--port', '0', '--artifacts-destination', 's3://no-such-bucket/x'], { env: s3.env }),
      1,
      'the bucket of s3://no-such-bucket/x does not exist',
    );
    expectError(
      mlx(dir, ['server', '--port', '0', '--artifacts-destination', 's3://mlx/x'], { env: { ...s3.env, AWS_ACCESS_KEY_ID: 'NOPE' } }),
      1,
      'refused access to s3://mlx/x (InvalidAccessKeyId',
    );
  });
});

describe('location flags refuse what mlx cannot store to', () => {
  it('mlx server --artifacts-destination gs://…: one line, exit 2, no folder named "gs:"', () => {
    const dir = project();
    const r = mlx(dir, ['server', '--port', '0', '--artifacts-destination', 'gs://bucket/mlx']);
    expectError(
      r,
      2,
      '--artifacts-destination "gs://bucket/mlx" uses the scheme gs:, which mlx cannot read or write; use a folder, file:///PATH, s3://BUCKET/PREFIX',
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('mlx server --default-artifact-root and mlx experiments create --artifact-location: the same', () => {
    const dir = project();
    expectError(
      mlx(dir, ['server', '--port', '0', '--default-artifact-root', 'wasbs://c@acct.blob.core.windows.net/x']),
      2,
      '--default-artifact-root',
      'scheme wasbs:',
    );
    expectError(mlx(dir, ['experiments', 'create', 'x', '--artifact-location', 'hdfs://nn/x']), 2, '--artifact-location "hdfs://nn/x" uses the scheme hdfs:');
    expectError(
      mlx(dir, ['experiments', 'create', 'x', '--artifact-location', 's3://UPPER/x']),
      2,
      '--artifact-location "s3://UPPER/x": "UPPER" is not an S3 bucket name',
    );
    expectError(mlx(dir, ['server', '--port', '0', '--artifacts-destination', 'mlflow-artifacts:/x']), 2, 'not a place for this flag');
    // PostgreSQL with an S3 destination is a supported setup (test/server-postgres-s3.test.ts): here only the database is missing.
    const line = expectError(
      mlx(dir, ['server', '--port', '0', '--backend-store-uri', 'postgresql://u:pw@127.0.0.1:1/db', '--artifacts-destination', 's3://mlx/x']),
      1,
      'cannot connect to postgresql://u@127.0.0.1:1/db',
    );
    expect(line).not.toContain('pw');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('mlx server --default-artifact-root s3://…: new experiments are in the bucket and clients write there directly', async () => {
    const dir = project();
    const server = await startTrackingServer({
      args: ['--default-artifact-root', 's3://mlx/served/'],
      env: { ...s3.env, XDG_CACHE_HOME: path.join(project(), 'cache') },
    });
    const env = { ...s3.env, MLX_TRACKING_URI: server.url };
    const r = mlx(dir, ['run', '--experiment', 'direct', '--', process.execPath, '-e', 'console.log("hi")'], { env });
    expect(r.code, r.stderr).toBe(0);
    const run = mlxJson<{ runs: { run_id: string; artifact_uri: string }[] }>(dir, ['runs', 'list', '--experiment', 'direct'], { env }).runs[0];
    expect(run.artifact_uri).toMatch(/^s3:\/\/mlx\/served\/1\/[0-9a-f]+\/artifacts$/);
    expect(await keys(`served/1/${run.run_id}/artifacts/`)).toEqual([`served/1/${run.run_id}/artifacts/logs/output.txt`]);
  });
});
