// A real S3-protocol server for tests: s3rver (S3's REST API over a folder) on 127.0.0.1, an
// ephemeral port and a fresh temporary folder, with the environment an mlx process needs to
// reach it (endpoint, path-style addressing, s3rver's fixed credentials).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
