// The S3 repository against a real S3-protocol server (s3rver on 127.0.0.1): the shared
// contract, then what only object storage has: multipart uploads, listings of thousands of keys
// (paged), ranged reads, checksums, a missing bucket and credentials S3 refuses.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, useEnv, type TestS3 } from '../../test/helpers/s3.js';
import { MlxError } from '../core/errors.js';
import { artifactRepository, checkArtifactLocation } from './open-repository.js';
import { runArtifactRepositoryContract } from './repository.contract.js';
import { s3Client, s3EndpointFromEnv } from './s3-client.js';
import { partSize, S3ArtifactRepository } from './s3-repository.js';

let s3: TestS3;
let undoEnv: () => void;
let runs = 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-s3-repo-'));

beforeAll(async () => {
  s3 = await startS3(['mlx', 'paging']);
  // Upload states go under this test's folder, not the user's ~/.cache.
  undoEnv = useEnv({ ...s3.env, XDG_CACHE_HOME: path.join(tmp, 'cache') });
});
afterAll(async () => {
  undoEnv?.();
  await s3?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const fresh = async () => artifactRepository(`s3://mlx/experiments/1/run-${++runs}/artifacts`, tmp);

runArtifactRepositoryContract('S3 (s3rver)', fresh);

const rejection = async (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as MlxError,
  );

describe('S3ArtifactRepository', () => {
  it('is what open-repository gives for s3:// (the SDK loaded only then)', async () => {
    const repo = await fresh();
    expect(repo).toBeInstanceOf(S3ArtifactRepository);
    expect(repo.localPath('x')).toBeNull();
  });

  it('uploads a large file as parallel parts, records its sha256 and downloads it verified', async () => {
    const big = path.join(tmp, 'big.bin');
    const bytes = Buffer.alloc(21 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
    fs.writeFileSync(big, bytes);
    // A client of its own that records the requests it sends.
    const { S3Client } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED' });
    const sent: string[] = [];
    client.middlewareStack.add((next, context) => (args) => (sent.push(String(context.commandName)), next(args)), { step: 'initialize' });
    const repo = new S3ArtifactRepository(`s3://mlx/big/run-${++runs}`, s3EndpointFromEnv(), client);
    await repo.log(big, 'weights');
    // 21 MiB in parts of 8 MiB: three parts, the object appearing only at completion.
    expect(sent.filter((c) => c === 'UploadPartCommand')).toHaveLength(3);
    expect(sent).toContain('CreateMultipartUploadCommand');
    expect(sent).toContain('CompleteMultipartUploadCommand');
    const info = await repo.info('weights/big.bin');
    expect(info.size).toBe(bytes.length);
    expect(info.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const dest = path.join(tmp, 'big.down');
    await repo.download('weights/big.bin', dest);
    expect(createHash('sha256').update(fs.readFileSync(dest)).digest('hex')).toBe(info.sha256);
  });

  it('chooses parts so a file fits in 10,000 of them', () => {
    expect(partSize(1)).toBe(8 * 1024 * 1024);
    expect(partSize(200 * 1024 ** 3) * 10_000).toBeGreaterThanOrEqual(200 * 1024 ** 3);
  });

  it('reads a byte range', async () => {
    const repo = (await fresh()) as S3ArtifactRepository;
    const w = repo.openWriter('alphabet.txt');
    w.stream.end('abcdefghijklmnopqrstuvwxyz');
    await w.close();
    expect((await repo.readRange('alphabet.txt', 3, 6)).toString()).toBe('defg');
  });

  it('refuses a download whose bytes do not match the recorded sha256, writing nothing', async () => {
    const repo = (await fresh()) as S3ArtifactRepository;
    const key = `${repo.prefix}/tampered.bin`;
    await s3Client(s3EndpointFromEnv()).send(new PutObjectCommand({ Bucket: 'mlx', Key: key, Body: 'evil', Metadata: { 'mlx-sha256': '0'.repeat(64) } }));
    const dest = path.join(tmp, 'tampered.bin');
    const err = await rejection(repo.download('tampered.bin', dest));
    expect(err?.message).toMatch(/arrived damaged \(sha256 .*recorded 0{64}\)/);
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('downloads objects other tools wrote, checked against their MD5 ETag', async () => {
    const repo = (await fresh()) as S3ArtifactRepository;
    await s3Client(s3EndpointFromEnv()).send(new PutObjectCommand({ Bucket: 'mlx', Key: `${repo.prefix}/by-aws-cli.txt`, Body: 'hello' }));
    const dest = path.join(tmp, 'by-aws-cli.txt');
    await repo.download('by-aws-cli.txt', dest);
    expect(fs.readFileSync(dest, 'utf8')).toBe('hello');
  });

  it('lists thousands of keys across pages of 1,000', async () => {
    const client = s3Client(s3EndpointFromEnv());
    const keys = Array.from({ length: 2500 }, (_, i) => `run/artifacts/shards/part-${String(i).padStart(5, '0')}.txt`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((Key) => client.send(new PutObjectCommand({ Bucket: 'paging', Key, Body: 'x' }))));
    const repo = await artifactRepository('s3://paging/run/artifacts', tmp);
    const flat = await repo.list('shards');
    expect(flat).toHaveLength(2500);
    expect(flat[0]).toEqual({ path: 'shards/part-00000.txt', is_dir: false, file_size: 1 });
    expect(flat[2499].path).toBe('shards/part-02499.txt');
    expect(await repo.list()).toEqual([{ path: 'shards', is_dir: true }]);
    expect(await repo.list(undefined, true)).toHaveLength(2501);
  }, 120_000);

  it('a missing bucket is one line naming it and what to do', async () => {
    const repo = await artifactRepository('s3://no-such-bucket/x', tmp);
    const err = await rejection(repo.list());
    expect(err?.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(err?.message).toBe(`the bucket of s3://no-such-bucket/x does not exist at ${s3.endpoint}; create it (aws s3 mb, mc mb) or fix the location`);
  });

  it('credentials S3 refuses are one line that names the variables, never their values', async () => {
    const secret = 'do-not-print-this-secret';
    const repo = new S3ArtifactRepository('s3://mlx/x', { ...s3EndpointFromEnv(), endpoint: s3.endpoint }, undefined);
    const undo = useEnv({ AWS_ACCESS_KEY_ID: 'WRONGKEY', AWS_SECRET_ACCESS_KEY: secret });
    try {
      // A client of its own: the shared one has resolved the right credentials already.
      const { S3Client } = await import('@aws-sdk/client-s3');
      const own = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1 });
      const wrong = new S3ArtifactRepository('s3://mlx/x', repo.endpoint, own);
      const err = await rejection(wrong.list());
      expect(err?.code).toBe('PERMISSION_DENIED');
      expect(err?.message).toMatch(
        /^S3 at http:\/\/127\.0\.0\.1:\d+ refused access to s3:\/\/mlx\/x \(InvalidAccessKeyId: .*\); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/,
      );
      expect(err?.message).not.toContain(secret);
      expect(err?.message).not.toContain('\n');
    } finally {
      undo();
    }
  });

  it('an endpoint nobody listens on says so', async () => {
    const { S3Client } = await import('@aws-sdk/client-s3');
    const endpoint = { endpoint: 'http://127.0.0.1:9', pathStyle: true, region: 'us-east-1' };
    const repo = new S3ArtifactRepository('s3://mlx/x', endpoint, new S3Client({ ...endpoint, forcePathStyle: true, maxAttempts: 1 }));
    const err = await rejection(repo.list());
    expect(err?.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err?.message).toMatch(/^cannot reach the S3 endpoint at http:\/\/127\.0\.0\.1:9 for s3:\/\/mlx\/x \(ECONNREFUSED\)/);
  });
});

describe('checkArtifactLocation', () => {
  it('takes folders, file:, s3:// and mlflow-artifacts:, and names the scheme it refuses', () => {
    expect(['/data/a', 'rel/dir', 'file:///data/a', 's3://bucket/prefix', 's3://bucket', 'mlflow-artifacts:/x'].map((l) => checkArtifactLocation(l))).toEqual([
      null,
      null,
      'file',
      's3',
      's3',
      'mlflow-artifacts',
    ]);
    expect(() => checkArtifactLocation('gs://bucket/x', '--artifacts-destination')).toThrow(
      '--artifacts-destination "gs://bucket/x" uses the scheme gs:, which mlx cannot read or write; use a folder, file:///PATH, s3://BUCKET/PREFIX or mlflow-artifacts:/PATH',
    );
    expect(() => checkArtifactLocation('s3://Bad_Bucket/x')).toThrow(/"Bad_Bucket" is not an S3 bucket name/);
    expect(() => checkArtifactLocation('s3:bucket')).toThrow(/is not of the form s3:\/\/BUCKET\/PREFIX/);
    expect(() => checkArtifactLocation('s3://bucket/a/../b')).toThrow(/without "\.", "\.\."/);
  });
});
