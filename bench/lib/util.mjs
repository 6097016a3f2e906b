// Shared helpers for the benchmarks: paths, timing, statistics, temp stores.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MLX = path.join(ROOT, 'bin', 'mlx.js');
export const NODE = process.execPath;

/** A fresh temp folder under os.tmpdir(); remove it with rmTemp. */
export function makeTemp(prefix = 'mlx-bench-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmTemp(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Environment for a child that must use the given store and nothing from the caller's shell. */
export function storeEnv(storeDir, extra = {}) {
  const env = { ...process.env, MLX_TRACKING_URI: storeDir, NO_COLOR: '1', ...extra };
  delete env.MLX_RUN_ID;
  delete env.NODE_OPTIONS;
  return env;
}

/** Runs mlx synchronously (untimed helper); throws with stderr on failure, returns trimmed stdout. */
export function mlx(args, env, opts = {}) {
  const r = spawnSync(NODE, [MLX, ...args], { env, encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.status !== 0) throw new Error(`mlx ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Wall time of one child process in ms, from spawn to exit (process start included).
 * Async spawn so the parent's event loop is idle while waiting; stdout is collected.
 */
export function timeSpawn(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ ms, code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export function median(xs) {
  return quantile(xs, 0.5);
}

/** Linear-interpolated quantile (q in [0, 1]). */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Summary of a sample of times in ms. */
export function summary(xs) {
  return {
    n: xs.length,
    median_ms: round(median(xs)),
    p90_ms: round(quantile(xs, 0.9)),
    min_ms: round(Math.min(...xs)),
    max_ms: round(Math.max(...xs)),
  };
}

/** Deterministic PRNG (mlx's own mulberry32, from the build) so every run of a benchmark builds the same data. */
export { mulberry32 as rng } from '../../dist/core/random.js';

/** Facts about the machine, for the results. */
export function machine() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    mem_gb: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

/** Opens the store's database with better-sqlite3 (from the project's node_modules) and the store's pragmas. */
export async function openDb(storeDir) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(storeDir, 'mlx.db'));
  db.pragma('busy_timeout = 15000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

/** True when run as `node bench/x.mjs` rather than imported by run-all. */
export function isMain(metaUrl) {
  return process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);
}
