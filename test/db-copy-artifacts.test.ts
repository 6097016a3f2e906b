// `mlx db migrate --copy-artifacts`: a local store's run artifacts copied into S3 (s3rver) or a
// folder while its rows go into PostgreSQL, the runs' artifact URIs rewritten to the copies; a
// location mlx cannot write to is refused before anything is copied or written.
import fs from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { postgresForTests } from './helpers/postgres.js';
import { s3Client, startS3, type TestS3 } from './helpers/s3.js';

const pg = await postgresForTests();
const describePg = pg ? describe : describe.skip;
if (!pg) console.log('db-copy-artifacts.test: skipped: no PostgreSQL on this machine');
let s3: TestS3;
const dirs: string[] = [];

beforeAll(async () => {
  s3 = await startS3(['mlx']);
});
afterAll(async () => {
  await pg?.stop();
  await s3?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A local store with one run holding model/weights.bin and mlx run's logs/output.txt. */
function localStore(): { dir: string; runId: string } {
  const dir = tempProject('mlx-db-copy-');
  dirs.push(dir);
  expect(mlx(dir, ['run', '--experiment', 'cls', '--', process.execPath, '-e', 'console.log("trained")']).code).toBe(0);
  const runId = mlxJson<{ runs: { run_id: string }[] }>(dir, ['runs', 'list', '--experiment', 'cls']).runs[0].run_id;
  fs.mkdirSync(path.join(dir, 'model'));
  fs.writeFileSync(path.join(dir, 'model', 'weights.bin'), Buffer.alloc(4096, 9));
  expect(mlx(dir, ['log', 'artifact', path.join(dir, 'model'), '--run', runId]).code).toBe(0);
  return { dir, runId };
}

describePg('mlx db migrate --copy-artifacts', () => {
  it('copies the artifacts into S3 and records them there: the migrated store reads them back', async () => {
    const { dir, runId } = localStore();
    const url = pg!.url(await pg!.createDatabase());
    const r = mlxJson(dir, ['db', 'migrate', '--from', '.mlx', '--to', url, '--copy-artifacts', 's3://mlx/migrated/'], { env: s3.env });
    expect(r.artifacts).toEqual({ destination: 's3://mlx/migrated', files: 2 });
    const client = s3Client(s3);
    const keys = ((await client.send(new ListObjectsV2Command({ Bucket: 'mlx', Prefix: 'migrated/' }))).Contents ?? []).map((c) => c.Key).sort();
    client.destroy();
    expect(keys).toEqual([`migrated/1/${runId}/artifacts/logs/output.txt`, `migrated/1/${runId}/artifacts/model/weights.bin`]);
    const env = { ...s3.env, MLX_TRACKING_URI: url };
    const shown = mlxJson<{ artifact_uri: string; artifacts: { path: string; file_size: number }[] }>(dir, ['runs', 'show', runId], { env });
    expect(shown.artifact_uri).toBe(`s3://mlx/migrated/1/${runId}/artifacts`);
    expect(shown.artifacts.map((a) => a.path).sort()).toEqual(['logs/output.txt', 'model/weights.bin']);
    // New runs of the experiment go to the bucket too.
    const exps = mlxJson<{ experiments: { name: string; artifact_location: string }[] }>(dir, ['experiments', 'list'], { env }).experiments;
    expect(exps.find((e) => e.name === 'cls')!.artifact_location).toBe('s3://mlx/migrated/1');
  }, 120_000);

  it('copies into a folder as well', async () => {
    const { dir, runId } = localStore();
    const url = pg!.url(await pg!.createDatabase());
    const dest = path.join(dir, 'shared-artifacts');
    const r = mlxJson(dir, ['db', 'migrate', '--from', '.mlx', '--to', url, '--copy-artifacts', dest]);
    expect(r.artifacts.files).toBe(2);
    expect(fs.readFileSync(path.join(dest, '1', runId, 'artifacts', 'model', 'weights.bin'))).toEqual(Buffer.alloc(4096, 9));
  }, 120_000);

  it('a location mlx cannot write to: one line, exit 2, nothing copied or written', async () => {
    const { dir } = localStore();
    const url = pg!.url(await pg!.createDatabase());
    expectError(
      mlx(dir, ['db', 'migrate', '--from', '.mlx', '--to', url, '--copy-artifacts', 'gs://bucket/x']),
      2,
      '--copy-artifacts "gs://bucket/x" uses the scheme gs:',
    );
    // The database is still empty: the same migration then goes through.
    expect(mlx(dir, ['db', 'migrate', '--from', '.mlx', '--to', url]).code).toBe(0);
  }, 120_000);
});
