// Tracking server on SQLite vs on PostgreSQL, side by side: the workloads of bench/server.mjs
// (bench/lib/server-load.mjs) against `mlx server --backend-store-uri DIR` and against
// `mlx server --backend-store-uri postgresql://… --artifacts-destination DIR`, the sides taking
// turns within every round (the order flips each round), plus what only PostgreSQL can do: two
// replicas on the same database, the client's connections dealt round-robin over them.
//   - GET /health at 32 connections (no store involved: the control, its ratio should be ~1);
//   - runs/log-metric at 32 connections, one run and one key (steps only grow), 1 and 2 replicas;
//   - the same spread over 32 runs (request k to run k % 32), as 32 training jobs would log, 1 and 2 replicas;
//   - runs/log-batch with 1,000 metrics per request at 8 connections, 1 and 2 replicas;
//   - runs/search over 10,000 runs: 200 sequential requests per round, and 8 connections, 1 and 2 replicas;
//   - the store calls in-process (SqliteStore / PostgresStore from dist/, no HTTP): logMetric one at a
//     time and 32 at once, logBatch (8 at once on PostgreSQL; one at a time on SQLite, whose store holds
//     one connection), searchRuns one at a time; and the round trips each PostgreSQL call makes.
// Each load also reports CPU per request of the mlx server process(es) and of the PostgreSQL
// cluster (/proc).
// PostgreSQL is a throwaway cluster (bench/lib/postgres.mjs) with the durable defaults (fsync and
// synchronous_commit on: a COMMIT waits for its WAL flush); the SQLite store runs WAL with
// synchronous=NORMAL (src/store/sqlite/database.ts: a COMMIT does not wait for the disk). The
// search data is filled in SQLite and copied row for row into PostgreSQL, so both answer the same
// question over the same rows; both answers are checked against SQL on the SQLite copy.
// Afterwards the stored points are counted on each side and must match the 2xx answers.
// BENCH_PG_SECONDS (4), BENCH_PG_ROUNDS (3) and BENCH_PG_RUNS (10,000) shorten or lengthen it.
import path from 'node:path';
import { cpuMs, load, note } from './lib/serve-util.mjs';
import { copyTable, startPostgres } from './lib/postgres.mjs';
import { SEARCH, verifySearch } from './lib/server-data.mjs';
import {
  api,
  batchEntries,
  latencies,
  postEach,
  postSame,
  sideOf,
  sqliteSearchStore,
  startTracking,
  stepper,
  storedCheck,
  T0,
  timeLoop,
} from './lib/server-load.mjs';
import { isMain, makeTemp, median, openDb, rmTemp, round, storeEnv } from './lib/util.mjs';

const SECONDS = Number(process.env.BENCH_PG_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_PG_ROUNDS ?? 3);
const RUNS = Number(process.env.BENCH_PG_RUNS ?? 10_000);
const SEARCHES = 200;

/** Copies the SQLite search store's experiment into a fresh PostgreSQL store (schema made by PostgresStore itself); returns its experiment id. */
async function copySearchStore(sqliteStore, sqliteExp, pgUrl, PostgresStore) {
  const store = await PostgresStore.open(pgUrl, { create: true });
  const exp = Number(await store.createExperiment('bench'));
  await store.close();
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  const db = await openDb(sqliteStore);
  const t = process.hrtime.bigint();
  try {
    await c.query('BEGIN');
    const kv = { columns: ['run_uuid', 'key', 'value'], types: ['text', 'text', 'text'] };
    const point = { columns: ['run_uuid', 'key', 'value', 'is_nan', 'step', 'timestamp'], types: ['text', 'text', 'float8', 'int2', 'int8', 'int8'] };
    const runCols = ['run_uuid', 'name', 'experiment_id', 'user_id', 'status', 'start_time', 'end_time', 'lifecycle_stage', 'artifact_uri', 'deleted_time'];
    const at = runCols.indexOf('experiment_id');
    const copied = {
      runs: await copyTable(db, c, 'runs', {
        columns: runCols,
        types: ['text', 'text', 'int4', 'text', 'text', 'int8', 'int8', 'text', 'text', 'int8'],
        map: (r) => r.with(at, exp),
      }),
      params: await copyTable(db, c, 'params', kv),
      tags: await copyTable(db, c, 'tags', kv),
      metrics: await copyTable(db, c, 'metrics', point),
      latest_metrics: await copyTable(db, c, 'latest_metrics', point),
    };
    await c.query('COMMIT');
    await c.query('ANALYZE');
    // The copy wrote ~250 MB of WAL: checkpoint now, so that no round pays for it.
    await c.query('CHECKPOINT');
    note(`server-postgres: search store copied into PostgreSQL in ${round(Number(process.hrtime.bigint() - t) / 1e6, 0)} ms (${JSON.stringify(copied)})`);
    return exp;
  } finally {
    db.close();
    await c.end();
  }
}

