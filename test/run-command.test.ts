// `mlx run -- CMD ARGS…` as users use it: environment, no shell, output capture, the ::mlx
// protocol, exit codes, nesting, git tags and signal forwarding.
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MLX_BIN, mlx, mlxJson, mlxSpawn, tempProject } from './helpers/cli.js';

const T = 60_000;
const NODE = process.execPath;

/** The only run of the store, as `runs show --json` prints it. */
function onlyRun(dir: string) {
  const { runs } = mlxJson(dir, ['runs', 'list', '--view', 'all']);
  expect(runs).toHaveLength(1);
  return mlxJson(dir, ['runs', 'show', runs[0].run_id]);
}

function history(dir: string, run: string, key: string): { value: number; step: number }[] {
  const db = new Database(path.join(dir, '.mlx', 'mlx.db'), { readonly: true });
  try {
    return db.prepare('SELECT value, step FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp').all(run, key) as {
      value: number;
      step: number;
    }[];
  } finally {
    db.close();
  }
}

/** Collects a spawned process's output and resolves when it exits. */
function watch(p: ChildProcess) {
  let out = '';
  let err = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on('close', (code, signal) => resolve({ code, signal })));
  const until = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) return resolve(m);
        setTimeout(check, 20);
      };
      exit.then(() => !re.test(out) && reject(new Error(`exited before printing ${re}:\n${out}\n${err}`)));
      check();
    });
  return { exit, until, out: () => out, err: () => err };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('mlx run', () => {
  it(
    'gives the child MLX_RUN_ID and MLX_TRACKING_URI and runs it without a shell',
    () => {
      const dir = tempProject('mlx-run-');
      const script = 'console.log(JSON.stringify({ id: process.env.MLX_RUN_ID, uri: process.env.MLX_TRACKING_URI, argv: process.argv.slice(1) }))';
      const r = mlx(dir, ['run', '--name', 'env-check', '--', NODE, '-e', script, '$HOME; echo x', '*', '`id`', '--flag']);
      expect(r.code, r.stderr).toBe(0);
      const printed = JSON.parse(r.stdout.trim());
      const run = onlyRun(dir);
      expect(printed.id).toBe(run.run_id);
      expect(fs.realpathSync(printed.uri)).toBe(fs.realpathSync(path.join(dir, '.mlx')));
      expect(printed.argv).toEqual(['$HOME; echo x', '*', '`id`', '--flag']);
      expect(run.run_name).toBe('env-check');
      expect(run.status).toBe('FINISHED');
      expect(run.end_time).toBeGreaterThanOrEqual(run.start_time);
      expect(JSON.parse(run.tags['mlx.command'])).toEqual([NODE, '-e', script, '$HOME; echo x', '*', '`id`', '--flag']);
      expect(run.tags['mlflow.user']).toBe('tester');
      expect(run.tags['mlx.host']).toBe(os.hostname());
      expect(run.tags['mlx.exit_code']).toBe('0');
    },
    T,
  );

  it(
    'streams stdout and stderr through and into the artifact logs/output.txt',
    () => {
      const dir = tempProject('mlx-run-');
      const script = 'console.log("to stdout 1"); console.error("to stderr 1"); console.log("to stdout 2")';
      const r = mlx(dir, ['run', '--', NODE, '-e', script]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('to stdout 1\nto stdout 2\n');
      expect(r.stderr).toContain('to stderr 1\n');
      expect(r.stderr).not.toContain('to stdout');
      const run = onlyRun(dir);
      expect(run.artifacts.map((a: { path: string }) => a.path)).toContain('logs/output.txt');
      const captured = fs.readFileSync(path.join(run.artifact_uri, 'logs', 'output.txt'), 'utf8');
      for (const line of ['to stdout 1', 'to stderr 1', 'to stdout 2']) expect(captured).toContain(`${line}\n`);
    },
    T,
  );

  it(
    'logs ::mlx metric / param / tag lines; malformed ones warn but do not fail the run',
    () => {
      const dir = tempProject('mlx-run-');
      const lines = [
        'epoch 1',
        '::mlx metric loss=0.5 step=1',
        '::mlx metric loss=0.25 step=2',
        '::mlx metric acc=NaN',
        '::mlx param lr=0.01',
        '::mlx param optimizer=adam w/ warmup',
        '::mlx tag phase=train',
        '::mlx metric broken=abc',
        '::mlx frobnicate x=1',
        '::mlx param noequals',
        'done',
      ];
      const r = mlx(dir, ['run', '--', NODE, '-e', `console.log(${JSON.stringify(lines.join('\n'))})`]);
      expect(r.code, r.stderr).toBe(0);
      // Protocol lines are recorded, not shown (as GitHub Actions treats its workflow commands);
      // the run's logs/output.txt keeps every line.
      expect(r.stdout).toBe('epoch 1\ndone\n');
      const warnings = r.stderr.split('\n').filter((l) => /^mlx: .*(broken|frobnicate|noequals)/.test(l));
      expect(warnings, r.stderr).toHaveLength(3);
      const run = onlyRun(dir);
      expect(run.status).toBe('FINISHED');
      expect(run.params).toEqual({ lr: '0.01', optimizer: 'adam w/ warmup' });
      expect(run.tags.phase).toBe('train');
      expect(run.metrics).toEqual({ loss: 0.25, acc: 'NaN' });
      expect(history(dir, run.run_id, 'loss')).toEqual([
        { value: 0.5, step: 1 },
        { value: 0.25, step: 2 },
      ]);
      const cmp = mlxJson(dir, ['compare', run.run_id]);
      expect(cmp.metrics.loss[run.run_id]).toBe(0.25);
      const logged = fs.readFileSync(path.join(run.artifact_uri, 'logs', 'output.txt'), 'utf8');
      expect(logged).toBe(`${lines.join('\n')}\n`);
    },
    T,
  );

  it(
    'a plain `mlx log metric` inside the child logs to the parent run',
    () => {
      const dir = tempProject('mlx-run-');
      const script = `
      const { spawnSync } = require('node:child_process');
      const r = spawnSync(process.execPath, [${JSON.stringify(MLX_BIN)}, 'log', 'metric', 'inner', '0.7', '--step', '2'], { stdio: 'inherit' });
      const p = spawnSync(process.execPath, [${JSON.stringify(MLX_BIN)}, 'log', 'param', 'seed', '42'], { stdio: 'inherit' });
      process.exit(r.status || p.status);`;
      const r = mlx(dir, ['run', '--', NODE, '-e', script]);
      expect(r.code, r.stderr).toBe(0);
      const run = onlyRun(dir);
      expect(run.metrics.inner).toBe(0.7);
      expect(run.params.seed).toBe('42');
      expect(history(dir, run.run_id, 'inner')).toEqual([{ value: 0.7, step: 2 }]);
    },
    T,
  );

  it(
    'propagates the exit code: 0 → FINISHED, 3 → FAILED with exit 3',
    () => {
      const dir = tempProject('mlx-run-');
      const ok = mlx(dir, ['run', '--name', 'ok', '--', NODE, '-e', 'process.exit(0)']);
      const bad = mlx(dir, ['run', '--name', 'bad', '--', NODE, '-e', 'process.exit(3)']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(bad.code, bad.stderr).toBe(3);
      const { runs } = mlxJson(dir, ['runs', 'list', '--order-by', 'attributes.run_name']);
      expect(runs.map((x: any) => [x.run_name, x.status, x.tags['mlx.exit_code']])).toEqual([
        ['bad', 'FAILED', '3'],
        ['ok', 'FINISHED', '0'],
      ]);
    },
    T,
  );

  it(
    'records the parent of a nested run (mlx run inside mlx run)',
    () => {
      const dir = tempProject('mlx-run-');
      const script = `
      const { spawnSync } = require('node:child_process');
      const r = spawnSync(process.execPath, [${JSON.stringify(MLX_BIN)}, 'run', '--name', 'child', '--', process.execPath, '-e', 'process.exit(0)'], { stdio: 'inherit' });
      process.exit(r.status);`;
      const r = mlx(dir, ['run', '--name', 'parent', '--', NODE, '-e', script]);
      expect(r.code, r.stderr).toBe(0);
      const { runs } = mlxJson(dir, ['runs', 'list']);
      const byName = Object.fromEntries(runs.map((x: any) => [x.run_name, x]));
      expect(Object.keys(byName).sort()).toEqual(['child', 'parent']);
      expect(byName.child.tags['mlflow.parentRunId']).toBe(byName.parent.run_id);
      expect(byName.parent.tags['mlflow.parentRunId']).toBeUndefined();
      expect(byName.child.status).toBe('FINISHED');
      expect(byName.parent.status).toBe('FINISHED');
    },
    T,
  );

  it(
    'records git commit and dirty state when run in a git repository',
    () => {
      const dir = tempProject('mlx-git-');
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
          cwd: dir,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }).trim();
      git('init', '-q');
      fs.writeFileSync(path.join(dir, 'train.py'), 'print(1)\n');
      git('add', 'train.py');
      git('commit', '-q', '-m', 'first');
      const head = git('rev-parse', 'HEAD');

      expect(mlx(dir, ['run', '--name', 'clean', '--', NODE, '-e', '0']).code).toBe(0);
      fs.writeFileSync(path.join(dir, 'train.py'), 'print(2)\n');
      expect(mlx(dir, ['run', '--name', 'dirty', '--', NODE, '-e', '0']).code).toBe(0);

      const { runs } = mlxJson(dir, ['runs', 'list']);
      const byName = Object.fromEntries(runs.map((x: any) => [x.run_name, x.tags]));
      expect(byName.clean['mlflow.source.git.commit']).toBe(head);
      expect(byName.clean['mlx.source.git.dirty']).toBe('false');
      expect(byName.dirty['mlflow.source.git.commit']).toBe(head);
      expect(byName.dirty['mlx.source.git.dirty']).toBe('true');
    },
    T,
  );

  it(
    'records no git tags outside a git repository',
    () => {
      const dir = tempProject('mlx-nogit-');
      expect(mlx(dir, ['run', '--', NODE, '-e', '0']).code).toBe(0);
      const tags = onlyRun(dir).tags;
      expect(tags['mlflow.source.git.commit']).toBeUndefined();
      expect(tags['mlx.source.git.dirty']).toBeUndefined();
    },
    T,
  );
});

