// The upload state file: where it lives, what it records (never a credential), and that garbage
// in the folder is ignored rather than trusted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { partSize } from './s3-multipart.js';
import { endpointId, readState, staleStates, statePath, uploadStateDir, writeState, type UploadState } from './s3-upload-state.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-upload-state-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const state: UploadState = {
  version: 1,
  endpoint: 'http://127.0.0.1:9000',
  bucket: 'b',
  key: 'k/w.bin',
  uploadId: 'u-1',
  partSize: 8 * 1024 * 1024,
  file: { path: '/data/w.bin', size: 20, mtimeMs: 1, sha256: 'a'.repeat(64) },
  parts: [{ number: 1, etag: '"x"', size: 8 }],
  pid: 1,
  host: 'h',
};

describe('upload state', () => {
  it('lives under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(uploadStateDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/mlx/s3-uploads');
    expect(uploadStateDir({ XDG_CACHE_HOME: 'relative' })).toBe(path.join(os.homedir(), '.cache', 'mlx', 's3-uploads'));
    expect(uploadStateDir({})).toBe(path.join(os.homedir(), '.cache', 'mlx', 's3-uploads'));
  });

  it('records the endpoint without a user or password', () => {
    expect(endpointId('http://admin:hunter2@minio:9000', undefined)).toBe('http://minio:9000');
    expect(endpointId(undefined, 'eu-west-1')).toBe('aws:eu-west-1');
  });

  it('one file per endpoint, bucket and key; written whole with mode 0600; garbage is ignored', () => {
    const a = statePath(tmp, 'e', 'b', 'k');
    expect(statePath(tmp, 'e', 'b', 'k')).toBe(a);
    expect(statePath(tmp, 'e', 'b', 'k2')).not.toBe(a);
    writeState(a, state);
    expect(fs.statSync(a).mode & 0o777).toBe(0o600);
    expect(readState(a)).toEqual(state);
    expect(fs.readdirSync(tmp)).toEqual([path.basename(a)]);
    fs.writeFileSync(a, '{"version":1}');
    expect(readState(a)).toBeNull();
    fs.writeFileSync(a, 'not json');
    expect(readState(a)).toBeNull();
  });

  it('finds states untouched for more than 7 days', () => {
    const dir = path.join(tmp, 'stale');
    const old = statePath(dir, 'e', 'b', 'old');
    const fresh = statePath(dir, 'e', 'b', 'fresh');
    writeState(old, state);
    writeState(fresh, state);
    const when = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    fs.utimesSync(old, when, when);
    expect(staleStates(dir).map((s) => s.file)).toEqual([old]);
    expect(staleStates(path.join(tmp, 'absent'))).toEqual([]);
  });
});

describe('partSize', () => {
  it('is at least 8 MiB, or MLX_S3_PART_MB, and never more than 10,000 parts', () => {
    expect(partSize(1, {})).toBe(8 * 1024 * 1024);
    expect(partSize(1, { MLX_S3_PART_MB: '1' })).toBe(1024 * 1024);
    expect(partSize(200 * 1024 ** 3, { MLX_S3_PART_MB: '1' }) * 10_000).toBeGreaterThanOrEqual(200 * 1024 ** 3);
    for (const bad of ['0', '-1', '1.5', 'x', '5121'])
      expect(() => partSize(1, { MLX_S3_PART_MB: bad })).toThrow(`MLX_S3_PART_MB ${JSON.stringify(bad)} must be a whole number of MiB from 1 to 5120`);
  });
});
