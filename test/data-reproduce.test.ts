import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';

// `mlx run --input` records inputs as MLflow dataset inputs; `mlx runs reproduce` restores code (git worktree) and data.
let dir: string;
let out: string;
const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};
const lastRun = () => mlxJson(dir, ['runs', 'list']).runs[0];

beforeEach(() => {
  dir = tempProject('mlx-repro-');
  out = tempProject('mlx-repro-out-');
  fs.rmdirSync(out);
  git('init', '-q');
  // The script counts the rows of its input and the images, and says which version of itself ran.
  write('train.sh', 'echo "v1 rows=$(wc -l < data/train.csv) images=$(ls data/images | wc -l) lr=$1" > result.txt\n');
  write('data/train.csv', 'x\n1\n2\n');
  write('data/images/a.png', 'A');
  git('add', 'train.sh');
  git('commit', '-qm', 'v1');
});
afterEach(() => {
  try {
    git('worktree', 'prune');
  } catch {
    // gone already
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
});

describe('mlx run --input', () => {
  it('records each input as a dataset input with its digest and profile, cached before the command runs', () => {
    const r = mlx(dir, ['run', '--param', 'lr=0.1', '--input', 'data/train.csv', '-i', 'data/images', '--', 'sh', 'train.sh', '0.1']);
    expect(r.code).toBe(0);
    const run = lastRun();
    const show = mlxJson(dir, ['runs', 'show', run.run_id]);
    const byName = Object.fromEntries(show.inputs.map((i: any) => [i.name, i]));
    expect(Object.keys(byName).sort()).toEqual(['data/images', 'data/train.csv']);
    expect(byName['data/train.csv']).toMatchObject({ source_type: 'local', context: 'input', source: fs.realpathSync(path.join(dir, 'data/train.csv')) });
    expect(JSON.parse(byName['data/train.csv'].profile)).toEqual({ size: 6, files: 1, kind: 'file', mlx_path: 'data/train.csv', num_rows: 2, format: 'csv' });
    expect(JSON.parse(byName['data/train.csv'].schema)).toEqual({ columns: [{ name: 'x', type: 'integer' }] });
    expect(JSON.parse(byName['data/images'].profile)).toMatchObject({ kind: 'dir', files: 1 });
    const digest = byName['data/train.csv'].digest;
    expect(fs.existsSync(path.join(dir, '.mlx/objects', digest.slice(0, 2), digest.slice(2)))).toBe(true);
  });

  it('refuses a missing input before any run starts', () => {
    expectError(mlx(dir, ['run', '--input', 'data/nope.csv', '--', 'true']), 1, '--input input "data/nope.csv" does not exist');
    expect(mlxJson(dir, ['runs', 'list']).runs).toEqual([]);
  });
});

describe('mlx runs reproduce', () => {
  it('restores the commit and the inputs at their recorded digests, prints the command, and --execute runs it as a new tagged run', () => {
    mlx(dir, ['run', '--param', 'lr=0.1', '--input', 'data/train.csv', '--input', 'data/images', '--', 'sh', 'train.sh', '0.1']);
    const original = lastRun();
    expect(fs.readFileSync(path.join(dir, 'result.txt'), 'utf8')).toBe('v1 rows=3 images=1 lr=0.1\n');
    // Code and data move on.
    write('train.sh', 'echo v2 > result.txt\n');
    git('commit', '-qam', 'v2');
    write('data/train.csv', 'x\n9\n8\n7\n');
    write('data/images/b.png', 'B');
    const plan = mlxJson(dir, ['runs', 'reproduce', original.run_id, '--dir', out]);
    expect(plan).toMatchObject({ run_id: original.run_id, dir: out, command: ['sh', 'train.sh', '0.1'], params: { lr: '0.1' } });
    expect(plan.command_line).toBe(`mlx run --experiment 0 --param lr=0.1 --tag mlx.reproducedFrom=${original.run_id} -- sh train.sh 0.1`);
    expect(fs.readFileSync(path.join(out, 'train.sh'), 'utf8')).toContain('v1 rows');
    expect(fs.readFileSync(path.join(out, 'data/train.csv'), 'utf8')).toBe('x\n1\n2\n');
    expect(fs.readdirSync(path.join(out, 'data/images'))).toEqual(['a.png']);
    expectError(mlx(dir, ['runs', 'reproduce', original.run_id, '--dir', out]), 1, 'exists and is not empty');
    fs.rmSync(out, { recursive: true });
    git('worktree', 'prune');
    const executed = mlx(dir, ['runs', 'reproduce', original.run_id, '--dir', out, '--execute']);
    expect(executed.code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'result.txt'), 'utf8')).toBe('v1 rows=3 images=1 lr=0.1\n');
    const again = lastRun();
    expect(again.run_id).not.toBe(original.run_id);
    expect(again.tags['mlx.reproducedFrom']).toBe(original.run_id);
    expect(again.tags['mlflow.source.git.commit']).toBe(original.tags['mlflow.source.git.commit']);
    expect(again.params).toEqual({ lr: '0.1' });
  });

  it('names the missing object and the remote to pull from; refuses a run without a git commit', () => {
    mlx(dir, ['run', '--input', 'data/train.csv', '--', 'true']);
    const run = lastRun();
    const digest = mlxJson(dir, ['runs', 'show', run.run_id]).inputs[0].digest;
    fs.rmSync(path.join(dir, '.mlx/objects', digest.slice(0, 2), digest.slice(2)));
    mlx(dir, ['data', 'remote', 'add', 'team', '/srv/mlx-data']);
    expectError(mlx(dir, ['runs', 'reproduce', run.run_id, '--dir', out]), 1, `object ${digest}) is not in the cache`, 'mlx data pull --remote team');
    expect(fs.existsSync(out)).toBe(false);
    const nogit = tempProject('mlx-nogit-');
    mlx(nogit, ['run', '--', 'true']);
    const loose = mlxJson(nogit, ['runs', 'list']).runs[0];
    expectError(mlx(nogit, ['runs', 'reproduce', loose.run_id]), 1, 'recorded no git commit');
    fs.rmSync(nogit, { recursive: true, force: true });
  });
});
