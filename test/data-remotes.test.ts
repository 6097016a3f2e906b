import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { killServer, startTrackingServer, stopServers } from './helpers/mlx-server.js';

// `mlx data push / pull` to a folder remote and to a real `mlx server` on 127.0.0.1.
let dirs: string[] = [];
const fresh = (prefix: string) => {
  const d = tempProject(prefix);
  dirs.push(d);
  return d;
};
const write = (dir: string, rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};
const objectsIn = (root: string) =>
  fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((p) => /^[0-9a-f]{2}$/.test(p) && fs.statSync(path.join(root, p)).isDirectory())
        .flatMap((p) =>
          fs
            .readdirSync(path.join(root, p))
            .filter((n) => !n.startsWith('.'))
            .map((n) => p + n),
        )
        .sort()
    : [];

/** A project with a folder of `n` files and a CSV tracked; returns its folder. */
function project(n = 5): string {
  const dir = fresh('mlx-data-remote-');
  execFileSync('git', ['init', '-q'], { cwd: dir });
  for (let i = 0; i < n; i++) write(dir, `data/images/img${i}.bin`, `image ${i} `.repeat(100 + i));
  write(dir, 'data/labels.csv', 'file,label\nimg0.bin,cat\n');
  mlxJson(dir, ['data', 'add', 'data/images', 'data/labels.csv']);
  return dir;
}

/** A clone: the pointers and the remote config, no data and no cache. */
function clone(from: string): string {
  const dir = fresh('mlx-data-clone-');
  execFileSync('git', ['init', '-q'], { cwd: dir });
  for (const f of ['data/images.mlx.json', 'data/labels.csv.mlx.json', '.mlx/config.json'])
    if (fs.existsSync(path.join(from, f))) write(dir, f, fs.readFileSync(path.join(from, f), 'utf8'));
  return dir;
}

