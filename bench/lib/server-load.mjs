// The tracking-server workloads shared by bench/server.mjs (SQLite, against the same calls
// in-process) and bench/server-postgres.mjs (SQLite vs PostgreSQL vs two PostgreSQL replicas):
// starting `mlx server`, request bodies whose steps only grow, bounded autocannon runs, timed
// sequential calls, and the check that every 2xx answer was stored.
import { load, note, startServer, freePort, MLX_BIN } from './serve-util.mjs';
import { fillSearchStore } from './server-data.mjs';
import { mlx, median, NODE, openDb, quantile, round, storeEnv } from './util.mjs';

export const T0 = 1_700_000_000_000;
export const API = '/api/2.0/mlflow';

/** `mlx server --backend-store-uri STORE` on a free port (extraArgs after it, e.g. --artifacts-destination). */
export async function startTracking(store, { env, extraNodeArgs = [], extraArgs = [], name = 'mlx server' } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const s = await startServer(name, NODE, [...extraNodeArgs, MLX_BIN, 'server', '--port', String(port), '--backend-store-uri', store, ...extraArgs], {
    env,
    readyUrl: `${url}/health`,
  });
  return { ...s, url };
}

export async function api(url, endpoint, body) {
  const r = await fetch(`${url}${API}/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await r.json();
  if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Times up to `n` awaited calls of fn(i), `concurrency` at a time, stopping early after maxMs;
 * returns per-call µs (wall time / calls, so per-call latency only at concurrency 1) and calls/s.
 */
export async function timeLoop(n, fn, { concurrency = 1, maxMs = Infinity } = {}) {
  const t = process.hrtime.bigint();
  const end = maxMs === Infinity ? Infinity : Date.now() + maxMs;
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < n && Date.now() < end) await fn(i++);
    }),
  );
  const us = Number(process.hrtime.bigint() - t) / 1e3;
  return { n: i, us_per_op: round(us / i, 1), ops_per_s: round(i / (us / 1e6), 0) };
}

/** The median of pick over a side's rounds, with the per-round values. */
export const sideOf = (runs, pick) => ({ median: round(median(runs.map(pick)), 2), runs: runs.map((r) => round(pick(r), 2)) });

/** Bodies with steps that only grow, as a training loop logs them (fixed bodies would pile rows on one step). */
export function stepper(runId, key, perRequest) {
  let next = 0;
  return () => {
    const first = next;
    next += perRequest;
    if (perRequest === 1) return JSON.stringify({ run_id: runId, key, value: 0.5, timestamp: T0 + first, step: first });
    return JSON.stringify({
      run_id: runId,
      metrics: Array.from({ length: perRequest }, (_, i) => ({ key, value: i / perRequest, timestamp: T0 + first + i, step: first + i })),
    });
  };
}

/** The 1,000 log-batch entries of an in-process `logBatch` call, steps from `first`. */
export const batchEntries = (key, first, n = 1000) =>
  Array.from({ length: n }, (_, i) => ({ type: 'metric', key, value: i / n, timestamp: T0 + first + i, step: first + i }));

/**
 * autocannon POSTs whose body comes from `body()` for every request. `url` may be a list: the
 * connections are then dealt round-robin over the servers (connection i → url[i % n]).
 */
export function postEach(url, endpoint, body, connections, duration) {
  return load({
    url,
    connections,
    duration,
    requests: [
      { method: 'POST', path: `${API}/${endpoint}`, headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: body() }) },
    ],
  });
}

/** The same POST body for every request, at `connections` for `duration` s (url may be a list, as in postEach). */
export function postSame(url, endpoint, body, connections, duration) {
  return load({
    url,
    connections,
    duration,
    requests: [{ method: 'POST', path: `${API}/${endpoint}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }],
  });
}

/** n sequential calls, each timed; p50/p99 in ms. */
export async function latencies(n, fn) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { n, p50: round(quantile(times, 0.5), 2), p99: round(quantile(times, 0.99), 2) };
}

/**
 * Every 2xx answer was stored: `stored(key)` counts the rows of a key after the runs. A few more
 * rows may land (requests in flight when a timed run stops: at most `connections` per run for
 * log-metric, whole batches of `batchSize` for log-batch). Without batchKey only log-metric is checked.
 */
export async function storedCheck(stored, { metricKey, metricRuns, connections, batchKey, batchRuns, batchSize = 1000 }) {
  const ok = (runs) => runs.reduce((n, x) => n + x.requests - x.non2xx, 0);
  const okMetric = ok(metricRuns);
  const c = { [metricKey]: await stored(metricKey), [`${metricKey}_2xx`]: okMetric };
  const extraMetric = c[metricKey] - okMetric;
  c.pass = extraMetric >= 0 && extraMetric <= connections * metricRuns.length;
  if (batchKey) {
    const okBatch = ok(batchRuns);
    Object.assign(c, { [batchKey]: await stored(batchKey), [`${batchKey}_2xx_points`]: okBatch * batchSize });
    const extraBatch = c[batchKey] - okBatch * batchSize;
    c.pass &&= extraBatch >= 0 && extraBatch % batchSize === 0;
  }
  return c;
}

/** The 10,000-run search store (bench/lib/server-data.mjs) in a new SQLite store folder: its experiment id, row counts and fill time. */
export async function sqliteSearchStore(storeDir, runs) {
  mlx(['experiments', 'create', 'bench'], storeEnv(storeDir));
  const experimentId = JSON.parse(mlx(['experiments', 'list', '--json'], storeEnv(storeDir))).experiments.find((e) => e.name === 'bench').experiment_id;
  const db = await openDb(storeDir);
  const t = process.hrtime.bigint();
  const counts = fillSearchStore(db, Number(experimentId), runs);
  const fillMs = Number(process.hrtime.bigint() - t) / 1e6;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  note(`server: search store filled (${runs} runs) in ${round(fillMs, 0)} ms`);
  return { experimentId, counts, fillMs };
}