/** Counts the queries (= round trips to PostgreSQL) made by pg clients in this process while fn runs. */
async function roundTrips(fn) {
  const { default: pg } = await import('pg');
  const original = pg.Client.prototype.query;
  let n = 0;
  pg.Client.prototype.query = function counted(...args) {
    n++;
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    pg.Client.prototype.query = original;
  }
  return n;
}

/**
 * Runs a load (fn) and measures what it cost: CPU ms of the mlx server processes (pids) and of the
 * whole PostgreSQL cluster. (PostgreSQL's own counters, pg_stat_wal and pg_stat_database, are
 * flushed by idle backends only every ~10 s, too late to attribute them to a run of a few seconds.)
 */
async function measured(cluster, pids, fn) {
  const cpu = () => ({ node: pids.reduce((ms, pid) => ms + cpuMs(pid), 0), pg: cluster.cpuMs() });
  const c0 = cpu();
  const out = await fn();
  const c1 = cpu();
  return { out, node_cpu_ms: c1.node - c0.node, pg_cpu_ms: c1.pg - c0.pg };
}

/** One body generator per run, taken in turn: request k goes to run k % runs.length (so 32 connections rarely write the same run at once). */
const roundRobin = (gens) => {
  let k = 0;
  return () => gens[k++ % gens.length]();
};

