// Runs every benchmark in turn (never in parallel: they would time each other) and prints one
// JSON object {machine, startup, log_batch, search, drift, serve, server, pass}. `npm run bench` builds
// first, then runs this. The serving benchmarks (bench/serve-*.mjs) take about 6 minutes together;
// BENCH_SKIP_SERVE=1 leaves them out. The drift benchmark (bench/drift.mjs) takes about 4 minutes;
// BENCH_SKIP_DRIFT=1 leaves it out. The tracking server benchmark (bench/server.mjs) takes about
// 2.5 minutes; BENCH_SKIP_SERVER=1 leaves it out. The same server on SQLite vs PostgreSQL
// (bench/server-postgres.mjs, key server_postgres) takes about 5 minutes; BENCH_SKIP_SERVER_POSTGRES=1
// leaves it out, and it is skipped (with the reason) where PostgreSQL is not installed.
import { benchDrift } from './drift.mjs';
import { benchLogBatch } from './log-batch.mjs';
import { benchSearch } from './search.mjs';
import { benchServeBatching } from './serve-batching.mjs';
import { benchServeImages } from './serve-images.mjs';
import { benchServeOverhead } from './serve-overhead.mjs';
import { benchServeSoak } from './serve-soak.mjs';
import { benchServer } from './server.mjs';
import { benchServerPostgres } from './server-postgres.mjs';
import { benchStartup } from './startup.mjs';
import { postgresInstalled } from './lib/postgres.mjs';
import { machine } from './lib/util.mjs';

const timed = async (name, fn) => {
  process.stderr.write(`bench: ${name}…\n`);
  const t0 = process.hrtime.bigint();
  const out = await fn();
  process.stderr.write(`bench: ${name} done in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s\n`);
  return out;
};

const result = { machine: machine() };
for (const [name, fn] of [
  ['startup', benchStartup],
  ['log_batch', benchLogBatch],
  ['search', benchSearch],
]) {
  result[name] = await timed(name, fn);
}
if (process.env.BENCH_SKIP_DRIFT !== '1') result.drift = await timed('drift', benchDrift);
if (process.env.BENCH_SKIP_SERVE !== '1') {
  result.serve = {};
  for (const [name, fn] of [
    ['overhead', benchServeOverhead],
    ['batching', benchServeBatching],
    ['images', benchServeImages],
    ['soak', benchServeSoak],
  ]) {
    result.serve[name] = await timed(`serve.${name}`, fn);
  }
}
if (process.env.BENCH_SKIP_SERVER !== '1') result.server = await timed('server', benchServer);
if (process.env.BENCH_SKIP_SERVER_POSTGRES !== '1') {
  result.server_postgres = postgresInstalled()
    ? await timed('server_postgres', benchServerPostgres)
    : { skipped: 'initdb/pg_ctl not found: install PostgreSQL (Debian: postgresql) to run it' };
}
result.pass = {
  startup_mlx_version: result.startup.pass_mlx_version,
  startup_log_metric: result.startup.pass_log_metric,
  startup_no_heavy_modules: result.startup.modules.pass_no_heavy_modules,
  log_batch_ratio: result.log_batch.pass_ratio,
  log_batch_rss: result.log_batch.pass_rss,
  search: result.search.pass,
};
if (result.drift) {
  Object.assign(result.pass, {
    drift_ratio: result.drift.pass_ratio,
    drift_same_numbers_as_scipy: result.drift.same_numbers_as_scipy,
    drift_ks_n_log_n: result.drift.ks_scaling.pass_n_log_n,
  });
}
if (result.serve) {
  const s = result.serve;
  Object.assign(result.pass, {
    serve_overhead: s.overhead.pass,
    serve_batching_speedup: s.batching.pass_speedup,
    serve_batching_share: s.batching.pass_share,
    serve_images_rps: s.images.pass_rps,
    serve_images_p99: s.images.pass_p99,
    serve_images_same_label: s.images.pass_same_label,
    serve_soak_no_valid_failures: s.soak.pass_no_valid_failures,
    serve_soak_rss: s.soak.pass_rss,
  });
}
if (result.server) {
  Object.assign(result.pass, {
    server_log_metric_rps: result.server.log_metric.pass,
    server_all_stored: result.server.stored.pass,
    server_search_correct: result.server.search.verification.correct,
  });
}
if (result.server_postgres?.pass) {
  Object.assign(result.pass, {
    server_postgres_all_stored: result.server_postgres.pass.all_stored,
    server_postgres_search_correct: result.server_postgres.pass.search_correct,
  });
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