beforeEach(() => {
  dirs = [];
});
afterEach(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
afterAll(stopServers);

describe('folder remote', () => {
  it('pushes only missing objects, pulls them verified into a clone and checks the data out', () => {
    const src = project();
    const remote = fresh('mlx-remote-');
    expect(mlx(src, ['data', 'remote', 'add', 'nas', remote]).code).toBe(0);
    const first = mlxJson(src, ['data', 'push']);
    expect(first).toMatchObject({ remote: 'nas', objects: 7, transferred: 7, skipped: 0 });
    expect(objectsIn(remote)).toEqual(objectsIn(path.join(src, '.mlx/objects')));
    expect(mlxJson(src, ['data', 'push'])).toMatchObject({ transferred: 0, skipped: 7 });
    const dst = clone(src);
    const pulled = mlxJson(dst, ['data', 'pull']);
    expect(pulled).toMatchObject({ transferred: 7 });
    expect(pulled.paths.map((p: any) => p.action)).toEqual(['restored', 'restored']);
    expect(fs.readFileSync(path.join(dst, 'data/images/img3.bin'), 'utf8')).toBe('image 3 '.repeat(103));
    expect(mlx(dst, ['data', 'status']).stdout).toBe('2 tracked paths, all matching their pointers\n');
    expect(mlxJson(dst, ['data', 'pull'])).toMatchObject({ transferred: 0 });
  });

  it('an interrupted push keeps what arrived whole and resumes with the rest', () => {
    const src = project(20);
    const remote = fresh('mlx-remote-');
    mlx(src, ['data', 'remote', 'add', 'nas', remote]);
    // A file where one prefix folder must go: every object under it fails, the others arrive.
    const digests = objectsIn(path.join(src, '.mlx/objects'));
    const blocked = digests[digests.length - 1].slice(0, 2);
    fs.writeFileSync(path.join(remote, blocked), 'in the way');
    const r = mlx(src, ['data', 'push', '--jobs', '1']);
    expectError(r, 1, /push to remote "nas" \(.*\) stopped after \d+ of \d+ objects: .*run it again to resume/);
    const arrived = objectsIn(remote);
    expect(arrived.length).toBeGreaterThan(0);
    expect(arrived.length).toBeLessThan(digests.length);
    // Every object that is there is whole.
    for (const d of arrived)
      expect(
        fs.readFileSync(path.join(remote, d.slice(0, 2), d.slice(2))).equals(fs.readFileSync(path.join(src, '.mlx/objects', d.slice(0, 2), d.slice(2)))),
      ).toBe(true);
    fs.rmSync(path.join(remote, blocked));
    const resumed = mlxJson(src, ['data', 'push']);
    expect(resumed.transferred).toBe(digests.length - arrived.length);
    expect(objectsIn(remote)).toEqual(digests);
  });

  it('refuses a corrupt object from the remote, naming it, and stores nothing of it', () => {
    const src = project(1);
    const remote = fresh('mlx-remote-');
    mlx(src, ['data', 'remote', 'add', 'nas', remote]);
    mlxJson(src, ['data', 'push']);
    const digest = JSON.parse(fs.readFileSync(path.join(src, 'data/labels.csv.mlx.json'), 'utf8')).digest.slice(7);
    const obj = path.join(remote, digest.slice(0, 2), digest.slice(2));
    fs.chmodSync(obj, 0o644);
    fs.writeFileSync(obj, 'tampered');
    const dst = clone(src);
    expectError(mlx(dst, ['data', 'pull', 'data/labels.csv']), 1, `object ${digest} from remote "nas"`, 'is corrupt');
    expect(objectsIn(path.join(dst, '.mlx/objects'))).not.toContain(digest);
    expect(fs.existsSync(path.join(dst, 'data/labels.csv'))).toBe(false);
  });

  it('names the missing object and the remote; refuses unknown remotes and bad flags', () => {
    const src = project(1);
    const remote = fresh('mlx-remote-');
    mlx(src, ['data', 'remote', 'add', 'nas', remote]);
    const dst = clone(src);
    const digest = JSON.parse(fs.readFileSync(path.join(src, 'data/labels.csv.mlx.json'), 'utf8')).digest.slice(7);
    expectError(mlx(dst, ['data', 'pull', 'data/labels.csv']), 1, `object ${digest} (data/labels.csv.mlx.json) is on neither the local cache nor remote "nas"`);
    expectError(mlx(dst, ['data', 'checkout']), 1, 'is not in the cache', 'mlx data pull');
    expectError(mlx(src, ['data', 'push', '--remote', 'nope']), 1, 'there is no remote "nope" (there are nas)');
    expectError(mlx(src, ['data', 'push', '--jobs', 'x']), 2, '--jobs "x"');
    expectError(mlx(src, ['data', 'remote', 'add', 'nas', '/elsewhere']), 1, 'remote "nas" exists');
    expectError(mlx(src, ['data', 'remote', 'add', 'bad name', '/x']), 1, 'remote name "bad name"');
    const none = fresh('mlx-none-');
    execFileSync('git', ['init', '-q'], { cwd: none });
    expectError(mlx(none, ['data', 'push']), 1, 'no data remote is configured', 'mlx data remote add NAME URL --default');
    expect(mlxJson(src, ['data', 'remote', 'list']).remotes).toEqual([{ name: 'nas', url: remote, default: true }]);
  });
});

describe('mlx server remote', () => {
  it('pushes and pulls through the artifact proxy with the server token; a second push moves nothing', async () => {
    const serverDir = fresh('mlx-data-server-');
    const server = await startTrackingServer(serverDir, ['--token', 'sekrit-token-1234']);
    const src = project(8);
    mlx(src, ['data', 'remote', 'add', 'team', server.base, '--default']);
    expectError(mlx(src, ['data', 'push']), 1, 'MLX_TRACKING_TOKEN');
    const env = { MLX_TRACKING_TOKEN: 'sekrit-token-1234' };
    expect(mlxJson(src, ['data', 'push'], { env })).toMatchObject({ remote: 'team', objects: 10, transferred: 10 });
    expect(mlxJson(src, ['data', 'push'], { env })).toMatchObject({ transferred: 0, skipped: 10 });
    const dst = clone(src);
    expect(mlxJson(dst, ['data', 'pull'], { env })).toMatchObject({ transferred: 10 });
    expect(fs.readFileSync(path.join(dst, 'data/images/img7.bin'), 'utf8')).toBe('image 7 '.repeat(107));
    // The server is gone: one line saying the push stopped, and a later push resumes.
    await killServer(server);
    write(src, 'data/images/new.bin', 'new');
    mlxJson(src, ['data', 'add', 'data/images']);
    expectError(mlx(src, ['data', 'push'], { env }), 1, 'push to remote "team"', 'run it again to resume');
  });
});
