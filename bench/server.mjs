// Tracking server (`mlx server`, MLflow REST API 2.0) on 127.0.0.1:
//   - runs/log-metric, autocannon at 32 connections: req/s, p50/p99 (goal ≥ 5,000 req/s);
//   - runs/log-batch with 1,000 metrics per request, 8 connections: points/s;
//   - runs/search over 10,000 runs (filter + order_by, max_results 100): p50/p99 of sequential requests;
//   - GET /health at 32 connections on the same server: the HTTP stack's own ceiling.
// Beside each, in the same run and alternating with it round by round, the same store call
// in-process (SqliteStore from dist/, no HTTP), so the server's share of the time can be stated.
// Steps only grow, as a training loop logs them. Afterwards the stored points are counted in
// SQLite and must match the 2xx answers; the search answer is checked against SQL.
// MLflow is not run here: its users report about 90 ms per logged metric (mlflow/mlflow issue
// 5269), quoted as context only. With BENCH_PROFILE=1 (or when log-metric misses its goal) a
// further server run is profiled (node --cpu-prof), by file and by function.
// BENCH_SERVER_SECONDS, BENCH_SERVER_ROUNDS and BENCH_SERVER_RUNS shorten it.
import fs from 'node:fs';
import path from 'node:path';
import { load, note, summariseProfile } from './lib/serve-util.mjs';
import { SEARCH, topFunctions, verifySearch } from './lib/server-data.mjs';
import {
  api,
  batchEntries,
  latencies,
  postEach as postFor,
  postSame,
  sideOf,
  sqliteSearchStore,
  startTracking,
  stepper,
  storedCheck,
  T0,
  API,
  timeLoop,
} from './lib/server-load.mjs';
import { isMain, makeTemp, median, openDb, rmTemp, round, storeEnv } from './lib/util.mjs';

const SECONDS = Number(process.env.BENCH_SERVER_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_SERVER_ROUNDS ?? 3);
const RUNS = Number(process.env.BENCH_SERVER_RUNS ?? 10_000);
const GOAL_RPS = 5000;
const postEach = (url, endpoint, body, connections, duration = SECONDS) => postFor(url, endpoint, body, connections, duration);

