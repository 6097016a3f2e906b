import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, mlxSpawn, tempProject } from './helpers/cli.js';

// SIGKILL during add, push and checkout leaves the cache, the remote and the workspace consistent;
// a file that keeps changing while it is hashed is refused; a full disk during checkout leaves the workspace as it was.
let dirs: string[] = [];
const fresh = (prefix: string) => {
  const d = tempProject(prefix);
  dirs.push(d);
  return d;
};
beforeEach(() => {
  dirs = [];
});
afterEach(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A folder of `n` files of `size` bytes each (distinct content). */
function makeFolder(dir: string, rel: string, n: number, size: number): void {
  fs.mkdirSync(path.join(dir, rel), { recursive: true });
  for (let i = 0; i < n; i++) {
    const buf = Buffer.alloc(size, i % 251);
    buf.writeUInt32LE(i, 0);
    fs.writeFileSync(path.join(dir, rel, `f${String(i).padStart(5, '0')}.bin`), buf);
  }
}

/** Every object under a cache-layout folder hashes to its name; returns how many there are. */
function verifyObjects(root: string): number {
  let n = 0;
  if (!fs.existsSync(root)) return 0;
  for (const p of fs.readdirSync(root)) {
    if (!/^[0-9a-f]{2}$/.test(p)) continue;
    for (const rest of fs.readdirSync(path.join(root, p))) {
      if (rest.startsWith('.')) continue;
      const digest = createHash('sha256')
        .update(fs.readFileSync(path.join(root, p, rest)))
        .digest('hex');
      expect(digest, `object ${p}${rest}`).toBe(p + rest);
      n++;
    }
  }
  return n;
}

const countObjects = (root: string) =>
  fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((p) => /^[0-9a-f]{2}$/.test(p))
        .reduce((n, p) => n + fs.readdirSync(path.join(root, p)).filter((x) => !x.startsWith('.')).length, 0)
    : 0;

/** Spawns mlx, waits until `ready()` holds (or it exits), then SIGKILLs it; returns whether it was killed mid-work. */
async function killWhen(cwd: string, args: string[], ready: () => boolean): Promise<boolean> {
  const child = mlxSpawn(cwd, args);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let done = false;
  void exited.then(() => (done = true));
  while (!done && !ready()) await new Promise((r) => setTimeout(r, 5));
  const killedMidway = !done;
  child.kill('SIGKILL');
  await exited;
  return killedMidway;
}

function gitInit(dir: string) {
  execFileSync('git', ['init', '-q'], { cwd: dir });
}

describe('SIGKILL', () => {
  it('during add: only whole objects in the cache, no pointer; the next add completes', async () => {
    const dir = fresh('mlx-kill-add-');
    gitInit(dir);
    makeFolder(dir, 'data', 400, 64 * 1024);
    const cache = path.join(dir, '.mlx/objects');
    const killed = await killWhen(dir, ['data', 'add', 'data'], () => countObjects(cache) >= 20);
    expect(killed).toBe(true);
    const before = verifyObjects(cache);
    expect(before).toBeGreaterThanOrEqual(20);
    expect(fs.existsSync(path.join(dir, 'data.mlx.json'))).toBe(false);
    const { added } = mlxJson(dir, ['data', 'add', 'data']);
    expect(added[0]).toMatchObject({ files: 400, changed: true });
    expect(verifyObjects(cache)).toBe(401);
    expect(mlx(dir, ['data', 'status']).stdout).toBe('1 tracked path, all matching their pointers\n');
  });

  it('during push to a folder remote: only whole objects on the remote; the next push sends the rest', async () => {
    const dir = fresh('mlx-kill-push-');
    gitInit(dir);
    makeFolder(dir, 'data', 400, 64 * 1024);
    mlxJson(dir, ['data', 'add', 'data']);
    const remote = fresh('mlx-kill-remote-');
    mlx(dir, ['data', 'remote', 'add', 'nas', remote]);
    const killed = await killWhen(dir, ['data', 'push', '--jobs', '2'], () => countObjects(remote) >= 20);
    expect(killed).toBe(true);
    const arrived = verifyObjects(remote);
    expect(arrived).toBeLessThan(401);
    const resumed = mlxJson(dir, ['data', 'push']);
    expect(resumed.transferred).toBe(401 - arrived);
    expect(verifyObjects(remote)).toBe(401);
  });

  it('during checkout: the workspace holds the old or the new version, never a mix; the next checkout completes', async () => {
    const dir = fresh('mlx-kill-co-');
    gitInit(dir);
    makeFolder(dir, 'data', 600, 16 * 1024);
    mlxJson(dir, ['data', 'add', 'data']);
    const v1 = fs.readFileSync(path.join(dir, 'data.mlx.json'), 'utf8');
    fs.rmSync(path.join(dir, 'data'), { recursive: true });
    makeFolder(dir, 'data', 3, 10);
    mlxJson(dir, ['data', 'add', 'data']);
    fs.writeFileSync(path.join(dir, 'data.mlx.json'), v1);
    // --copy: slow enough to be caught midway.
    const killed = await killWhen(dir, ['data', 'checkout', '--copy'], () => fs.readdirSync(dir).some((n) => n.startsWith('.data.mlx-tmp-')));
    const files = fs.readdirSync(path.join(dir, 'data'));
    if (killed) expect([3, 600]).toContain(files.length);
    mlxJson(dir, ['data', 'checkout']);
    expect(fs.readdirSync(path.join(dir, 'data'))).toHaveLength(600);
    expect(fs.readdirSync(dir).filter((n) => n.includes('mlx-tmp'))).toEqual([]);
    expect(mlx(dir, ['data', 'status']).stdout).toBe('1 tracked path, all matching their pointers\n');
  });
});

describe('bad input while working', () => {
  it('refuses a file that keeps changing while it is hashed, writing no pointer', async () => {
    const dir = fresh('mlx-changing-');
    gitInit(dir);
    const file = path.join(dir, 'growing.bin');
    fs.writeFileSync(file, Buffer.alloc(32 * 1024 * 1024, 1));
    // Appends a byte every millisecond for as long as mlx runs.
    const writer = spawn(process.execPath, ['-e', `const fs=require('fs');setInterval(()=>fs.appendFileSync(${JSON.stringify(file)},'x'),1)`], {
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 50));
    try {
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = mlxSpawn(dir, ['data', 'add', 'growing.bin']);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d) => (stdout += d));
        child.stderr!.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
      expectError(r, 1, '"growing.bin" changed while it was being hashed (3 attempts)');
    } finally {
      writer.kill('SIGKILL');
    }
    expect(fs.existsSync(path.join(dir, 'growing.bin.mlx.json'))).toBe(false);
    expect(fs.readdirSync(path.join(dir, '.mlx/objects/tmp'))).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('a full disk during checkout leaves the workspace as it was (a 4 MB tmpfs; needs root to mount)', () => {
    const mount = fresh('mlx-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
    try {
      const dir = path.join(mount, 'p');
      fs.mkdirSync(dir);
      gitInit(dir);
      makeFolder(dir, 'data', 20, 100 * 1024);
      mlxJson(dir, ['data', 'add', 'data']);
      const v1 = fs.readFileSync(path.join(dir, 'data.mlx.json'), 'utf8');
      fs.rmSync(path.join(dir, 'data'), { recursive: true });
      makeFolder(dir, 'data', 2, 10);
      mlxJson(dir, ['data', 'add', 'data']);
      fs.writeFileSync(path.join(dir, 'data.mlx.json'), v1);
      // Fill the disk so that copies of 2 MB cannot fit.
      const free = Number(execFileSync('df', ['--output=avail', '-B1', mount], { encoding: 'utf8' }).split('\n')[1]);
      fs.writeFileSync(path.join(mount, 'filler'), Buffer.alloc(Math.max(0, free - 512 * 1024)));
      const r = mlx(dir, ['data', 'checkout', '--copy']);
      expectError(r, 1, 'checkout of "data" failed (ENOSPC: no space left on device); it was left as it was');
      expect(fs.readdirSync(path.join(dir, 'data')).sort()).toEqual(['f00000.bin', 'f00001.bin']);
      expect(fs.readdirSync(dir).filter((n) => n.includes('mlx-tmp'))).toEqual([]);
      fs.rmSync(path.join(mount, 'filler'));
      // Links need no room for the data.
      mlxJson(dir, ['data', 'checkout']);
      expect(fs.readdirSync(path.join(dir, 'data'))).toHaveLength(20);
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});
