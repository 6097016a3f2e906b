import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectCache } from './object-cache.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-cache-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(rel: string, content: string | Buffer, mode = 0o644) {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content, { mode });
  return p;
}

describe('ObjectCache', () => {
  it("link mode hard-links a folder's files into the cache read-only, copies executables and large files", async () => {
    const cache = ObjectCache.open(dir);
    const a = write('data/a.txt', 'alpha');
    const x = write('data/run.sh', '#!/bin/sh\n', 0o755);
    const big = write('data/big.bin', Buffer.alloc(2 * 1024 * 1024, 3));
    const added = await cache.add(path.join(dir, 'data'), { link: true });
    expect(added.files).toBe(3);
    const obj = (content: string | Buffer) => path.join(cache.root, sha(content).slice(0, 2), sha(content).slice(2));
    // The workspace file is the object: same inode, read-only, no temp left beside it.
    expect(fs.statSync(obj('alpha')).ino).toBe(fs.statSync(a).ino);
    expect(fs.statSync(a).mode & 0o777).toBe(0o444);
    expect(fs.readdirSync(path.dirname(obj('alpha'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(fs.statSync(obj('#!/bin/sh\n')).ino).not.toBe(fs.statSync(x).ino);
    expect(fs.statSync(x).mode & 0o777).toBe(0o755);
    expect(fs.statSync(obj(fs.readFileSync(big))).ino).not.toBe(fs.statSync(big).ino);
    // The manifest records what was hashed, the same as a copy-mode add.
    const copied = await ObjectCache.at(path.join(dir, 'other')).add(path.join(dir, 'data'));
    expect(copied.digest).toBe(added.digest);
  });

  it('creates nothing until written, then stores a file under its sha256 read-only', async () => {
    const cache = ObjectCache.open(dir);
    expect(cache.root).toBe(path.join(dir, '.mlx', 'objects'));
    expect(fs.existsSync(cache.root)).toBe(false);
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const file = write('big.bin', big);
    const entry = await cache.add(file);
    expect(entry).toMatchObject({ digest: sha(big), size: big.length, files: 1, kind: 'file' });
    const obj = path.join(cache.root, sha(big).slice(0, 2), sha(big).slice(2));
    expect(fs.readFileSync(obj).equals(big)).toBe(true);
    expect(fs.statSync(obj).mode & 0o777).toBe(0o444);
    expect(cache.has(sha(big))).toBe(true);
    // Idempotent: same digest, no temp left behind.
    expect((await cache.add(file)).digest).toBe(sha(big));
    expect(fs.readdirSync(path.join(cache.root, 'tmp'))).toEqual([]);
  });

  it('asks the stat cache for a single file under "" and skips reading it when the digest is known and cached', async () => {
    const file = write('f.csv', 'x\n1\n');
    const cache = ObjectCache.open(dir);
    const first = await cache.add(file);
    const asked: string[] = [];
    // A wrong digest that is not cached is ignored (the file is read); the right one, cached, is trusted.
    const again = await cache.add(file, { known: (rel) => (asked.push(rel), first.digest) });
    expect(asked).toEqual(['']);
    expect(again.digest).toBe(first.digest);
    const trusted = await cache.add(file, { known: () => sha('not cached') });
    expect(trusted.digest).toBe(first.digest);
  });

  it('stores a folder as a manifest of its files; the same folder gives the same digest', async () => {
    write('d/a.csv', 'x,y\n1,2\n');
    write('d/sub/b.txt', 'hello');
    write('d/run.sh', '#!/bin/sh\n', 0o755);
    const cache = ObjectCache.open(dir);
    const entry = await cache.add(path.join(dir, 'd'));
    expect(entry).toMatchObject({ kind: 'dir', files: 3, size: 8 + 5 + 10 });
    const manifest = await cache.readManifest(entry.digest);
    expect(manifest).toEqual([
      { path: 'a.csv', digest: sha('x,y\n1,2\n'), size: 8, mode: 0o644 },
      { path: 'run.sh', digest: sha('#!/bin/sh\n'), size: 10, mode: 0o755 },
      { path: 'sub/b.txt', digest: sha('hello'), size: 5, mode: 0o644 },
    ]);
    expect(sha(await cache.readObject(entry.digest))).toBe(entry.digest);
    expect((await cache.add(path.join(dir, 'd'))).digest).toBe(entry.digest);
  });

  it('materializes files hard-linked read-only, or copied; folders whole, replacing what was there', async () => {
    write('d/a.csv', 'a');
    write('d/sub/b.txt', 'b');
    write('d/run.sh', 'exec', 0o755);
    const cache = ObjectCache.open(dir);
    const entry = await cache.add(path.join(dir, 'd'));
    const out = path.join(dir, 'out');
    write('out/stale.txt', 'old');
    await cache.materialize(entry.digest, 'dir', out);
    expect(fs.readdirSync(out).sort()).toEqual(['a.csv', 'run.sh', 'sub']);
    expect(fs.readFileSync(path.join(out, 'sub/b.txt'), 'utf8')).toBe('b');
    expect(fs.statSync(path.join(out, 'run.sh')).mode & 0o111).not.toBe(0);
    const linked = fs.statSync(path.join(out, 'a.csv'));
    // A link shares the object's inode and is read-only; a copy is its own, writable file.
    if (linked.nlink > 1) expect(linked.mode & 0o222).toBe(0);
    const copied = path.join(dir, 'copied');
    await cache.materialize(entry.digest, 'dir', copied, { copy: true });
    expect(fs.statSync(path.join(copied, 'a.csv')).nlink).toBe(1);
    fs.appendFileSync(path.join(copied, 'a.csv'), 'more');
    expect(fs.readFileSync(cache.objectPath(manifestDigest(await cache.readManifest(entry.digest), 'a.csv')), 'utf8')).toBe('a');
    expect(fs.readdirSync(dir).filter((n) => n.includes('mlx-tmp'))).toEqual([]);
  });

  it('leaves the destination as it was when an object is missing', async () => {
    write('d/a.csv', 'a');
    write('d/b.csv', 'b');
    const cache = ObjectCache.open(dir);
    const entry = await cache.add(path.join(dir, 'd'));
    await cache.remove(sha('b'));
    write('out/keep.txt', 'mine');
    await expect(cache.materialize(entry.digest, 'dir', path.join(dir, 'out'))).rejects.toThrow(`object ${sha('b')} (b.csv) is not in the cache`);
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['keep.txt']);
    expect(fs.readdirSync(dir).filter((n) => n.includes('mlx-tmp'))).toEqual([]);
  });

  it('refuses a symbolic link loop naming it, and follows links to files', async () => {
    write('d/a.csv', 'a');
    fs.symlinkSync(path.join(dir, 'd/a.csv'), path.join(dir, 'd/link.csv'));
    const cache = ObjectCache.open(dir);
    expect((await cache.add(path.join(dir, 'd'))).files).toBe(2);
    fs.symlinkSync(path.join(dir, 'd'), path.join(dir, 'd/loop'));
    await expect(cache.add(path.join(dir, 'd'))).rejects.toThrow('symbolic link "loop" is a loop');
  });

  it('imports a download only when it hashes to its digest', async () => {
    const cache = ObjectCache.open(dir);
    const file = write('dl', 'payload');
    await expect(cache.importVerified(file, sha('other'), 'remote "r"')).rejects.toThrow(`object ${sha('other')} from remote "r" is corrupt`);
    expect(cache.has(sha('other'))).toBe(false);
    await cache.importVerified(file, sha('payload'), 'remote "r"');
    expect(cache.has(sha('payload'))).toBe(true);
    expect(await cache.list()).toEqual([sha('payload')]);
  });
});

function manifestDigest(entries: { path: string; digest: string }[], p: string): string {
  return entries.find((e) => e.path === p)!.digest;
}
