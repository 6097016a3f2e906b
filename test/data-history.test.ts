import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';

// `mlx data ls / show / log / gc` against a real git history.
let dir: string;
const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};
const digestOf = (pointer: string) => JSON.parse(fs.readFileSync(path.join(dir, pointer), 'utf8')).digest.slice(7);
const has = (d: string) => fs.existsSync(path.join(dir, '.mlx/objects', d.slice(0, 2), d.slice(2)));

beforeEach(() => {
  dir = tempProject('mlx-data-hist-');
  git('init', '-q', '-b', 'main');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Three versions of data/train.csv, each committed; returns their digests, oldest first. */
function threeVersions(): string[] {
  const digests: string[] = [];
  for (const [i, rows] of ['1', '1\n2', '1\n2\n3'].entries()) {
    write('data/train.csv', `x\n${rows}\n`);
    mlxJson(dir, ['data', 'add', 'data/train.csv']);
    git('add', '-A');
    git('commit', '-qm', `train v${i + 1}`);
    digests.push(digestOf('data/train.csv.mlx.json'));
  }
  return digests;
}

describe('mlx data ls / show / log', () => {
  it('lists tracked data, shows a pointer with its files, and the digest in each commit', () => {
    const digests = threeVersions();
    write('data/images/a.png', 'A');
    write('data/images/b.png', 'BB');
    mlxJson(dir, ['data', 'add', 'data/images']);
    const { tracked } = mlxJson(dir, ['data', 'ls']);
    expect(tracked.map((t: any) => [t.path, t.kind, t.files, t.cached])).toEqual([
      ['data/images', 'dir', 2, true],
      ['data/train.csv', 'file', 1, true],
    ]);
    expect(tracked[1]).toMatchObject({ digest: digests[2], rows: 3, size: 8 });
    const shown = mlxJson(dir, ['data', 'show', 'data/images']);
    expect(shown).toMatchObject({ pointer: 'data/images.mlx.json', kind: 'dir', files: 2, cached: true });
    expect(shown.manifest.map((f: any) => [f.path, f.size])).toEqual([
      ['a.png', 1],
      ['b.png', 2],
    ]);
    const human = mlx(dir, ['data', 'show', 'data/train.csv.mlx.json']).stdout;
    expect(human).toContain(`digest:  sha256:${digests[2]}`);
    expect(human).toContain('rows:    3 (csv)');
    expect(human).toContain('columns: x:integer');
    const { versions } = mlxJson(dir, ['data', 'log', 'data/train.csv']);
    expect(versions.map((v: any) => [v.subject, v.digest])).toEqual([
      ['train v3', `sha256:${digests[2]}`],
      ['train v2', `sha256:${digests[1]}`],
      ['train v1', `sha256:${digests[0]}`],
    ]);
    expect(mlxJson(dir, ['data', 'log', 'data/train.csv', '--max', '1']).versions).toHaveLength(1);
    expectError(mlx(dir, ['data', 'log', 'data/train.csv', '--max', '0']), 2, '--max "0"');
    expectError(mlx(dir, ['data', 'show', 'nothing.csv']), 1, '"nothing.csv" is not tracked');
  });
});

describe('mlx data gc', () => {
  it('removes objects no workspace pointer references; --all-commits keeps those of any commit', () => {
    const digests = threeVersions();
    expect(digests.every(has)).toBe(true);
    const dry = mlxJson(dir, ['data', 'gc', '--all-commits', '--dry-run']);
    expect(dry).toMatchObject({ removed: 0, kept: 3, dryRun: true });
    expect(mlxJson(dir, ['data', 'gc', '--dry-run'])).toMatchObject({ removed: 2, kept: 1 });
    expect(digests.every(has)).toBe(true);
    expect(mlxJson(dir, ['data', 'gc'])).toMatchObject({ removed: 2, kept: 1, dryRun: false });
    expect(digests.map(has)).toEqual([false, false, true]);
    expect(mlx(dir, ['data', 'status']).stdout).toBe('1 tracked path, all matching their pointers\n');
  });

  it('keeps an object a run recorded as input unless --force; keeps folder files; refuses a broken pointer', () => {
    write('data/old.csv', 'x\n1\n');
    mlx(dir, ['run', '--input', 'data/old.csv', '--', 'true']);
    const used = mlxJson(dir, ['runs', 'show', mlxJson(dir, ['runs', 'list']).runs[0].run_id]).inputs[0].digest;
    write('data/images/a.png', 'A');
    mlxJson(dir, ['data', 'add', 'data/images']);
    const r = mlxJson(dir, ['data', 'gc']);
    expect(r).toMatchObject({ removed: 0, kept: 2, keptForRuns: 1 });
    expect(has(used)).toBe(true);
    expect(mlx(dir, ['data', 'gc']).stdout).toContain('1 recorded as run inputs (--force removes them)');
    expect(mlxJson(dir, ['data', 'gc', '--force'])).toMatchObject({ removed: 1, kept: 2 });
    expect(has(used)).toBe(false);
    fs.writeFileSync(path.join(dir, 'data/images.mlx.json'), 'not json');
    expectError(mlx(dir, ['data', 'gc']), 1, 'pointer file "data/images.mlx.json" is not valid');
    const objects = fs
      .readdirSync(path.join(dir, '.mlx/objects'))
      .filter((n) => n !== 'tmp')
      .flatMap((p) => fs.readdirSync(path.join(dir, '.mlx/objects', p)));
    expect(objects).toHaveLength(2);
  });
});
