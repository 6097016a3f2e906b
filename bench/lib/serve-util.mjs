// Helpers for the serving benchmarks: free ports, servers as child processes (started, waited
// for, always killed), bounded autocannon runs, RSS sampling, CPU profiles.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { MLX, NODE, ROOT, median, round } from './util.mjs';

const children = new Set();

// Whatever happens to the benchmark (error, Ctrl-C), no server it started outlives it.
function killAll() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a server process and resolves once GET readyUrl answers 200 (or rejects with its
 * stderr if it exits or takes longer than timeoutMs). Returns { pid, proc, stderr(), stop() }.
 */
export async function startServer(name, cmd, args, { env, cwd = ROOT, readyUrl, timeoutMs = 60_000 } = {}) {
  const proc = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(proc);
  const err = [];
  proc.stderr.on('data', (d) => {
    err.push(d);
    if (err.length > 200) err.splice(0, 100);
  });
  let exited = null;
  const exit = new Promise((resolve) => proc.once('exit', (code, signal) => resolve((exited = { code, signal }))));
  const stderr = () => Buffer.concat(err).toString('utf8');
  const server = {
    name,
    pid: proc.pid,
    proc,
    stderr,
    /** SIGTERM, then SIGKILL if it has not exited within graceMs. */
    async stop(graceMs = 10_000) {
      if (!exited) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(t);
      }
      children.delete(proc);
      return exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name} exited (${exited.code ?? exited.signal}) before it was ready:\n${stderr()}`);
    try {
      const r = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${name} was not ready at ${readyUrl} within ${timeoutMs} ms:\n${stderr()}`);
    }
    await sleep(100);
  }
}

/** The mlx entry point the serving benchmarks start: bin/mlx.js, or BENCH_MLX_BIN (a candidate build elsewhere). */
export const MLX_BIN = process.env.BENCH_MLX_BIN ? path.resolve(process.env.BENCH_MLX_BIN) : MLX;

/**
 * `mlx serve MODEL --port P …` as a child process, ready when /ready says so. extraNodeArgs
 * (e.g. --cpu-prof) go before bin/mlx.js.
 */
export async function startMlx(model, args, { env, extraNodeArgs = [], name = 'mlx serve', bin = MLX_BIN } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer(name, NODE, [...extraNodeArgs, bin, 'serve', model, '--port', String(port), '--host', '127.0.0.1', ...args], {
    env,
    readyUrl: `${url}/ready`,
  });
  return { ...server, url, port };
}

/** The project's bare Hono app (bench/lib/bare-hono.mjs) answering `body` for POST path. */
export async function startBareHono(pathName, body, { env, rawNode = false } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const script = path.join(ROOT, 'bench', 'lib', 'bare-hono.mjs');
  const server = await startServer(rawNode ? 'bare node:http' : 'bare hono', NODE, [script, String(port), pathName], {
    env: { ...env, BARE_HONO_BODY: body, ...(rawNode ? { BARE_RAW_NODE: '1' } : {}) },
    readyUrl: `${url}/health`,
  });
  return { ...server, url, port };
}

let autocannonModule;
async function loadAutocannon() {
  autocannonModule ??= (await import('autocannon')).default;
  return autocannonModule;
}

/**
 * One autocannon run, bounded by `duration` seconds (and a per-request timeout). Returns
 * requests/s from completed responses over the measured wall time, latency percentiles in ms,
 * and the error counts.
 */
export async function load(opts) {
  const autocannon = await loadAutocannon();
  const r = await autocannon({ timeout: 10, ...opts });
  const ok = r.requests.total - r.non2xx;
  const status = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) status[code] = Number(v.count);
  return {
    duration_s: round(r.duration, 2),
    requests: r.requests.total,
    rps: round(r.requests.total / r.duration, 1),
    ok_rps: round(ok / r.duration, 1),
    latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: round(r.latency.average, 2) },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    mismatches: r.mismatches,
    status,
  };
}

/** A load run of JSON POSTs of one body to URL/invocations. */
export function loadInvocations(url, body, { connections, duration }) {
  return load({ url: `${url}/invocations`, connections, duration, method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

/** Resident set size of a process in kB, from /proc/PID/status (VmRSS). */
export function rssKb(pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/**
 * CPU time a process has used so far, all its threads, in ms (utime + stime from /proc/PID/stat,
 * at 100 ticks/s). Work per request from this holds up on a busy machine, where requests/s do not.
 */
export function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Median of a field over several load results, and the per-run values. */
export function medianOf(runs, pick) {
  const xs = runs.map(pick);
  return { median: round(median(xs), 1), runs: xs.map((x) => round(x, 1)) };
}

/** Parses Prometheus text into { name: [{ labels, value }] } (enough for histograms' _sum/_count). */
export function parseProm(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const kv of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
    (out[m[1]] ??= []).push({ labels, value: Number(m[4]) });
  }
  return out;
}

/** Sum of a metric's samples whose labels include `match`. */
export function promValue(prom, name, match = {}) {
  return (prom[name] ?? []).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

/** The newest .cpuprofile in dir, summarised by bench/lib/profile-summary.mjs (self time per file). */
export async function summariseProfile(dir, top = 15) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return null;
  const file = path.join(dir, files.sort().at(-1));
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(NODE, [path.join(ROOT, 'bench', 'lib', 'profile-summary.mjs'), file, String(top)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`profile-summary failed: ${r.stderr}`);
  return { file, ...JSON.parse(r.stdout) };
}

/** Logs progress on stderr (stdout is the JSON result). */
export function note(line) {
  process.stderr.write(`  ${line}\n`);
}

/** Medians of one side's runs: req/s, p50, p99, and the summed non-2xx and error counts. */
export function side(runs) {
  return {
    rps: medianOf(runs, (r) => r.rps),
    latency_p50_ms: medianOf(runs, (r) => r.latency_ms.p50),
    latency_p99_ms: medianOf(runs, (r) => r.latency_ms.p99),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

/** Starts one more `mlx serve` under --cpu-prof, loads it with `loadOnce(url)`, and summarises the profile. */
export async function profileServe(model, args, { env, dir, loadOnce }) {
  const profDir = path.join(dir, 'prof');
  const prof = await startMlx(model, args, { env, extraNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] });
  try {
    const r = await loadOnce(prof.url);
    await prof.stop();
    const profile = { rps_while_profiling: r.rps, ...(await summariseProfile(profDir)) };
    delete profile.file;
    return profile;
  } catch (err) {
    await prof.stop();
    throw err;
  }
}