export async function benchServerPostgres() {
  const dir = makeTemp('mlx-bench-server-pg-');
  // Ctrl-C exits without running `finally`: the servers and the cluster are stopped by their own exit hooks, the folder here.
  const removeDir = () => rmTemp(dir);
  process.once('exit', removeDir);
  const servers = [];
  const stores = [];
  let cluster;
  const start = async (...args) => {
    const s = await startTracking(...args);
    servers.push(s);
    return s;
  };
  try {
    cluster = await startPostgres();
    note(`server-postgres: PostgreSQL ${cluster.version} on 127.0.0.1:${cluster.port} (${JSON.stringify(cluster.settings)})`);
    const { SqliteStore } = await import('../dist/store/sqlite/sqlite-store.js');
    const { PostgresStore } = await import('../dist/store/postgres/postgres-store.js');

    // The same data on both sides: the search store filled in SQLite, then copied into PostgreSQL.
    const sqliteSearch = path.join(dir, 'search', '.mlx');
    const { experimentId: sqliteSearchExp, counts } = await sqliteSearchStore(sqliteSearch, RUNS);
    const pgUrls = {
      write: await cluster.createDatabase('bench_write'),
      search: await cluster.createDatabase('bench_search'),
      local: await cluster.createDatabase('bench_local'),
    };
    const pgSearchExp = await copySearchStore(sqliteSearch, sqliteSearchExp, pgUrls.search, PostgresStore);

    // Servers: per side a write server and a search server; PostgreSQL gets a second replica of each.
    const sqliteWrite = path.join(dir, 'write', '.mlx');
    const pgArgs = (name) => ({ env: storeEnv(pgUrls[name]), extraArgs: ['--artifacts-destination', path.join(dir, `artifacts-${name}`)] });
    const side = {
      sqlite: {
        write: await start(sqliteWrite, { env: storeEnv(sqliteWrite) }),
        search: await start(sqliteSearch, { env: storeEnv(sqliteSearch) }),
        local: new SqliteStore(path.join(dir, 'local', '.mlx'), { create: true }),
        searchLocal: new SqliteStore(sqliteSearch, { create: false }),
        searchExp: String(sqliteSearchExp),
      },
      postgres: {
        write: await start(pgUrls.write, { ...pgArgs('write'), name: 'mlx server (postgres 1)' }),
        search: await start(pgUrls.search, { ...pgArgs('search'), name: 'mlx server (postgres search 1)' }),
        local: await PostgresStore.open(pgUrls.local, { create: true }),
        searchLocal: await PostgresStore.open(pgUrls.search, { create: false }),
        searchExp: String(pgSearchExp),
      },
    };
    stores.push(side.sqlite.local, side.sqlite.searchLocal, side.postgres.local, side.postgres.searchLocal);
    const replica2 = {
      write: await start(pgUrls.write, { ...pgArgs('write'), name: 'mlx server (postgres 2)' }),
      search: await start(pgUrls.search, { ...pgArgs('search'), name: 'mlx server (postgres search 2)' }),
    };
    for (const s of Object.values(side)) {
      const exp = (await api(s.write.url, 'experiments/create', { name: 'bench' })).experiment_id;
      s.runId = (await api(s.write.url, 'runs/create', { experiment_id: exp })).run.info.run_id;
      s.metricBody = stepper(s.runId, 'loss', 1);
      s.runs32 = [];
      for (let i = 0; i < 32; i++) s.runs32.push((await api(s.write.url, 'runs/create', { experiment_id: exp })).run.info.run_id);
      s.metric32Body = roundRobin(s.runs32.map((id) => stepper(id, 'loss32', 1)));
      s.batchBody = stepper(s.runId, 'batched', 1000);
      s.searchRequest = { experiment_ids: [s.searchExp], filter: SEARCH.filter, order_by: [SEARCH.orderBy], max_results: SEARCH.max };
      s.searchInput = { experimentIds: [s.searchExp], filter: SEARCH.filter, orderBy: [SEARCH.orderBy], maxResults: SEARCH.max };
      s.localRun = (await s.local.createRun({ experimentId: await s.local.createExperiment('bench'), userId: 'bench' })).run_id;
      s.localStep = 0;
      s.answer = await api(s.search.url, 'runs/search', s.searchRequest);
    }
    // The replicas write the PostgreSQL side's run under keys of their own, so each side's rows can be counted.
    const two = {
      write: [side.postgres.write.url, replica2.write.url],
      search: [side.postgres.search.url, replica2.search.url],
      metricBody: stepper(side.postgres.runId, 'loss_rr', 1),
      metric32Body: roundRobin(side.postgres.runs32.map((id) => stepper(id, 'loss32_rr', 1))),
      batchBody: stepper(side.postgres.runId, 'batched_rr', 1000),
    };

    const localMetric = (s, opts) =>
      timeLoop(1e7, () => s.local.logMetric(s.localRun, { key: 'loss', value: 0.5, timestamp: T0 + s.localStep, step: s.localStep++ }), opts);
    // SqliteStore.logBatch calls started in the same turn collide on its one connection ("cannot start a transaction within a transaction").
    const localBatch = (s) =>
      timeLoop(1e5, () => s.local.logBatch(s.localRun, batchEntries('batched', (s.localStep += 1000) - 1000)), {
        concurrency: s === side.sqlite ? 1 : 8,
        maxMs: 2000,
      });
    const round_trips = {
      log_metric: await roundTrips(() => side.postgres.local.logMetric(side.postgres.localRun, { key: 'rt', value: 1, timestamp: T0, step: 0 })),
    };

    note('server-postgres: warm-up (other keys, so the stored counts can be checked exactly)');
    for (const [name, s] of Object.entries(side)) {
      await load({ url: `${s.write.url}/health`, connections: 32, duration: 1 });
      await postEach(s.write.url, 'runs/log-metric', stepper(s.runId, 'warm', 1), 32, 2);
      await postEach(s.write.url, 'runs/log-batch', stepper(s.runId, 'warm_batch', 1000), 8, 2);
      await latencies(20, () => api(s.search.url, 'runs/search', s.searchRequest));
      await latencies(10, () => s.searchLocal.searchRuns(s.searchInput));
      await localMetric(s, { concurrency: 32, maxMs: 500 });
      note(`  ${name} warm`);
    }
    await postEach(two.write, 'runs/log-metric', stepper(side.postgres.runId, 'warm_rr', 1), 32, 2);
    await postSame(two.search, 'runs/search', side.postgres.searchRequest, 8, 1);

    // Each workload: [name, per-side run, run on the two replicas (PostgreSQL only) or null].
    const pids = (...servers) => servers.map((x) => x.pid);
    const twoWrite = pids(side.postgres.write, replica2.write);
    const twoSearch = pids(side.postgres.search, replica2.search);
    const workloads = [
      ['health', (s) => measured(cluster, pids(s.write), () => load({ url: `${s.write.url}/health`, connections: 32, duration: SECONDS })), null],
      [
        'log_metric',
        (s) => measured(cluster, pids(s.write), () => postEach(s.write.url, 'runs/log-metric', s.metricBody, 32, SECONDS)),
        () => measured(cluster, twoWrite, () => postEach(two.write, 'runs/log-metric', two.metricBody, 32, SECONDS)),
      ],
      [
        'log_metric_32_runs',
        (s) => measured(cluster, pids(s.write), () => postEach(s.write.url, 'runs/log-metric', s.metric32Body, 32, SECONDS)),
        () => measured(cluster, twoWrite, () => postEach(two.write, 'runs/log-metric', two.metric32Body, 32, SECONDS)),
      ],
      [
        'log_batch',
        (s) => measured(cluster, pids(s.write), () => postEach(s.write.url, 'runs/log-batch', s.batchBody, 8, SECONDS)),
        () => measured(cluster, twoWrite, () => postEach(two.write, 'runs/log-batch', two.batchBody, 8, SECONDS)),
      ],
      ['search_sequential', (s) => latencies(SEARCHES, () => api(s.search.url, 'runs/search', s.searchRequest)), null],
      [
        'search_8',
        (s) => measured(cluster, pids(s.search), () => postSame(s.search.url, 'runs/search', s.searchRequest, 8, SECONDS)),
        () => measured(cluster, twoSearch, () => postSame(two.search, 'runs/search', side.postgres.searchRequest, 8, SECONDS)),
      ],
      ['local_log_metric_1', (s) => localMetric(s, { concurrency: 1, maxMs: 1500 }), null],
      ['local_log_metric_32', (s) => localMetric(s, { concurrency: 32, maxMs: 2000 }), null],
      ['local_log_batch', (s) => localBatch(s), null],
      ['local_search', (s) => latencies(100, () => s.searchLocal.searchRuns(s.searchInput)), null],
    ];
    const results = { sqlite: {}, postgres: {}, postgres_2: {} };
    for (const [w] of workloads) for (const r of Object.values(results)) r[w] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? ['sqlite', 'postgres', 'postgres_2'] : ['postgres_2', 'postgres', 'sqlite'];
      for (const [w, one, pair] of workloads) {
        for (const name of order) {
          const fn = name === 'postgres_2' ? pair : () => one(side[name]);
          if (!fn) continue;
          const x = await fn();
          results[name][w].push(x);
          const v = x.out ?? x;
          const shown =
            v.rps !== undefined
              ? `${v.rps} req/s, p50 ${v.latency_ms.p50} ms, p99 ${v.latency_ms.p99} ms, non2xx ${v.non2xx}, errors ${v.errors}`
              : JSON.stringify(v);
          const cost = x.node_cpu_ms !== undefined ? `; CPU ms: mlx ${x.node_cpu_ms}, postgres ${x.pg_cpu_ms}` : '';
          note(`round ${r + 1} ${w} ${name}: ${shown}${cost}`);
        }
      }
    }
    round_trips.log_batch = await roundTrips(() => side.postgres.local.logBatch(side.postgres.localRun, batchEntries('rt', 0)));
    round_trips.search = await roundTrips(() => side.postgres.searchLocal.searchRuns(side.postgres.searchInput));

    for (const s of servers.splice(0)) await s.stop();
    for (const s of stores.splice(0)) await s.close();

    // Correctness: every 2xx stored on each side; both search answers equal the SQL reference (on the SQLite copy).
    const keys = (prefix = '') => ({ metricKey: `loss${prefix}`, batchKey: `batched${prefix}`, connections: 32 });
    const wdb = await openDb(sqliteWrite);
    const pgCount = async (key) => Number((await cluster.query('bench_write', 'SELECT count(*) AS n FROM metrics WHERE key = $1', [key]))[0].n);
    const stored = {
      sqlite: await storedCheck((key) => wdb.prepare('SELECT count(*) FROM metrics WHERE key = ?').pluck().get(key), {
        ...keys(),
        metricRuns: results.sqlite.log_metric.map((x) => x.out),
        batchRuns: results.sqlite.log_batch.map((x) => x.out),
      }),
      postgres: await storedCheck(pgCount, {
        ...keys(),
        metricRuns: results.postgres.log_metric.map((x) => x.out),
        batchRuns: results.postgres.log_batch.map((x) => x.out),
      }),
      postgres_2: await storedCheck(pgCount, {
        ...keys('_rr'),
        metricRuns: results.postgres_2.log_metric.map((x) => x.out),
        batchRuns: results.postgres_2.log_batch.map((x) => x.out),
      }),
      sqlite_32_runs: await storedCheck((key) => wdb.prepare('SELECT count(*) FROM metrics WHERE key = ?').pluck().get(key), {
        metricKey: 'loss32',
        connections: 32,
        metricRuns: results.sqlite.log_metric_32_runs.map((x) => x.out),
      }),
      postgres_32_runs: await storedCheck(pgCount, { metricKey: 'loss32', connections: 32, metricRuns: results.postgres.log_metric_32_runs.map((x) => x.out) }),
      postgres_2_32_runs: await storedCheck(pgCount, {
        metricKey: 'loss32_rr',
        connections: 32,
        metricRuns: results.postgres_2.log_metric_32_runs.map((x) => x.out),
      }),
    };
    wdb.close();
    const sdb = await openDb(sqliteSearch);
    const verification = {
      sqlite: verifySearch(sdb, sqliteSearchExp, side.sqlite.answer.runs),
      postgres: verifySearch(sdb, sqliteSearchExp, side.postgres.answer.runs),
    };
    sdb.close();

    return report({ results, stored, verification, counts, round_trips, cluster, searchRequest: side.sqlite.searchRequest });
  } finally {
    for (const s of servers) await s.stop();
    for (const s of stores) await s.close().catch(() => undefined);
    await cluster?.stop();
    rmTemp(dir);
    process.off('exit', removeDir);
  }
}

