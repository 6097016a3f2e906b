// One artifact up to and down from an S3-protocol server on loopback, two ways, in one run:
// directly with the AWS SDK at its best (lib-storage multipart upload, parts of 8 MiB, 4 in
// flight; one streamed GetObject), and through `mlx server --artifacts-destination s3://…` (an
// HTTP PUT to the artifact proxy, which receives the file, records its sha256 and uploads it as
// parallel parts; a GET streamed back through the proxy, checked as it passes). Issue 23's
// target: through mlx server, at least 50% of the SDK's throughput each way. The S3 server is
// s3rver (what the tests use), so both sides pay the same server cost. Rounds alternate
// (sdk, mlx, sdk, mlx, …); medians are reported. BENCH_S3_MB sets the size (default 1024),
// BENCH_S3_ROUNDS the rounds (default 2).
//
// Then the resumed upload: `mlx log artifact` of the same file straight to the bucket (the client
// side of issue 23's multipart upload), SIGKILLed once half its parts are recorded, and run again:
// a counting proxy in front of the S3 server measures the part bytes each run sent, so the
// figure is the bytes re-sent by the resumed run (ideally the half not yet sent, plus nothing).
// BENCH_S3_RESUME=0 skips it.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3RVER_KEY, seconds, started } from './lib/s3.mjs';
import { isMain, machine, makeTemp, median, mlx, MLX, NODE, rmTemp, round, ROOT, storeEnv } from './lib/util.mjs';

const MB = Number(process.env.BENCH_S3_MB ?? 1024);
const ROUNDS = Number(process.env.BENCH_S3_ROUNDS ?? 2);
const TARGET = 0.5;
const KEY = S3RVER_KEY;

/** A proxy in front of the S3 server that forwards everything and counts UploadPart body bytes. */
async function countingProxy(target) {
  const to = new URL(target);
  const counted = { partBytes: 0 };
  const server = http.createServer((req, res) => {
    const q = new URL(req.url, 'http://x').searchParams;
    const part = req.method === 'PUT' && q.has('partNumber') && q.has('uploadId');
    const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    if (part) req.on('data', (d) => (counted.partBytes += d.length));
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${server.address().port}`, counted, close: () => (server.closeAllConnections(), server.close()) };
}

/** `mlx log artifact` of file to s3://bench/resume, killed at half its parts, then run again. */
async function resumedUpload(tmp, file, bytes, s3endpoint, expected, client, GetObjectCommand) {
  const proxy = await countingProxy(s3endpoint);
  const cache = path.join(tmp, 'cache');
  // Set up straight to the S3 server: the proxy lives in this process, which a synchronous spawn blocks.
  const direct = storeEnv(path.join(tmp, 'resume-store'), { ...KEY, MLFLOW_S3_ENDPOINT_URL: s3endpoint, XDG_CACHE_HOME: cache });
  mlx(['experiments', 'create', 'resume', '--artifact-location', 's3://bench/resume'], direct);
  mlx(['run', '--experiment', 'resume', '--', NODE, '-e', '0'], direct);
  const runId = JSON.parse(mlx(['runs', 'list', '--experiment', 'resume', '--json'], direct)).runs[0].run_id;
  const env = { ...direct, MLFLOW_S3_ENDPOINT_URL: proxy.endpoint };
  const stateDir = path.join(cache, 'mlx', 's3-uploads');
  const recorded = () => {
    for (const n of fs.existsSync(stateDir) ? fs.readdirSync(stateDir).filter((x) => x.endsWith('.json')) : []) {
      try {
        const st = JSON.parse(fs.readFileSync(path.join(stateDir, n), 'utf8'));
        return { parts: st.parts.length, of: Math.ceil(st.file.size / st.partSize) };
      } catch {
        // Being renamed into place.
      }
    }
    return null;
  };
  const args = [MLX, 'log', 'artifact', file, '--run', runId];
  let t0 = process.hrtime.bigint();
  const first = spawn(NODE, args, { env, stdio: 'ignore' });
  const firstExit = new Promise((resolve) => first.once('exit', resolve));
  let at = null;
  while (first.exitCode === null) {
    const r = recorded();
    if (r && r.parts >= r.of / 2) {
      at = r;
      first.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await firstExit;
  if (!at) throw new Error('the first upload finished before it could be killed at 50%');
  const killedSeconds = seconds(t0);
  const sentBeforeKill = proxy.counted.partBytes;
  proxy.counted.partBytes = 0;
  t0 = process.hrtime.bigint();
  const second = await new Promise((resolve) => {
    const p = spawn(NODE, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.once('close', (code) => resolve({ code, err }));
  });
  if (second.code !== 0) throw new Error(`the resumed upload failed: ${second.err}`);
  const resumedSeconds = seconds(t0);
  const resent = proxy.counted.partBytes;
  proxy.close();
  // The object is the file: read back and compared.
  const got = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: `resume/1/${runId}/artifacts/${path.basename(file)}` }));
  const h = createHash('sha256');
  await pipeline(got.Body, h);
  if (h.digest('hex') !== expected) throw new Error('the resumed upload stored other bytes');
  return {
    parts: at.of,
    parts_recorded_at_kill: at.parts,
    killed_after_seconds: round(killedSeconds, 2),
    bytes_sent_before_kill: sentBeforeKill,
    bytes_sent_by_resumed_run: resent,
    resumed_run_seconds: round(resumedSeconds, 2),
    resent_fraction_of_file: round(resent / bytes, 3),
    // Parts in flight when the process died were sent twice: at most the 4 in flight.
    bytes_sent_twice: sentBeforeKill + resent - bytes,
    state_left: fs.existsSync(stateDir) ? fs.readdirSync(stateDir).length : 0,
  };
}

export async function benchS3Transfer() {
  const tmp = makeTemp('mlx-bench-s3-');
  const s3dir = path.join(tmp, 's3');
  fs.mkdirSync(s3dir);
  const s3 = await started(NODE, ['--openssl-legacy-provider', path.join(ROOT, 'test/helpers/s3rver-main.mjs'), s3dir, 'bench'], {}, /\{"port":(\d+)\}/);
  const endpoint = `http://127.0.0.1:${s3.m[1]}`;
  const env = { ...KEY, MLFLOW_S3_ENDPOINT_URL: endpoint, XDG_CACHE_HOME: path.join(tmp, 'server-cache') };
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
  const resumed = process.env.BENCH_S3_RESUME === '0' ? null : await resumedUpload(tmp, file, bytes, endpoint, expected, client, GetObjectCommand);
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
    resumed_upload: resumed,
  };
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchS3Transfer(), null, 2)}\n`);
}
