import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Hasher } from './hasher.js';
import { readLock, writeLock, type LockedStage } from './lock.js';
import { acquireReproLock } from './repro-lock.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-pipeline-state-'));
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const old = (file: string) => fs.utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

describe('Hasher', () => {
  it('digests files and folders, and trusts the stat cache for a file whose stat is unchanged', async () => {
    const root = tmp();
    fs.mkdirSync(path.join(root, 'data/sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data/a.csv'), 'x\n1\n');
    fs.writeFileSync(path.join(root, 'data/sub/b.csv'), 'y\n2\n');
    for (const f of ['data/a.csv', 'data/sub/b.csv']) old(path.join(root, f));
    const cacheFile = path.join(root, '.mlx/pipeline/stat-cache.json');
    const h = new Hasher(root, cacheFile);
    expect(await h.digest('data/a.csv')).toEqual({ digest: sha('x\n1\n'), size: 4, files: 1, kind: 'file' });
    const dir = await h.digest('data');
    expect(dir).toMatchObject({ size: 8, files: 2, kind: 'dir' });
    expect(dir!.digest).toBe(sha(`a.csv\t${sha('x\n1\n')}\nsub/b.csv\t${sha('y\n2\n')}\n`));
    expect(await h.digest('nope')).toBeNull();
    h.save();
    // A second process reads the digest from the stat cache, not from the file: proven by a planted digest.
    const doc = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    doc.entries['data/a.csv'][4] = 'f'.repeat(64);
    fs.writeFileSync(cacheFile, JSON.stringify(doc));
    expect((await new Hasher(root, cacheFile).digest('data/a.csv'))!.digest).toBe('f'.repeat(64));
    // A rewrite changes the stat, so the file is read again.
    fs.writeFileSync(path.join(root, 'data/a.csv'), 'x\n9\n');
    expect((await new Hasher(root, cacheFile).digest('data/a.csv'))!.digest).toBe(sha('x\n9\n'));
  });

  it('does not trust a file written in the last 2 s (it may change again within its mtime tick)', async () => {
    const root = tmp();
    fs.writeFileSync(path.join(root, 'new.txt'), 'fresh');
    const cacheFile = path.join(root, 'stat.json');
    const h = new Hasher(root, cacheFile);
    await h.digest('new.txt');
    h.save();
    expect(fs.existsSync(cacheFile)).toBe(false);
  });

  it('refuses a folder with a symbolic link loop, naming it', async () => {
    const root = tmp();
    fs.mkdirSync(path.join(root, 'data'));
    fs.symlinkSync('..', path.join(root, 'data', 'up'));
    await expect(new Hasher(root, null).digest('data')).rejects.toThrow('data: symbolic link loop: data/up/data is a folder already walked; remove the link');
  });
});

describe('mlx.lock', () => {
  const stage: LockedStage = {
    cmd: ['python train.py'],
    deps: [{ path: 'data.csv', sha256: sha('d'), size: 1 }],
    params: { 'params.yaml': { 'train.lr': 0.1 } },
    outs: [{ path: 'model.onnx', sha256: sha('m'), size: 1 }],
    metrics: [],
  };
  it('round-trips, keeps the stages in pipeline order and drops stages no longer declared', () => {
    const root = tmp();
    writeLock(
      root,
      new Map([
        ['train', stage],
        ['gone', stage],
        ['prepare', { ...stage, cmd: ['a', 'b'] }],
      ]),
      ['prepare', 'train'],
    );
    const text = fs.readFileSync(path.join(root, 'mlx.lock'), 'utf8');
    expect(text.indexOf('prepare:')).toBeLessThan(text.indexOf('train:'));
    expect(text).not.toContain('gone');
    const lock = readLock(root);
    expect([...lock.keys()]).toEqual(['prepare', 'train']);
    expect(lock.get('train')).toEqual(stage);
    expect(lock.get('prepare')!.cmd).toEqual(['a', 'b']);
    expect(fs.readdirSync(root)).toEqual(['mlx.lock']);
  });

  it.each([
    ['stages: [', /not valid YAML/],
    ['schema: 7\nstages: {}\n', /schema 7, this mlx writes schema 1/],
    ['schema: 1\nstages:\n  a:\n    cmd: x\n    deps: [{path: d}]\n', /stage a: deps must list \{path, sha256, size\}/],
  ])('refuses a damaged lock %j, saying what to do', (text, message) => {
    const root = tmp();
    fs.writeFileSync(path.join(root, 'mlx.lock'), text);
    expect(() => readLock(root)).toThrow(message);
    expect(() => readLock(root)).toThrow('restore it with `git checkout mlx.lock`, or delete it and every stage runs again');
  });
});

describe('the repro lock', () => {
  it('lets one repro in at a time and takes over a lock left by a process that died', () => {
    const dir = tmp();
    const release = acquireReproLock(dir);
    expect(() => acquireReproLock(dir)).toThrow(`another mlx repro (pid ${process.pid}) is running in this project`);
    release();
    // A pid that cannot be alive (above the kernel's pid_max).
    fs.writeFileSync(path.join(dir, 'repro.pid'), '99999999');
    const again = acquireReproLock(dir);
    expect(fs.readFileSync(path.join(dir, 'repro.pid'), 'utf8')).toBe(String(process.pid));
    again();
    expect(fs.existsSync(path.join(dir, 'repro.pid'))).toBe(false);
  });
});
