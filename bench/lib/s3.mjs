// What the S3 benchmarks share: s3rver's fixed key pair as environment, a spawned process awaited
// until its output says it is up, and elapsed seconds.
import { spawn } from 'node:child_process';

/** s3rver's only key pair, with the region the SDK needs and its Node-version warning silenced. */
export const S3RVER_KEY = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Spawns a process and resolves with it once a line of its output matches. */
export function started(cmd, args, env, match) {
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

/** Seconds since t0 (a process.hrtime.bigint()). */
export const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
