// One artifact up to and down from an S3-protocol server on loopback, two ways, in one run:
// directly with the AWS SDK at its best (lib-storage multipart upload, parts of 8 MiB, 4 in
// flight; one streamed GetObject), and through `mlx server --artifacts-destination s3://…` (an
// HTTP PUT to the artifact proxy, which receives the file, records its sha256 and uploads it as
// parallel parts; a GET streamed back through the proxy, checked as it passes). Issue 23's
// target: through mlx server, at least 50% of the SDK's throughput each way. The S3 server is
// s3rver (what the tests use), so both sides pay the same server cost. Rounds alternate
// (sdk, mlx, sdk, mlx, …); medians are reported. BENCH_S3_MB sets the size (default 1024),
// BENCH_S3_ROUNDS the rounds (default 2).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMain, machine, makeTemp, median, MLX, NODE, rmTemp, round, ROOT } from './lib/util.mjs';

const MB = Number(process.env.BENCH_S3_MB ?? 1024);
const ROUNDS = Number(process.env.BENCH_S3_ROUNDS ?? 2);
const TARGET = 0.5;
const KEY = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** Spawns a process and resolves with it once a line of its output matches. */
function started(cmd, args, env, match) {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const on = (d) => {
      out += d;
      const m = match.exec(out);
      if (m) resolve({ proc, m });
    };
    proc.stdout.setEncoding('utf8').on('data', on);
    proc.stderr.setEncoding('utf8').on('data', on);
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
  });
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

export async function benchS3Transfer() {
  const tmp = makeTemp('mlx-bench-s3-');
  const s3dir = path.join(tmp, 's3');
  fs.mkdirSync(s3dir);
  const s3 = await started(NODE, ['--openssl-legacy-provider', path.join(ROOT, 'test/helpers/s3rver-main.mjs'), s3dir, 'bench'], {}, /\{"port":(\d+)\}/);
  const endpoint = `http://127.0.0.1:${s3.m[1]}`;
  const env = { ...KEY, MLFLOW_S3_ENDPOINT_URL: endpoint };
  Object.assign(process.env, env);
  const server = await started(
    NODE,
    [
      MLX,
      'server',
      '--port',
      '0',
      '--backend-store-uri',
      path.join(tmp, '.mlx'),
      '--artifacts-destination',
      's3://bench/proxied',
      '--max-upload-mb',
      String(MB * 2),
    ],
    env,
    /tracking server listening on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const base = server.m[1];
  const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  const file = path.join(tmp, 'artifact.bin');
  const chunk = Buffer.alloc(1024 * 1024);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < MB; i++) {
    chunk.writeUInt32LE(i, 0);
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
  const bytes = MB * 1024 * 1024;
  const sha = createHash('sha256');
  await pipeline(fs.createReadStream(file), sha);
  const expected = sha.digest('hex');
  const checkDownload = async (p) => {
    const h = createHash('sha256');
    await pipeline(fs.createReadStream(p), h);
    if (h.digest('hex') !== expected) throw new Error(`${p} differs from what was uploaded`);
    fs.rmSync(p);
  };

  const runId = (
    await (
      await fetch(`${base}/api/2.0/mlflow/runs/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"experiment_id":"0"}' })
    ).json()
  ).run.info.run_id;
  const times = { sdk_up: [], sdk_down: [], mlx_up: [], mlx_down: [] };
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = process.hrtime.bigint();
    await new Upload({
      client,
      params: { Bucket: 'bench', Key: `direct/${r}.bin`, Body: fs.createReadStream(file) },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    }).done();
    times.sdk_up.push(seconds(t0));
    t0 = process.hrtime.bigint();
    const got = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: `direct/${r}.bin` }));
    await pipeline(got.Body, fs.createWriteStream(path.join(tmp, 'sdk.down')));
    times.sdk_down.push(seconds(t0));
    await checkDownload(path.join(tmp, 'sdk.down'));

    // Through the proxy, as `mlx log artifact` sends a file to a tracking server.
    const url = `${base}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/r${r}/artifact.bin`;
    t0 = process.hrtime.bigint();
    const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: await fs.openAsBlob(file) });
    if (put.status !== 200) throw new Error(`proxy upload: ${put.status} ${await put.text()}`);
    times.mlx_up.push(seconds(t0));
    t0 = process.hrtime.bigint();
    const res = await fetch(url);
    await pipeline(Readable.fromWeb(res.body), fs.createWriteStream(path.join(tmp, 'mlx.down')));
    times.mlx_down.push(seconds(t0));
    await checkDownload(path.join(tmp, 'mlx.down'));
  }
  server.proc.kill('SIGTERM');
  s3.proc.kill('SIGTERM');
  client.destroy();
  rmTemp(tmp);
  const mbps = (s) => round(bytes / 1024 / 1024 / s, 1);
  const up = median(times.sdk_up) / median(times.mlx_up);
  const down = median(times.sdk_down) / median(times.mlx_down);
  return {
    benchmark: 's3-transfer',
    machine: machine(),
    megabytes: MB,
    rounds: ROUNDS,
    seconds: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => round(x, 2))])),
    throughput_mb_s: {
      sdk_up: mbps(median(times.sdk_up)),
      mlx_up: mbps(median(times.mlx_up)),
      sdk_down: mbps(median(times.sdk_down)),
      mlx_down: mbps(median(times.mlx_down)),
    },
    ratio_of_sdk: { upload: round(up, 2), download: round(down, 2) },
    target: TARGET,
    target_met: up >= TARGET && down >= TARGET,
  };
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchS3Transfer(), null, 2)}\n`);
}
