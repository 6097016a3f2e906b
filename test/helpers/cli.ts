import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const MLX_BIN = path.join(ROOT, 'bin/mlx.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh temporary project folder; its store is <dir>/.mlx. */
export function tempProject(prefix = 'mlx-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Temporary projects made on demand and removed together (in afterAll). */
export function tempProjects(prefix: string): { project: () => string; removeAll: () => void } {
  const dirs: string[] = [];
  return {
    project: () => {
      const d = tempProject(prefix);
      dirs.push(d);
      return d;
    },
    removeAll: () => {
      for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Environment for a spawned mlx: no inherited run, no colors, a fixed user. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', MLX_USER: 'tester' };
  delete env.MLX_RUN_ID;
  delete env.MLX_TRACKING_URI;
  delete env.MLX_EXPERIMENT;
  // A token in the developer's shell would lock every spawned `mlx serve`.
  delete env.MLX_SERVE_TOKEN;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `mlx ARGS` synchronously in cwd as a real process. */
export function mlx(cwd: string, args: string[], opts: { env?: Record<string, string | undefined>; input?: string } = {}): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [MLX_BIN, ...args], {
    cwd,
    env: cleanEnv(opts.env),
    input: opts.input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `mlx ARGS` and parses its stdout as the one JSON document it must be. */
export function mlxJson<T = any>(cwd: string, args: string[], opts: { env?: Record<string, string | undefined> } = {}): T {
  const r = mlx(cwd, [...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`mlx ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Starts `mlx ARGS` without waiting, for signal and concurrency tests. */
export function mlxSpawn(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  return spawn(process.execPath, [MLX_BIN, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A spawned mlx awaited without blocking this process (for tests that serve it from here, or act while
 * it runs): `done` is listened for from the spawn, so an exit while the test awaits something else is kept.
 */
export function mlxAsync(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const proc = mlxSpawn(cwd, args, env);
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    proc.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { proc, done };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The house style of a refusal: exactly one `mlx: ` line on stderr naming what was wrong, the exit code, empty stdout. */
export function expectError(r: CliResult, code: number, ...mentions: (string | RegExp)[]): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(r.stdout, 'stdout must be empty').toBe('');
  expect(lines, `stderr must be exactly one line:\n${r.stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(/^mlx: /);
  for (const m of mentions) expect(lines[0]).toMatch(typeof m === 'string' ? new RegExp(escape(m)) : m);
  expect(r.code, `exit code (stderr: ${r.stderr})`).toBe(code);
  return lines[0];
}

/** Every file under dir, relative, sorted ([] when dir does not exist). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

export type ListedRun = { run_id: string; artifact_uri: string; experiment_id: string };

/** `mlx runs list --experiment NAME --json`'s runs. */
export const runsOf = (dir: string, env: Record<string, string>, experiment: string) =>
  mlxJson<{ runs: ListedRun[] }>(dir, ['runs', 'list', '--experiment', experiment], { env }).runs;
