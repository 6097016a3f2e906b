// A real S3-protocol server for tests: s3rver (S3's REST API over a folder) on 127.0.0.1, an
// ephemeral port and a fresh temporary folder, with the environment an mlx process needs to
// reach it (endpoint, path-style addressing, s3rver's fixed credentials).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export interface TestS3 {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** The folder s3rver keeps its buckets in. */
  dir: string;
  /** Variables for a spawned mlx (or the SDK in this process): endpoint, credentials, region. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** s3rver's only key pair: a request signed with another access key is refused (InvalidAccessKeyId). */
export const S3_KEY = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

/** Starts s3rver with the given buckets; close() stops it and removes its folder. */
export async function startS3(buckets: string[] = ['mlx']): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-s3-'));
  const main = path.join(path.dirname(new URL(import.meta.url).pathname), 's3rver-main.mjs');
  const proc = spawn(process.execPath, ['--openssl-legacy-provider', main, dir, ...buckets], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`s3rver exited before listening: ${err}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    dir,
    env: { ...S3_KEY, MLFLOW_S3_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    close: async () => {
      proc.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sets env in this process for the duration of a test file (the SDK reads credentials from it); returns the undo. */
export function useEnv(env: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** moto's S3 server on PATH (Python; it lists parts and aborts uploads, which s3rver does not), or null. */
export function motoServer(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'moto_server');
    if (dir && fs.existsSync(p)) return p;
  }
  return null;
}

/** A secret only the moto tests use: a file that records an upload must never contain it. */
export const MOTO_SECRET = 'moto-secret-never-stored';

/**
 * Starts moto_server on 127.0.0.1 with the given buckets (made with the SDK). minPartMiB: the
 * smallest part it takes (S3's 5 MiB unless told), so tests can use small files.
 */
export async function startMoto(buckets: string[] = ['mlx'], minPartMiB = 1): Promise<TestS3> {
  const bin = motoServer();
  if (!bin) throw new Error('moto_server is not installed');
  const net = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const proc = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, S3_UPLOAD_PART_MIN_SIZE: String(minPartMiB * 1024 * 1024) },
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const on = (d: string) => {
      out += d;
      if (/Running on http/.test(out)) resolve();
    };
    proc.stdout.setEncoding('utf8').on('data', on);
    proc.stderr.setEncoding('utf8').on('data', on);
    void exited.then(() => reject(new Error(`moto_server exited before listening: ${out}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    AWS_ACCESS_KEY_ID: 'MOTOKEY',
    AWS_SECRET_ACCESS_KEY: MOTO_SECRET,
    MLFLOW_S3_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'MOTOKEY', secretAccessKey: MOTO_SECRET } });
  for (const b of buckets) await client.send(new CreateBucketCommand({ Bucket: b }));
  client.destroy();
  return {
    endpoint,
    dir: '',
    env,
    close: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** An SDK client of the test server (path-style, its credentials), for tests to look in the bucket themselves. */
export function s3Client(s3: TestS3): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: s3.env.AWS_ACCESS_KEY_ID, secretAccessKey: s3.env.AWS_SECRET_ACCESS_KEY },
  });
}

/** Every key in a bucket under prefix, sorted, paging through the listing. */
export async function bucketKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((c) => c.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}