describe('mlx run forwards signals', () => {
  const WAITER = `
    const handle = process.argv[1];
    if (handle) process.on(handle, () => { console.log('child got ' + handle); process.exit(7); });
    console.log('ready ' + process.pid);
    setInterval(() => {}, 1000);`;

  async function signalled(sig: NodeJS.Signals, handle: boolean) {
    const dir = tempProject('mlx-sig-');
    const p = mlxSpawn(dir, ['run', '--', NODE, '-e', WAITER, ...(handle ? [sig] : [])]);
    const w = watch(p);
    const childPid = Number((await w.until(/ready (\d+)/))[1]);
    expect(isAlive(childPid)).toBe(true);
    p.kill(sig);
    const ended = await w.exit;
    return { dir, childPid, ended, out: w.out(), err: w.err() };
  }

  for (const [sig, num] of [
    ['SIGTERM', 15],
    ['SIGINT', 2],
  ] as const) {
    it(
      `${sig}: the child is terminated, the run ends KILLED, mlx exits 128+${num}`,
      async () => {
        const { dir, childPid, ended, err } = await signalled(sig, false);
        expect(ended, err).toEqual({ code: 128 + num, signal: null });
        expect(isAlive(childPid)).toBe(false);
        const run = onlyRun(dir);
        expect(run.status).toBe('KILLED');
        expect(run.end_time).toBeTypeOf('number');
        expect(run.tags['mlx.exit_code']).toBe(String(128 + num));
      },
      T,
    );

    it(
      `${sig} handled by the child: mlx exits with the child's own code, run KILLED`,
      async () => {
        const { dir, childPid, ended, out, err } = await signalled(sig, true);
        expect(out).toContain(`child got ${sig}`);
        expect(ended, err).toEqual({ code: 7, signal: null });
        expect(isAlive(childPid)).toBe(false);
        const run = onlyRun(dir);
        expect(run.status).toBe('KILLED');
        expect(run.tags['mlx.exit_code']).toBe('7');
      },
      T,
    );
  }
});
