// The real-world `mlflow server` line on PostgreSQL: `--backend-store-uri postgresql://…
// --registry-store-uri <the same> --default-artifact-root s3://bucket --no-serve-artifacts
// --host 0.0.0.0`, with what mlx adds (a token for a public bind, a shared folder for the
// registry's files). Clients write to the bucket directly; the proxy answers MLflow's 503.
import fs from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, mlxJson, tempProject } from './helpers/cli.js';
import { startTrackingServer, stopServers } from './helpers/mlx-server.js';
import { postgresForTests, type TestPostgres } from './helpers/postgres.js';
import { rawRequest } from './helpers/raw-http.js';
import { s3Client, startS3, type TestS3 } from './helpers/s3.js';

const pg: TestPostgres | null = await postgresForTests();
const describePg = pg ? describe : describe.skip;
const TOKEN = 'mlflow-flags-token-91';
let s3: TestS3;
let dir: string;

beforeAll(async () => {
  if (!pg) return;
  s3 = await startS3(['bucket']);
  dir = tempProject('mlx-mlflow-flags-pg-');
}, 60_000);
afterAll(async () => {
  await stopServers();
  await s3?.close();
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describePg('mlflow server’s PostgreSQL + S3 + --no-serve-artifacts line', () => {
  it('starts on 0.0.0.0 with a token; mlx run through it writes to the bucket; the proxy refuses as MLflow', async () => {
    const url = pg!.url(await pg!.createDatabase());
    const server = await startTrackingServer(
      dir,
      [
        '--backend-store-uri',
        url,
        '--registry-store-uri',
        url,
        '--default-artifact-root',
        's3://bucket',
        '--no-serve-artifacts',
        '--host',
        '0.0.0.0',
        '--token',
        TOKEN,
        '--artifacts-destination',
        path.join(dir, 'registry-files'),
      ],
      s3.env,
    );
    const env = { ...s3.env, MLX_TRACKING_URI: server.base, MLX_TRACKING_TOKEN: TOKEN };
    const r = mlx(dir, ['run', '--experiment', 'pg', '--', process.execPath, '-e', 'console.log("on postgres")'], { env });
    expect(r.code, r.stderr).toBe(0);
    const [run] = mlxJson<{ runs: { run_id: string; experiment_id: string; artifact_uri: string }[] }>(dir, ['runs', 'list', '--experiment', 'pg'], {
      env,
    }).runs;
    expect(run.artifact_uri).toBe(`s3://bucket/${run.experiment_id}/${run.run_id}/artifacts`);
    const client = s3Client(s3);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: `${run.experiment_id}/${run.run_id}/` }));
    client.destroy();
    expect((listed.Contents ?? []).map((c) => c.Key)).toEqual([`${run.experiment_id}/${run.run_id}/artifacts/logs/output.txt`]);
    // The Default experiment moves to the bucket too (as in MLflow, it is created under the root).
    expect(mlx(dir, ['run', '--', process.execPath, '-e', '0'], { env }).code).toBe(0);
    const [def] = mlxJson<{ runs: { run_id: string; artifact_uri: string }[] }>(dir, ['runs', 'list', '--experiment', 'Default'], { env }).runs;
    expect(def.artifact_uri).toBe(`s3://bucket/0/${def.run_id}/artifacts`);
    const proxy = await rawRequest(server.base, '/api/2.0/mlflow-artifacts/artifacts?path=x', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(proxy.status).toBe(503);
    expect(proxy.text).toContain('disabled due to the mlflow server running with `--no-serve-artifacts`');
  }, 90_000);
});
