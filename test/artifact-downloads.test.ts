// Downloads from `mlx server`'s artifact proxy with real clients: curl resumes an interrupted download
// (`-C -`, a Range request) and revalidates a copy it has (If-None-Match → 304), as MLflow's proxy allows
// through Flask's send_file. The same with artifacts in a folder and in an S3 bucket (s3rver). A
// registered model's download is tagged with its sha256.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, mlxAsync, tempProjects } from './helpers/cli.js';
import { startTrackingServer, stopServers, type TrackingServer } from './helpers/mlx-server.js';
import { register, sampleModels, writeFile } from './helpers/models.js';
import { startS3, type TestS3 } from './helpers/s3.js';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const projects = tempProjects('mlx-downloads-');
let dir: string;
let server: TrackingServer;
let bucketServer: TrackingServer;
let s3: TestS3;

beforeAll(async () => {
  dir = projects.project();
  writeFile(dir, 'tabular.onnx', sampleModels().tabular);
  register(dir, ['tabular.onnx', '--name', 'clf']);
  s3 = await startS3(['mlx']);
  [server, bucketServer] = await Promise.all([
    startTrackingServer(dir, ['--artifacts-destination', path.join(dir, 'served')]),
    startTrackingServer(dir, ['--backend-store-uri', path.join(dir, 'bucket-store'), '--artifacts-destination', 's3://mlx/served'], s3.env),
  ]);
}, 60_000);
afterAll(async () => {
  await stopServers();
  await s3?.close();
  projects.removeAll();
});

function curl(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('curl', ['-sS', ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`curl is needed for this test (apt-get install curl): ${r.error.message}`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The header lines curl -D - printed, by lower-case name. */
const headersOf = (dump: string) =>
  Object.fromEntries(
    dump.split(/\r?\n/).flatMap((l) => (/^[\w-]+:/.test(l) ? [[l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]] : [])),
  );

describe.each([
  ['a folder', () => server],
  ['an S3 bucket', () => bucketServer],
])('mlx server artifact downloads with curl, artifacts in %s', (_, serverOf) => {
  it('curl -C - resumes an interrupted download to the same bytes; once complete, a second -C - sends nothing more', async () => {
    const base = serverOf().base;
    const bytes = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (i * 2654435761) >>> 24));
    const put = await fetch(`${base}${PROXY}/data/big.bin`, { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);
    // As if an earlier download had stopped after 1 MB.
    fs.writeFileSync(path.join(dir, 'big.bin'), bytes.subarray(0, 1_000_000));
    const resumed = curl(['-C', '-', '-o', 'big.bin', '-D', 'headers.txt', `${base}${PROXY}/data/big.bin`]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'big.bin')).equals(bytes)).toBe(true);
    const headers = fs.readFileSync(path.join(dir, 'headers.txt'), 'utf8');
    expect(headers).toMatch(/^HTTP\/1\.1 206/);
    expect(headersOf(headers)['content-range']).toBe('bytes 1000000-2999999/3000000');
    // Nothing is left to fetch: the server answers 416 and curl keeps the file as it is.
    const again = curl(['-C', '-', '-o', 'big.bin', `${base}${PROXY}/data/big.bin`]);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'big.bin')).equals(bytes)).toBe(true);
  });

  it('a copy curl has is revalidated: 304 for its ETag, the new bytes once the artifact is replaced', async () => {
    const base = serverOf().base;
    const url = `${base}${PROXY}/data/notes.txt`;
    expect((await fetch(url, { method: 'PUT', body: 'first' })).status).toBe(200);
    const etag = headersOf(curl(['-D', '-', '-o', 'notes.txt', url]).stdout).etag;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(curl(['-o', '/dev/null', '-w', '%{http_code}', '-H', `If-None-Match: ${etag}`, url]).stdout).toBe('304');
    expect((await fetch(url, { method: 'PUT', body: 'second' })).status).toBe(200);
    const changed = curl(['-D', '-', '-o', 'notes.txt', '-H', `If-None-Match: ${etag}`, url]);
    expect(changed.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('second');
  });
});

describe('mlx server registry downloads with curl', () => {
  it('a registered model is tagged with its sha256: If-None-Match with it answers 304, a range gives those bytes', () => {
    const model = Buffer.from(sampleModels().tabular);
    const sha = createHash('sha256').update(model).digest('hex');
    const url = `${server.base}${PROXY}/_mlx-registry/clf/1/model.onnx`;
    const whole = curl(['-D', '-', '-o', 'model.onnx', url]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(headersOf(whole.stdout).etag).toBe(`"${sha}"`);
    expect(fs.readFileSync(path.join(dir, 'model.onnx')).equals(model)).toBe(true);
    const current = curl(['-o', '/dev/null', '-w', '%{http_code}', '-H', `If-None-Match: "${sha}"`, url]);
    expect(current.stdout).toBe('304');
    const first = curl(['-r', '16-47', '-o', 'part.bin', url]);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'part.bin')).equals(model.subarray(16, 48))).toBe(true);
  });
});

/** An HTTP proxy in front of a server that cuts the first download of a path ending in `name` after `cutAt` bytes. */
async function cuttingProxy(target: TrackingServer, name: string, cutAt: number) {
  const seen: { range?: string; ifRange?: string; status?: number }[] = [];
  let cut = true;
  const proxy = http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      if (req.method !== 'GET' || !req.url!.endsWith(name)) return void answer.pipe(res);
      seen.push({ range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, status: answer.statusCode });
      if (!cut) return void answer.pipe(res);
      cut = false;
      let sent = 0;
      answer.on('data', (d: Buffer) => {
        if (sent >= cutAt) return;
        res.write(d);
        sent += d.length;
        if (sent >= cutAt) {
          res.socket?.destroy();
          answer.destroy();
        }
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, seen, close: () => new Promise((resolve) => proxy.close(resolve)) };
}

describe('mlx as the client of mlx server', () => {
  it('mlx artifacts download resumes a download cut midway with a ranged GET (If-Range: the ETag), not from the start', async () => {
    const env = { MLX_TRACKING_URI: server.base };
    const bytes = Buffer.from(Array.from({ length: 4_000_000 }, (_, i) => (i * 40503) >>> 8));
    fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
    const run = mlx(dir, ['runs', 'start', '--name', 'resume'], { env }).stdout.trim();
    expect(run).toMatch(/^[0-9a-f]{32}$/);
    const logged = mlx(dir, ['log', 'artifact', 'weights.bin', '--run', run], { env });
    expect(logged.code, logged.stderr).toBe(0);
    const proxy = await cuttingProxy(server, '/weights.bin', 1_500_000);
    try {
      const r = await mlxAsync(dir, ['artifacts', 'download', run, 'weights.bin', '--dst', 'got'], { MLX_TRACKING_URI: proxy.base }).done;
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'got', 'weights.bin')).equals(bytes)).toBe(true);
      expect(proxy.seen).toHaveLength(2);
      const [first, second] = proxy.seen;
      expect(first).toMatchObject({ range: undefined, status: 200 });
      expect(second.range).toMatch(/^bytes=\d+-$/);
      expect(Number(/\d+/.exec(second.range!)![0])).toBeGreaterThan(0);
      expect(second.ifRange).toMatch(/^"[^"]+"$/);
      expect(second.status).toBe(206);
    } finally {
      await proxy.close();
    }
  });
});