/** Per-side medians, and the ratios taken round by round (each round's sides ran back to back) then their median. */
function report({ results, stored, verification, counts, round_trips, cluster, searchRequest }) {
  // whole: pick gets the measured() wrapper rather than the load result inside it.
  const figure = (w, pick, { two = false } = {}, whole = false) => {
    const at = (x) => pick(whole ? x : (x.out ?? x));
    const get = (name) => results[name][w].map(at);
    const out = { sqlite: sideOf(results.sqlite[w], at), postgres: sideOf(results.postgres[w], at) };
    const perRound = (a, b) => a.map((x, i) => round(x / b[i], 3));
    const pgVsSqlite = perRound(get('postgres'), get('sqlite'));
    out.postgres_over_sqlite = { median: round(median(pgVsSqlite), 3), runs: pgVsSqlite };
    if (two) {
      out.postgres_2_replicas = sideOf(results.postgres_2[w], at);
      const twoVsOne = perRound(get('postgres_2'), get('postgres'));
      out.two_replicas_over_one = { median: round(median(twoVsOne), 3), runs: twoVsOne };
    }
    return out;
  };
  const loaded = (w, opts) => ({
    rps: figure(w, (x) => x.rps, opts),
    latency_p50_ms: figure(w, (x) => x.latency_ms.p50, opts),
    latency_p99_ms: figure(w, (x) => x.latency_ms.p99, opts),
    non2xx_and_errors: Object.fromEntries(
      Object.entries(results).map(([k, r]) => [k, (r[w] ?? []).reduce((n, x) => n + (x.out ?? x).non2xx + (x.out ?? x).errors + (x.out ?? x).timeouts, 0)]),
    ),
  });
  // CPU µs per answered request of the mlx server process(es) and of the PostgreSQL cluster.
  const cost = (w, opts) => {
    const perReq =
      (key, scale = 1) =>
      (x) =>
        (x[key] * scale) / Math.max(1, x.out.requests - x.out.non2xx);
    const out = {
      mlx_cpu_us_per_request: figure(w, perReq('node_cpu_ms', 1000), opts, true),
      postgres_cpu_us_per_request: figure(w, perReq('pg_cpu_ms', 1000), opts, true),
    };
    return out;
  };
  return {
    load: `autocannon (in the benchmark process, sharing the 2 CPUs with the servers and PostgreSQL) on 127.0.0.1, ${SECONDS} s per run, ${ROUNDS} rounds; in each round every workload runs on each side back to back, the order of the sides flipping each round`,
    postgres: {
      version: cluster.version,
      durability: { ...cluster.settings, note: 'PostgreSQL defaults: every COMMIT waits for its WAL to be flushed to disk (ext4 on a virtio disk here)' },
      pool: 'mlx server default: a pg pool of 10 connections per server process',
    },
    sqlite: {
      durability:
        'journal_mode=WAL, synchronous=NORMAL (src/store/sqlite/database.ts): a COMMIT is not flushed to disk; a power loss can lose the last transactions, never corrupt the file',
    },
    health: { what: 'GET /health, 32 connections: no store call; the control (same HTTP stack on both sides)', ...loaded('health'), cost: cost('health') },
    log_metric: {
      what: 'POST runs/log-metric, 32 connections, one run and one key, a new step each request',
      ...loaded('log_metric', { two: true }),
      cost: cost('log_metric', { two: true }),
    },
    log_metric_32_runs: {
      what: 'POST runs/log-metric, 32 connections, request k to run k % 32 (one key per run, steps only grow per run)',
      ...loaded('log_metric_32_runs', { two: true }),
      cost: cost('log_metric_32_runs', { two: true }),
    },
    log_batch: {
      what: 'POST runs/log-batch with 1,000 metrics (~73 KB), 8 connections',
      points_per_s: figure('log_batch', (x) => x.ok_rps * 1000, { two: true }),
      ...loaded('log_batch', { two: true }),
      cost: cost('log_batch', { two: true }),
    },
    search: {
      store: counts,
      request: `POST runs/search ${JSON.stringify(searchRequest)}`,
      sequential: {
        what: `${SEARCHES} requests one after another per round (fetch, keep-alive)`,
        p50_ms: figure('search_sequential', (x) => x.p50),
        p99_ms: figure('search_sequential', (x) => x.p99),
      },
      at_8_connections: { ...loaded('search_8', { two: true }), cost: cost('search_8', { two: true }) },
      verification,
    },
    in_process: {
      what: 'SqliteStore / PostgresStore from dist/ in the benchmark process (the calls the routes make, without HTTP or JSON); time-bounded loops',
      log_metric_one_at_a_time_us: figure('local_log_metric_1', (x) => x.us_per_op),
      log_metric_32_at_once_calls_per_s: figure('local_log_metric_32', (x) => x.ops_per_s),
      log_batch_points_per_s: { what: 'SQLite one call at a time, PostgreSQL 8 at once', ...figure('local_log_batch', (x) => x.ops_per_s * 1000) },
      search_p50_ms: figure('local_search', (x) => x.p50),
      search_p99_ms: figure('local_search', (x) => x.p99),
      postgres_round_trips_per_call: round_trips,
    },
    stored,
    pass: {
      all_stored: Object.values(stored).every((s) => s.pass),
      search_correct: verification.sqlite.correct && verification.postgres.correct,
    },
  };
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServerPostgres(), null, 2)}\n`);
}
