// `mlx runs list --filter … --order-by … --max 100 --json` over 10,000 runs with 10 params and
// 10 metrics × 10 steps each, process start included; `node -e 0` timed interleaved for context.
// The store is created by the CLI (schema, migrations, default experiment), then filled directly
// with better-sqlite3 following the schema, as the SQLite store itself writes rows.
import path from 'node:path';
import { fillSearchStore, SEARCH_METRICS, SEARCH_PARAMS } from './lib/server-data.mjs';
import { isMain, makeTemp, median, mlx, MLX, NODE, openDb, rmTemp, round, storeEnv, summary, timeSpawn } from './lib/util.mjs';

const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 10_000);
const N = Number(process.env.BENCH_SEARCH_N ?? 15);
const WARMUP = 2;
const FILTER = "metrics.acc > 0.9 and params.opt = 'adam'";
const ORDER_BY = 'metrics.acc DESC';
const MAX = 100;

/** Checks the CLI's answer against the same question asked in SQL. */
function verify(db, out) {
  const matching = db
    .prepare(
      `SELECT count(*) FROM runs r
       JOIN latest_metrics m ON m.run_uuid = r.run_uuid AND m.key = 'acc'
       JOIN params p ON p.run_uuid = r.run_uuid AND p.key = 'opt'
       WHERE r.lifecycle_stage = 'active' AND m.value > 0.9 AND p.value = 'adam'`,
    )
    .pluck()
    .get();
  const expectedIds = db
    .prepare(
      `SELECT r.run_uuid FROM runs r
       JOIN latest_metrics m ON m.run_uuid = r.run_uuid AND m.key = 'acc'
       JOIN params p ON p.run_uuid = r.run_uuid AND p.key = 'opt'
       WHERE r.lifecycle_stage = 'active' AND m.value > 0.9 AND p.value = 'adam'
       ORDER BY m.value DESC, r.run_uuid ASC LIMIT ?`,
    )
    .pluck()
    .all(MAX);
  const runs = out.runs;
  const problems = [];
  if (runs.length !== Math.min(MAX, matching)) problems.push(`returned ${runs.length} runs, expected ${Math.min(MAX, matching)}`);
  runs.forEach((r, i) => {
    if (!(r.metrics?.acc > 0.9)) problems.push(`run ${r.run_id} has metrics.acc ${r.metrics?.acc}`);
    if (r.params?.opt !== 'adam') problems.push(`run ${r.run_id} has params.opt ${r.params?.opt}`);
    if (i > 0 && runs[i - 1].metrics.acc < r.metrics.acc) problems.push(`not sorted by acc desc at index ${i}`);
    if (Object.keys(r.params ?? {}).length !== SEARCH_PARAMS.length) problems.push(`run ${r.run_id} has ${Object.keys(r.params ?? {}).length} params`);
    if (Object.keys(r.metrics ?? {}).length !== SEARCH_METRICS.length) problems.push(`run ${r.run_id} has ${Object.keys(r.metrics ?? {}).length} metrics`);
  });
  const sameIds = runs.length === expectedIds.length && runs.every((r, i) => r.run_id === expectedIds[i]);
  if (!sameIds) problems.push('run ids differ from the SQL reference top-100');
  return { matching_sql_count: matching, returned: runs.length, same_ids_as_sql: sameIds, correct: problems.length === 0, problems: problems.slice(0, 10) };
}

export async function benchSearch() {
  const dir = makeTemp('mlx-bench-search-');
  try {
    const store = path.join(dir, '.mlx');
    const env = storeEnv(store);
    mlx(['experiments', 'create', 'bench'], env);
    const experimentId = JSON.parse(mlx(['experiments', 'list', '--json'], env)).experiments.find((e) => e.name === 'bench').experiment_id;
    const db = await openDb(store);
    let t = process.hrtime.bigint();
    fillSearchStore(db, Number(experimentId), RUNS);
    const fillMs = Number(process.hrtime.bigint() - t) / 1e6;
    // No ANALYZE: mlx never runs it, so a real store has no sqlite_stat1 and neither does this one.
    db.pragma('wal_checkpoint(TRUNCATE)');
    const counts = {
      runs: db.prepare('SELECT count(*) FROM runs').pluck().get(),
      params: db.prepare('SELECT count(*) FROM params').pluck().get(),
      metrics: db.prepare('SELECT count(*) FROM metrics').pluck().get(),
      latest_metrics: db.prepare('SELECT count(*) FROM latest_metrics').pluck().get(),
    };

    const args = [MLX, 'runs', 'list', '--filter', FILTER, '--order-by', ORDER_BY, '--max', String(MAX), '--json'];
    const times = { node: [], runs_list: [] };
    let last;
    for (let i = 0; i < WARMUP + N; i++) {
      const pair = i % 2 === 0 ? ['node', 'runs_list'] : ['runs_list', 'node'];
      for (const which of pair) {
        const r = await timeSpawn(NODE, which === 'node' ? ['-e', '0'] : args, { env, cwd: dir });
        if (r.code !== 0) throw new Error(`${which} exited ${r.code}: ${r.stderr}`);
        if (which === 'runs_list') last = r.stdout;
        if (i >= WARMUP) times[which].push(r.ms);
      }
    }
    const check = verify(db, JSON.parse(last));
    db.close();
    const med = median(times.runs_list);
    return {
      store: counts,
      store_fill_ms: round(fillMs, 0),
      command: `mlx runs list --filter "${FILTER}" --order-by "${ORDER_BY}" --max ${MAX} --json`,
      n: N,
      warmup: WARMUP,
      runs_list: summary(times.runs_list),
      node: summary(times.node),
      runs_list_minus_node_ms: round(med - median(times.node)),
      target_ms: 300,
      pass: med < 300 && check.correct,
      verification: check,
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchSearch(), null, 2)}\n`);
}
