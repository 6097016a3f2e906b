// Uploads to S3 that survive the process: a spawned `mlx log artifact` of a multi-part file is
// SIGKILLed once some parts were acknowledged (a counting proxy in front of the S3 server holds
// the rest), and the rerun sends only the missing parts. Run against s3rver (which cannot list
// parts or abort uploads: mlx falls back to the parts it recorded) and, where it is installed,
// moto_server (which can, as AWS, MinIO and Ceph do).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AbortMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, mlxAsync, mlxJson, tempProject } from './helpers/cli.js';
import { motoServer, s3Client, startMoto, startS3, type TestS3 } from './helpers/s3.js';
import { startCountingProxy, type CountingProxy } from './helpers/s3-proxy.js';

const MIB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const servers: [string, () => Promise<TestS3>, boolean][] = [
  ['s3rver (no ListParts: the parts this machine recorded)', () => startS3(['mlx']), true],
  ['moto_server (ListParts, AbortMultipartUpload)', () => startMoto(['mlx']), motoServer() !== null],
];

if (motoServer() === null)
  console.warn(
    's3-resume.test: the moto_server cases (ListParts, an upload aborted server-side) are skipped: moto_server is not on PATH (pip install "moto[server]")',
  );

for (const [name, start, available] of servers) {
  const lists = name.startsWith('moto');
  describe.skipIf(!available)(`uploads that resume across processes: ${name}`, () => {
    let s3: TestS3;
    let proxy: CountingProxy;
    let client: S3Client;
    let dir: string;
    let runId: string;
    let env: Record<string, string>;
    const stateDir = () => path.join(dir, 'cache', 'mlx', 's3-uploads');
    const states = () => (fs.existsSync(stateDir()) ? fs.readdirSync(stateDir()).filter((n) => n.endsWith('.json')) : []);
    const key = (file: string) => `resume/1/${runId}/artifacts/${path.basename(file)}`;

    beforeAll(async () => {
      s3 = await start();
      proxy = await startCountingProxy(s3.endpoint);
      client = s3Client(s3);
      dir = tempProject('mlx-s3-resume-');
      mlxJson(dir, ['experiments', 'create', 'resume', '--artifact-location', 's3://mlx/resume'], { env: s3.env });
      expect(mlx(dir, ['run', '--experiment', 'resume', '--', process.execPath, '-e', '0'], { env: s3.env }).code).toBe(0);
      runId = mlxJson<{ runs: { run_id: string }[] }>(dir, ['runs', 'list', '--experiment', 'resume'], { env: s3.env }).runs[0].run_id;
      // Parts of 1 MiB through the proxy; the upload state under this project's cache folder.
      env = { ...s3.env, MLFLOW_S3_ENDPOINT_URL: proxy.endpoint, MLX_S3_PART_MB: '1', XDG_CACHE_HOME: path.join(dir, 'cache') };
    }, 60_000);
    afterAll(async () => {
      client?.destroy();
      await proxy?.close();
      await s3?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const logArtifact = (file: string, extra: Record<string, string> = {}) => mlxAsync(dir, ['log', 'artifact', file, '--run', runId], { ...env, ...extra });

    /** Starts an upload of file, lets 5 parts through, and SIGKILLs it once it recorded them. */
    async function killedUpload(file: string): Promise<{ stateFile: string; text: string }> {
      proxy.reset();
      proxy.set({ holdAfter: 5 });
      const { proc, done } = logArtifact(file);
      let found: { stateFile: string; text: string } | null = null;
      while (!found && proc.exitCode === null) {
        await new Promise((r) => setTimeout(r, 20));
        for (const n of states()) {
          const text = fs.readFileSync(path.join(stateDir(), n), 'utf8');
          if ((JSON.parse(text) as { parts: unknown[] }).parts.length >= 5) found = { stateFile: path.join(stateDir(), n), text };
        }
      }
      expect(proc.exitCode, 'the upload ended before it could be killed').toBeNull();
      proc.kill('SIGKILL');
      await done;
      proxy.reset();
      return found!;
    }

    async function object(file: string): Promise<{ bytes: Buffer; sha: string | undefined }> {
      const got = await client.send(new GetObjectCommand({ Bucket: 'mlx', Key: key(file) }));
      const head = await client.send(new HeadObjectCommand({ Bucket: 'mlx', Key: key(file) }));
      return { bytes: Buffer.from(await got.Body!.transformToByteArray()), sha: head.Metadata?.['mlx-sha256'] };
    }

    const pendingUploads = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: 'mlx' }))).Uploads ?? [];

    it('killed after 5 of 12 parts, the rerun sends only the 7 missing ones; the object is whole and its sha256 right', async () => {
      const file = path.join(dir, 'weights.bin');
      const bytes = randomBytes(12 * MIB);
      fs.writeFileSync(file, bytes);
      const { stateFile, text } = await killedUpload(file);
      // The state: readable by the user alone, naming the upload, holding no credential.
      expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600);
      const state = JSON.parse(text) as { bucket: string; key: string; uploadId: string; partSize: number; file: { size: number; sha256: string } };
      expect(state).toMatchObject({ bucket: 'mlx', key: key(file), partSize: MIB, file: { size: bytes.length, sha256: sha256(bytes) } });
      for (const secret of [s3.env.AWS_ACCESS_KEY_ID, s3.env.AWS_SECRET_ACCESS_KEY]) expect(text).not.toContain(secret);
      // Nothing visible yet: S3 shows a multipart upload only once complete.
      await expect(client.send(new HeadObjectCommand({ Bucket: 'mlx', Key: key(file) }))).rejects.toThrow();

      const r = await logArtifact(file).done;
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.count('UploadPart')).toBe(7);
      expect(proxy.partBytes).toBe(7 * MIB);
      expect(proxy.count('CreateMultipartUpload')).toBe(0);
      expect(proxy.count('ListParts')).toBe(1);
      const got = await object(file);
      expect(got.bytes.equals(bytes)).toBe(true);
      expect(got.sha).toBe(sha256(bytes));
      expect(states()).toEqual([]);
      if (lists) expect(await pendingUploads()).toEqual([]);
    }, 120_000);

    it('a file changed since the killed upload starts over (the old upload aborted)', async () => {
      const file = path.join(dir, 'changed.bin');
      fs.writeFileSync(file, randomBytes(8 * MIB));
      await killedUpload(file);
      const now = randomBytes(8 * MIB);
      fs.writeFileSync(file, now);
      const r = await logArtifact(file).done;
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.count('UploadPart')).toBe(8);
      expect(proxy.count('AbortMultipartUpload')).toBe(1);
      expect(proxy.count('CreateMultipartUpload')).toBe(1);
      const got = await object(file);
      expect(got.bytes.equals(now)).toBe(true);
      expect(got.sha).toBe(sha256(now));
      if (lists) expect(await pendingUploads()).toEqual([]);
    }, 120_000);

    it.skipIf(!lists)(
      'an upload aborted server-side (a lifecycle rule) starts over',
      async () => {
        const file = path.join(dir, 'aborted.bin');
        const bytes = randomBytes(8 * MIB);
        fs.writeFileSync(file, bytes);
        const { text } = await killedUpload(file);
        await client.send(new AbortMultipartUploadCommand({ Bucket: 'mlx', Key: key(file), UploadId: (JSON.parse(text) as { uploadId: string }).uploadId }));
        const r = await logArtifact(file).done;
        expect(r.code, r.stderr).toBe(0);
        expect(proxy.count('UploadPart')).toBe(8);
        expect(proxy.count('CreateMultipartUpload')).toBe(1);
        expect((await object(file)).bytes.equals(bytes)).toBe(true);
        expect(states()).toEqual([]);
      },
      120_000,
    );

    it('a failed upload (S3 refuses a part) is aborted: one line, exit 1, no object, no state left', async () => {
      const file = path.join(dir, 'refused.bin');
      fs.writeFileSync(file, randomBytes(6 * MIB));
      proxy.reset();
      proxy.set({ refuseAfter: 2 });
      const r = await logArtifact(file).done;
      proxy.reset();
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^mlx: S3 at http:\/\/127\.0\.0\.1:\d+ refused access to s3:\/\/mlx\/resume\/1\/[0-9a-f]+\/artifacts \(AccessDenied/);
      await expect(client.send(new HeadObjectCommand({ Bucket: 'mlx', Key: key(file) }))).rejects.toThrow();
      expect(states()).toEqual([]);
      if (lists) expect(await pendingUploads()).toEqual([]);
    }, 120_000);

    it('an upload left for more than 7 days is aborted and forgotten by the next upload', async () => {
      const file = path.join(dir, 'forgotten.bin');
      fs.writeFileSync(file, randomBytes(8 * MIB));
      const { stateFile, text } = await killedUpload(file);
      const old = new Date(Date.now() - 8 * 24 * 3600 * 1000);
      fs.utimesSync(stateFile, old, old);
      const other = path.join(dir, 'other.bin');
      fs.writeFileSync(other, randomBytes(3 * MIB));
      const r = await logArtifact(other).done;
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.count('AbortMultipartUpload')).toBe(1);
      expect(states()).toEqual([]);
      if (lists) expect((await pendingUploads()).map((u) => u.UploadId)).not.toContain((JSON.parse(text) as { uploadId: string }).uploadId);
    }, 120_000);

    it('a small file is one PutObject; a bad MLX_S3_PART_MB is one line naming it, exit 1, nothing sent', async () => {
      const small = path.join(dir, 'small.txt');
      fs.writeFileSync(small, 'x'.repeat(1000));
      proxy.reset();
      const ok = await logArtifact(small).done;
      expect(ok.code, ok.stderr).toBe(0);
      expect(proxy.ops.filter((o) => o !== 'Other')).toEqual(['PutObject']);
      proxy.reset();
      const bad = await logArtifact(small, { MLX_S3_PART_MB: 'lots' }).done;
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim()).toBe(
        'mlx: MLX_S3_PART_MB "lots" must be a whole number of MiB from 1 to 5120 (S3 itself refuses parts under 5); unset it for the default of 8',
      );
      expect(proxy.ops.filter((o) => o !== 'Other')).toEqual([]);
    }, 60_000);
  });
}
