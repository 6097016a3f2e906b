// A registered model on `mlx server --backend-store-uri postgresql://… --artifacts-destination s3://…`
// (the registry's files in the bucket), downloaded three ways in one run: straight from the bucket
// with the AWS SDK at its best (one streamed GetObject of the registry's object, no checks), and
// through the server's `_mlx-registry/NAME/1/model.onnx` cold (the replica downloads the object
// into its model cache, checks it against the version's sha256, then streams it) and warm (the
// cached copy, re-hashed, then streamed). Also the time of the registration itself
// (model-versions/create from an mlflow-artifacts:/ upload: read from the bucket, checked as ONNX,
// loaded by onnxruntime, uploaded to the registry prefix). No target in the issue: this shows what
// verifying before the first byte costs. The S3 server is s3rver, PostgreSQL a throwaway cluster.
// BENCH_REG_MB sets the model size (default 64), BENCH_REG_ROUNDS the rounds (default 3).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startPostgres } from './lib/postgres.mjs';
import { S3RVER_KEY, seconds, started } from './lib/s3.mjs';
import { isMain, machine, makeTemp, median, MLX, NODE, rmTemp, round, ROOT } from './lib/util.mjs';

const MB = Number(process.env.BENCH_REG_MB ?? 64);
const ROUNDS = Number(process.env.BENCH_REG_ROUNDS ?? 3);
const KEY = S3RVER_KEY;

/** A valid ONNX model of about mb MB: y = x + W with W a float32 initializer of mb MB. */
async function bigModel(mb) {
  const { OnnxGraphBuilder } = await import(path.join(ROOT, 'dist/models/onnx/builder.js'));
  const n = (mb * 1024 * 1024) / 4;
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (i % 1000) / 1000;
  return new OnnxGraphBuilder('big')
    .input('x', 'float32', [1, n])
    .initializer('W', w, [1, n])
    .node('Add', ['x', 'W'], ['y'])
    .output('y', 'float32', [1, n])
    .toBytes();
}

export async function benchRegistryS3() {
  const tmp = makeTemp('mlx-bench-reg-s3-');
  const pg = await startPostgres();
  const s3dir = path.join(tmp, 's3');
  fs.mkdirSync(s3dir);
  const s3 = await started(NODE, ['--openssl-legacy-provider', path.join(ROOT, 'test/helpers/s3rver-main.mjs'), s3dir, 'bench'], {}, /\{"port":(\d+)\}/);
  const endpoint = `http://127.0.0.1:${s3.m[1]}`;
  const env = { ...KEY, MLFLOW_S3_ENDPOINT_URL: endpoint };
  Object.assign(process.env, env);
  const cache = path.join(tmp, 'cache');
  const dbUrl = await pg.createDatabase('bench_registry');
  const server = await started(
    NODE,
    [MLX, 'server', '--port', '0', '--backend-store-uri', dbUrl, '--artifacts-destination', 's3://bench/mlx', '--max-upload-mb', String(MB * 2)],
    { ...env, MLX_MODEL_CACHE: cache, MLX_MAX_MODEL_MB: String(MB * 2) },
    /tracking server listening on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const base = server.m[1];
  const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  const bytes = await bigModel(MB);
  const expected = createHash('sha256').update(bytes).digest('hex');
  const proxy = `${base}/api/2.0/mlflow-artifacts/artifacts`;
  const put = await fetch(`${proxy}/uploads/big.onnx`, { method: 'PUT', body: bytes });
  if (put.status !== 200) throw new Error(`upload: ${put.status} ${await put.text()}`);
  let t0 = process.hrtime.bigint();
  const created = await fetch(`${base}/api/2.0/mlflow/model-versions/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'big', source: 'mlflow-artifacts:/uploads/big.onnx' }),
  });
  if (created.status !== 200) throw new Error(`model-versions/create: ${created.status} ${await created.text()}`);
  const registerS = seconds(t0);

  const check = async (file) => {
    const h = createHash('sha256');
    await pipeline(fs.createReadStream(file), h);
    if (h.digest('hex') !== expected) throw new Error(`${file} differs from the registered model`);
    fs.rmSync(file);
  };
  const viaServer = async () => {
    const res = await fetch(`${proxy}/_mlx-registry/big/1/model.onnx`);
    if (res.status !== 200) throw new Error(`download: ${res.status} ${await res.text()}`);
    await pipeline(Readable.fromWeb(res.body), fs.createWriteStream(path.join(tmp, 'mlx.down')));
  };
  const times = { sdk: [], mlx_cold: [], mlx_warm: [] };
  for (let r = 0; r < ROUNDS; r++) {
    t0 = process.hrtime.bigint();
    const got = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: `mlx/_mlx-registry/models/sha256/${expected}.onnx` }));
    await pipeline(got.Body, fs.createWriteStream(path.join(tmp, 'sdk.down')));
    times.sdk.push(seconds(t0));
    await check(path.join(tmp, 'sdk.down'));

    fs.rmSync(cache, { recursive: true, force: true });
    t0 = process.hrtime.bigint();
    await viaServer();
    times.mlx_cold.push(seconds(t0));
    await check(path.join(tmp, 'mlx.down'));

    t0 = process.hrtime.bigint();
    await viaServer();
    times.mlx_warm.push(seconds(t0));
    await check(path.join(tmp, 'mlx.down'));
  }
  server.proc.kill('SIGTERM');
  s3.proc.kill('SIGTERM');
  client.destroy();
  await pg.stop();
  rmTemp(tmp);
  const mbps = (s) => round(MB / s, 1);
  return {
    benchmark: 'registry-s3',
    machine: machine(),
    megabytes: round(bytes.byteLength / 1024 / 1024, 1),
    rounds: ROUNDS,
    register_seconds: round(registerS, 2),
    seconds: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => round(x, 3))])),
    throughput_mb_s: { sdk: mbps(median(times.sdk)), mlx_cold: mbps(median(times.mlx_cold)), mlx_warm: mbps(median(times.mlx_warm)) },
    ratio_of_sdk: { cold: round(median(times.sdk) / median(times.mlx_cold), 2), warm: round(median(times.sdk) / median(times.mlx_warm), 2) },
  };
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchRegistryS3(), null, 2)}\n`);
}
