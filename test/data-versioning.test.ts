import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';

// `mlx data add / status / checkout` against real files and a real git repository (Debian's git).
let dir: string;
const git = (...args: string[]) =>
  execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' },
  });
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};
const read = (rel: string) => fs.readFileSync(path.join(dir, rel), 'utf8');
const objects = () => fs.readdirSync(path.join(dir, '.mlx/objects')).filter((n) => n !== 'tmp');

beforeEach(() => {
  dir = tempProject('mlx-data-');
  git('init', '-q', '-b', 'main');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('mlx data add', () => {
  it('stores a CSV and a folder, writes committed pointers and .gitignore; re-adding is a no-op', () => {
    write('data/raw.csv', 'x,label\n1.5,cat\n2,dog\n');
    write('data/images/a.png', 'A');
    write('data/images/sub/b.png', 'BB');
    const { added } = mlxJson(dir, ['data', 'add', 'data/raw.csv', 'data/images']);
    expect(added.map((a: any) => [a.path, a.kind, a.size, a.files, a.changed])).toEqual([
      ['data/raw.csv', 'file', 22, 1, true],
      ['data/images', 'dir', 3, 2, true],
    ]);
    const pointer = JSON.parse(read('data/raw.csv.mlx.json'));
    expect(pointer).toMatchObject({ version: 1, path: 'raw.csv', kind: 'file', size: 22, files: 1, format: 'csv', rows: 2 });
    expect(pointer.columns).toEqual([
      { name: 'x', type: 'double' },
      { name: 'label', type: 'string' },
    ]);
    expect(pointer.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(read('data/.gitignore')).toBe('/raw.csv\n/images\n');
    // git sees the pointers and not the data.
    git('add', '-A');
    expect(git('ls-files').trim().split('\n').sort()).toEqual(['.mlx/.gitignore', 'data/.gitignore', 'data/images.mlx.json', 'data/raw.csv.mlx.json']);
    const before = objects();
    const again = mlxJson(dir, ['data', 'add', 'data/raw.csv', 'data/images']).added;
    expect(again.map((a: any) => a.changed)).toEqual([false, false]);
    expect(objects()).toEqual(before);
    expect(read('data/.gitignore')).toBe('/raw.csv\n/images\n');
    const human = mlx(dir, ['data', 'add', 'data/raw.csv']);
    expect(human.stdout).toBe('unchanged data/raw.csv (22 B, 2 rows) → data/raw.csv.mlx.json\n');
  });

  it('refuses bad paths in one line, writing nothing', () => {
    write('data/images/a.png', 'A');
    write('data/raw.csv', 'x\n1\n');
    const outside = tempProject('mlx-outside-');
    fs.writeFileSync(path.join(outside, 'f.csv'), 'x\n');
    expectError(mlx(dir, ['data', 'add', path.join(outside, 'f.csv')]), 1, 'is outside the project');
    expectError(mlx(dir, ['data', 'add', 'nope.csv']), 1, 'path "nope.csv" does not exist');
    expectError(mlx(dir, ['data', 'add', 'data/raw.csv', 'data/raw.csv']), 1, 'is given twice');
    expectError(mlx(dir, ['data', 'add', '.git']), 1, 'inside .git/');
    expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
    // Tracked by a parent folder's pointer; a folder holding tracked data.
    mlxJson(dir, ['data', 'add', 'data/images']);
    expectError(mlx(dir, ['data', 'add', 'data/images/a.png']), 1, 'already tracked by "data/images.mlx.json"');
    mlxJson(dir, ['data', 'add', 'data/raw.csv']);
    expectError(mlx(dir, ['data', 'add', 'data']), 1, 'holds tracked data');
    expectError(mlx(dir, ['data', 'add', 'data/raw.csv.mlx.json']), 1, 'is a pointer file');
    // A symbolic link loop inside a folder.
    write('loopy/x.txt', 'x');
    fs.symlinkSync(path.join(dir, 'loopy'), path.join(dir, 'loopy/again'));
    expectError(mlx(dir, ['data', 'add', 'loopy']), 1, 'symbolic link "again" is a loop');
    expect(fs.existsSync(path.join(dir, 'loopy.mlx.json'))).toBe(false);
    fs.rmSync(outside, { recursive: true });
  });
});

describe('mlx data status', () => {
  it('reports files added, modified and deleted in a folder, a modified file and deleted data', () => {
    write('data/images/a.png', 'A');
    write('data/images/b.png', 'B');
    write('data/raw.csv', 'x\n1\n');
    mlxJson(dir, ['data', 'add', 'data/images', 'data/raw.csv']);
    expect(mlx(dir, ['data', 'status']).stdout).toBe('2 tracked paths, all matching their pointers\n');
    write('data/images/a.png', 'A2');
    write('data/images/c.png', 'C');
    fs.rmSync(path.join(dir, 'data/images/b.png'));
    const { paths } = mlxJson(dir, ['data', 'status']);
    expect(paths).toEqual([
      {
        pointer: 'data/images.mlx.json',
        path: 'data/images',
        kind: 'dir',
        state: 'modified',
        cached: true,
        changes: { added: ['c.png'], modified: ['a.png'], deleted: ['b.png'] },
      },
      { pointer: 'data/raw.csv.mlx.json', path: 'data/raw.csv', kind: 'file', state: 'unchanged', cached: true },
    ]);
    fs.rmSync(path.join(dir, 'data/raw.csv'));
    expect(mlxJson(dir, ['data', 'status', 'data/raw.csv']).paths[0].state).toBe('deleted');
    expectError(mlx(dir, ['data', 'status', 'other.csv']), 1, '"other.csv" is not tracked');
  });

  it('refuses a pointer edited into invalid JSON, naming the file', () => {
    write('d.csv', 'x\n1\n');
    mlxJson(dir, ['data', 'add', 'd.csv']);
    fs.writeFileSync(path.join(dir, 'd.csv.mlx.json'), '{"path": "d.csv", "digest": ');
    expectError(mlx(dir, ['data', 'status']), 1, 'pointer file "d.csv.mlx.json" is not valid: not JSON');
    expectError(mlx(dir, ['data', 'checkout']), 1, 'pointer file "d.csv.mlx.json" is not valid');
    fs.writeFileSync(path.join(dir, 'd.csv.mlx.json'), JSON.stringify({ path: '../x', kind: 'file', digest: 'ab', size: 1, files: 1 }));
    expectError(mlx(dir, ['data', 'status']), 1, '"path" must be the name of a file or folder beside the pointer');
  });

  it('does not re-hash unchanged files: status reads the stat cache', () => {
    write('data/big.bin', 'x'.repeat(100_000));
    mlxJson(dir, ['data', 'add', 'data/big.bin']);
    // Corrupt the bytes in place but keep size and mtime: only a re-hash would notice, and status must not re-hash.
    const file = path.join(dir, 'data/big.bin');
    execFileSync('touch', ['-r', file, path.join(dir, 'stamp')]);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, 'y', 0);
    fs.closeSync(fd);
    // touch -r copies the nanoseconds too.
    execFileSync('touch', ['-r', path.join(dir, 'stamp'), file]);
    expect(mlxJson(dir, ['data', 'status']).paths[0].state).toBe('unchanged');
    // Touching it (a new mtime) makes status hash it and see the change.
    fs.utimesSync(file, new Date(), new Date());
    expect(mlxJson(dir, ['data', 'status']).paths[0].state).toBe('modified');
  });
});

describe('mlx data checkout', () => {
  it('restores the data of an older git commit from the cache, by links, and back', () => {
    write('data/raw.csv', 'x\n1\n');
    write('data/images/a.png', 'A');
    mlxJson(dir, ['data', 'add', 'data/raw.csv', 'data/images']);
    git('add', '-A');
    git('commit', '-qm', 'v1');
    write('data/raw.csv', 'x\n1\n2\n');
    write('data/images/b.png', 'B');
    mlxJson(dir, ['data', 'add', 'data/raw.csv', 'data/images']);
    git('add', '-A');
    git('commit', '-qm', 'v2');
    git('checkout', '-q', 'HEAD~1');
    expect(mlxJson(dir, ['data', 'status']).paths.map((p: any) => p.state)).toEqual(['modified', 'modified']);
    const { paths } = mlxJson(dir, ['data', 'checkout']);
    expect(paths.map((p: any) => [p.path, p.action])).toEqual([
      ['data/images', 'restored'],
      ['data/raw.csv', 'restored'],
    ]);
    expect(read('data/raw.csv')).toBe('x\n1\n');
    expect(fs.readdirSync(path.join(dir, 'data/images'))).toEqual(['a.png']);
    // Linked from the cache (read-only), unless --copy.
    const st = fs.statSync(path.join(dir, 'data/raw.csv'));
    expect(st.nlink).toBe(2);
    expect(st.mode & 0o222).toBe(0);
    expect(mlx(dir, ['data', 'status']).stdout).toBe('2 tracked paths, all matching their pointers\n');
    git('checkout', '-q', 'main');
    mlxJson(dir, ['data', 'checkout', '--copy']);
    expect(read('data/raw.csv')).toBe('x\n1\n2\n');
    expect(fs.statSync(path.join(dir, 'data/raw.csv')).nlink).toBe(1);
    expect(fs.readdirSync(path.join(dir, 'data/images')).sort()).toEqual(['a.png', 'b.png']);
    expect(mlx(dir, ['data', 'checkout']).stdout).toBe('2 tracked paths, all matching their pointers\n');
  });

  it('refuses to overwrite changes never added, naming the files; --force discards them', () => {
    write('data/images/a.png', 'A');
    write('data/images/b.png', 'B');
    mlxJson(dir, ['data', 'add', 'data/images']);
    write('data/images/a.png', 'edited');
    write('data/images/new.png', 'N');
    expectError(mlx(dir, ['data', 'checkout']), 1, 'checkout would overwrite changes that were never added: data/images/a.png, data/images/new.png', '--force');
    expect(read('data/images/a.png')).toBe('edited');
    mlxJson(dir, ['data', 'checkout', '--force']);
    expect(read('data/images/a.png')).toBe('A');
    expect(fs.readdirSync(path.join(dir, 'data/images')).sort()).toEqual(['a.png', 'b.png']);
  });

  it('names the missing object and leaves the workspace as it was', () => {
    write('data/raw.csv', 'x\n1\n');
    mlxJson(dir, ['data', 'add', 'data/raw.csv']);
    const digest = JSON.parse(read('data/raw.csv.mlx.json')).digest.slice(7);
    fs.rmSync(path.join(dir, '.mlx/objects', digest.slice(0, 2), digest.slice(2)));
    fs.rmSync(path.join(dir, 'data/raw.csv'));
    expectError(mlx(dir, ['data', 'checkout']), 1, `object ${digest} of "data/raw.csv.mlx.json" is not in the cache`, 'mlx data pull');
    expect(fs.readdirSync(path.join(dir, 'data'))).toEqual(['.gitignore', 'raw.csv.mlx.json']);
  });
});
