import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { artifactRepository } from './open-repository.js';

describe('artifactRepository: one repository per artifact URI scheme', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-repo-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens a path or a file: URI as a local folder', async () => {
    expect((await artifactRepository(dir, dir)).localPath('a.txt')).toBe(path.join(dir, 'a.txt'));
    const viaUrl = await artifactRepository(pathToFileURL(dir).href, dir);
    expect(viaUrl.uri).toBe(dir);
    expect(viaUrl.localPath('')).toBe(dir);
  });

  it('opens mlflow-artifacts: through the tracking server, or the host the URI names', async () => {
    const proxied = await artifactRepository('mlflow-artifacts:/1/abc/artifacts', 'http://127.0.0.1:5000');
    expect(proxied.localPath('x')).toBeNull();
    const named = await artifactRepository('MLflow-Artifacts://srv:5000/1/abc/artifacts', dir);
    expect(named.uri).toBe('MLflow-Artifacts://srv:5000/1/abc/artifacts');
    expect(named.localPath('x')).toBeNull();
  });

  it('refuses mlflow-artifacts: without a tracking server, naming it without its password', async () => {
    await expect(artifactRepository('mlflow-artifacts:/1/abc/artifacts', 'postgresql://me:secret@db/mlx')).rejects.toThrow(
      /"mlflow-artifacts:\/1\/abc\/artifacts" is served by a tracking server, but the tracking URI "postgresql:\/\/me@db\/mlx" is not one/,
    );
  });

  it('opens s3:// as an S3 bucket (loading the SDK then), refusing a malformed one', async () => {
    const repo = await artifactRepository('s3://my-bucket/runs/1/artifacts', dir);
    expect(repo.constructor.name).toBe('S3ArtifactRepository');
    expect(repo.localPath('x')).toBeNull();
    await expect(artifactRepository('s3://My_Bucket/x', dir)).rejects.toThrow(/"My_Bucket" is not an S3 bucket name/);
  });

  it('refuses schemes it cannot read or write', async () => {
    for (const uri of ['gs://bucket/runs/1', 'mlflow-artifacts:1/abc', 'dbfs:/x'])
      await expect(artifactRepository(uri, dir)).rejects.toThrow(/uses a scheme mlx cannot read or write/);
  });
});