export async function benchServer() {
  const dir = makeTemp('mlx-bench-server-');
  const servers = [];
  const { SqliteStore } = await import('../dist/store/sqlite/sqlite-store.js');
  try {
    // Stores: the write server's, the in-process one, and the 10,000-run search store (shared by both sides, read only).
    const writeStore = path.join(dir, 'write', '.mlx');
    const searchStore = path.join(dir, 'search', '.mlx');
    const env = storeEnv(writeStore);
    const { experimentId: searchExp, counts, fillMs } = await sqliteSearchStore(searchStore, RUNS);

    const local = new SqliteStore(path.join(dir, 'local', '.mlx'), { create: true });
    const localRun = (await local.createRun({ experimentId: await local.createExperiment('bench'), userId: 'bench' })).run_id;
    const searchLocal = new SqliteStore(searchStore, { create: false });

    const srv = await startTracking(writeStore, { env });
    servers.push(srv);
    const searchSrv = await startTracking(searchStore, { env: storeEnv(searchStore) });
    servers.push(searchSrv);
    const exp = (await api(srv.url, 'experiments/create', { name: 'bench' })).experiment_id;
    const runId = (await api(srv.url, 'runs/create', { experiment_id: exp })).run.info.run_id;
    const metricBody = stepper(runId, 'loss', 1);
    const batchBody = stepper(runId, 'batched', 1000);
    const searchRequest = { experiment_ids: [String(searchExp)], filter: SEARCH.filter, order_by: [SEARCH.orderBy], max_results: SEARCH.max };
    const searchInput = { experimentIds: [String(searchExp)], filter: SEARCH.filter, orderBy: [SEARCH.orderBy], maxResults: SEARCH.max };
    const firstAnswer = await api(searchSrv.url, 'runs/search', searchRequest);

    note('server: warm-up (other keys, so the stored counts can be checked exactly)');
    await load({ url: `${srv.url}/health`, connections: 32, duration: 2 });
    await postEach(srv.url, 'runs/log-metric', stepper(runId, 'warm', 1), 32, 2);
    await postEach(srv.url, 'runs/log-batch', stepper(runId, 'warm_batch', 1000), 8, 2);
    await latencies(30, () => api(searchSrv.url, 'runs/search', searchRequest));
    await latencies(30, () => searchLocal.searchRuns(searchInput));
    let localStep = 0;

    const sides = { health: [], metric: [], batch: [], search: [], localMetric: [], localBatch: [], localSearch: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const h = await load({ url: `${srv.url}/health`, connections: 32, duration: SECONDS });
      note(`round ${r + 1} GET /health: ${h.rps} req/s, p50 ${h.latency_ms.p50} ms, p99 ${h.latency_ms.p99} ms`);
      sides.health.push(h);
      const m = await postEach(srv.url, 'runs/log-metric', metricBody, 32);
      note(`round ${r + 1} log-metric: ${m.rps} req/s, p50 ${m.latency_ms.p50} ms, p99 ${m.latency_ms.p99} ms, non2xx ${m.non2xx}, errors ${m.errors}`);
      sides.metric.push(m);
      sides.localMetric.push(
        await timeLoop(20_000, () => local.logMetric(localRun, { key: 'loss', value: 0.5, timestamp: T0 + localStep, step: localStep++ })),
      );
      const b = await postEach(srv.url, 'runs/log-batch', batchBody, 8);
      note(`round ${r + 1} log-batch: ${b.rps} req/s = ${round(b.ok_rps * 1000, 0)} points/s, p50 ${b.latency_ms.p50} ms, p99 ${b.latency_ms.p99} ms`);
      sides.batch.push(b);
      sides.localBatch.push(
        await timeLoop(100, () => {
          const first = localStep;
          localStep += 1000;
          return local.logBatch(localRun, batchEntries('batched', first));
        }),
      );
      const s = await latencies(200, () => api(searchSrv.url, 'runs/search', searchRequest));
      const ls = await latencies(200, () => searchLocal.searchRuns(searchInput));
      note(`round ${r + 1} search: server p50 ${s.p50} ms p99 ${s.p99} ms; in-process p50 ${ls.p50} ms p99 ${ls.p99} ms`);
      sides.search.push(s);
      sides.localSearch.push(ls);
    }
    const searchLoad = await postSame(searchSrv.url, 'runs/search', searchRequest, 8, SECONDS);
    for (const s of servers.splice(0)) await s.stop();
    await local.close();
    await searchLocal.close();

    // Correctness: every 2xx was stored (a few more may land when a run stops mid-flight), search answers like SQL.
    const wdb = await openDb(writeStore);
    const stored = await storedCheck((key) => wdb.prepare('SELECT count(*) FROM metrics WHERE key = ?').pluck().get(key), {
      metricKey: 'loss',
      metricRuns: sides.metric,
      connections: 32,
      batchKey: 'batched',
      batchRuns: sides.batch,
    });
    wdb.close();
    const sdb = await openDb(searchStore);
    const searchCheck = verifySearch(sdb, searchExp, firstAnswer.runs);
    sdb.close();

    const med = (xs, pick) => median(xs.map(pick));
    const rps = med(sides.metric, (x) => x.rps);
    const perReqUs = 1e6 / rps;
    const result = {
      load: `autocannon (in the benchmark process, sharing the CPUs) on 127.0.0.1, ${SECONDS} s per run, ${ROUNDS} rounds; each round runs the server side, then the same store call in-process`,
      health_ceiling: {
        what: 'GET /health on the same server, 32 connections: the HTTP stack alone',
        rps: sideOf(sides.health, (x) => x.rps),
        latency_p99_ms: sideOf(sides.health, (x) => x.latency_ms.p99),
      },
      log_metric: {
        request: `POST ${API}/runs/log-metric, ~${metricBody().length} bytes, a new step each request`,
        connections: 32,
        rps: sideOf(sides.metric, (x) => x.rps),
        latency_p50_ms: sideOf(sides.metric, (x) => x.latency_ms.p50),
        latency_p99_ms: sideOf(sides.metric, (x) => x.latency_ms.p99),
        non2xx: sides.metric.reduce((n, x) => n + x.non2xx, 0),
        errors: sides.metric.reduce((n, x) => n + x.errors + x.timeouts, 0),
        goal_rps: GOAL_RPS,
        pass: rps >= GOAL_RPS,
      },
      log_batch: {
        request: `POST ${API}/runs/log-batch with 1,000 metrics (~${batchBody().length} bytes), new steps each request`,
        connections: 8,
        points_per_s: sideOf(sides.batch, (x) => x.ok_rps * 1000),
        requests_per_s: sideOf(sides.batch, (x) => x.rps),
        latency_p50_ms: sideOf(sides.batch, (x) => x.latency_ms.p50),
        latency_p99_ms: sideOf(sides.batch, (x) => x.latency_ms.p99),
        non2xx: sides.batch.reduce((n, x) => n + x.non2xx, 0),
      },
      search: {
        store: counts,
        store_fill_ms: round(fillMs, 0),
        request: `POST ${API}/runs/search ${JSON.stringify(searchRequest)}`,
        sequential: '200 requests one after another per round (fetch, keep-alive), timed in the benchmark process',
        latency_p50_ms: sideOf(sides.search, (x) => x.p50),
        latency_p99_ms: sideOf(sides.search, (x) => x.p99),
        at_8_connections: { rps: searchLoad.rps, p50_ms: searchLoad.latency_ms.p50, p99_ms: searchLoad.latency_ms.p99, non2xx: searchLoad.non2xx },
        verification: searchCheck,
      },
      in_process: {
        what: 'SqliteStore from dist/ in the benchmark process: the calls the routes make, without HTTP or JSON',
        log_metric_us: sideOf(sides.localMetric, (x) => x.us_per_op),
        log_metric_ops_per_s: sideOf(sides.localMetric, (x) => x.ops_per_s),
        log_batch_points_per_s: sideOf(sides.localBatch, (x) => x.ops_per_s * 1000),
        search_p50_ms: sideOf(sides.localSearch, (x) => x.p50),
        search_p99_ms: sideOf(sides.localSearch, (x) => x.p99),
      },
      server_share: {
        what: 'fraction of the server time per request spent outside the store call (HTTP, routing, JSON, validation, response)',
        log_metric_us_per_request: round(perReqUs, 1),
        log_metric: round(1 - med(sides.localMetric, (x) => x.us_per_op) / perReqUs, 3),
        log_batch: round(1 - med(sides.batch, (x) => x.ok_rps * 1000) / med(sides.localBatch, (x) => x.ops_per_s * 1000), 3),
        search_p50: round(1 - med(sides.localSearch, (x) => x.p50) / med(sides.search, (x) => x.p50), 3),
      },
      stored,
      mlflow_context:
        'MLflow users report about 90 ms per logged metric (mlflow/mlflow issue 5269), about 11 sequential log-metric calls per second per client; not measured here (no MLflow on this machine)',
    };
    const profileAll = process.env.BENCH_PROFILE === '1';
    if (profileAll || !result.log_metric.pass) result.profile_log_metric = await profile(dir, env, 'runs/log-metric', 32, 1);
    if (profileAll) result.profile_log_batch = await profile(dir, env, 'runs/log-batch', 8, 1000);
    return result;
  } finally {
    for (const s of servers) await s.stop();
    rmTemp(dir);
  }
}

/** One more server under node --cpu-prof, loaded for SECONDS; self time by file and by function. */
async function profile(dir, env, endpoint, connections, perRequest) {
  note(`server: profiling ${endpoint} (node --cpu-prof)`);
  const profDir = path.join(dir, `prof-${perRequest}`);
  const prof = await startTracking(path.join(dir, `prof-store-${perRequest}`, '.mlx'), { env, extraNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] });
  try {
    const e = (await api(prof.url, 'experiments/create', { name: 'p' })).experiment_id;
    const r = (await api(prof.url, 'runs/create', { experiment_id: e })).run.info.run_id;
    const run = await postEach(prof.url, endpoint, stepper(r, 'm', perRequest), connections);
    await prof.stop();
    const byFile = await summariseProfile(profDir, 15);
    const fns = topFunctions(JSON.parse(fs.readFileSync(byFile.file, 'utf8')), 20);
    delete byFile.file;
    return { rps_while_profiling: run.rps, ...byFile, by_function: fns };
  } finally {
    await prof.stop();
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServer(), null, 2)}\n`);
}
