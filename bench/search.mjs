// `mlx runs list --filter … --order-by … --max 100 --json` over 10,000 runs with 10 params and
// 10 metrics × 10 steps each, process start included; `node -e 0` timed interleaved for context.
// The store is created by the CLI (schema, migrations, default experiment), then filled directly
// with better-sqlite3 following the schema, as the SQLite store itself writes rows.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { isMain, makeTemp, median, mlx, MLX, NODE, openDb, rmTemp, rng, round, storeEnv, summary, timeSpawn } from './lib/util.mjs';

const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 10_000);
const N = Number(process.env.BENCH_SEARCH_N ?? 15);
const WARMUP = 2;
const FILTER = "metrics.acc > 0.9 and params.opt = 'adam'";
const ORDER_BY = 'metrics.acc DESC';
const MAX = 100;
const OPTS = ['adam', 'sgd', 'rmsprop'];
const METRICS = ['acc', 'loss', 'val_acc', 'val_loss', 'f1', 'precision', 'recall', 'auc', 'lr_now', 'grad_norm'];
const PARAMS = ['opt', 'lr', 'batch_size', 'epochs', 'dropout', 'layers', 'hidden', 'seed', 'weight_decay', 'momentum'];
const STEPS = 10;
const T0 = 1_700_000_000_000;

function fill(db, experimentId) {
  const rand = rng(7);
  const insRun = db.prepare(
    `INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
     VALUES (?, ?, ?, 'bench', 'FINISHED', ?, ?, 'active', ?)`,
  );
  const insParam = db.prepare('INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)');
  const insTag = db.prepare('INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)');
  const insMetric = db.prepare('INSERT INTO metrics (run_uuid, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, 0, ?, ?)');
  const insLatest = db.prepare('INSERT INTO latest_metrics (run_uuid, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, 0, ?, ?)');
  db.transaction(() => {
    for (let r = 0; r < RUNS; r++) {
      const id = randomBytes(16).toString('hex');
      const start = T0 + r * 60_000;
      const name = `bench-run-${r}`;
      insRun.run(id, name, experimentId, start, start + 50_000, `artifacts/${experimentId}/${id}/artifacts`);
      insTag.run(id, 'mlflow.runName', name);
      insTag.run(id, 'mlflow.user', 'bench');
      const params = {
        opt: OPTS[Math.floor(rand() * OPTS.length)],
        lr: String(round(10 ** (-1 - 3 * rand()), 6)),
        batch_size: String(2 ** (4 + Math.floor(rand() * 5))),
        epochs: String(STEPS),
        dropout: String(round(rand() * 0.5, 2)),
        layers: String(1 + Math.floor(rand() * 8)),
        hidden: String(64 * (1 + Math.floor(rand() * 8))),
        seed: String(Math.floor(rand() * 1e6)),
        weight_decay: String(round(rand() * 1e-3, 6)),
        momentum: String(round(0.8 + rand() * 0.19, 3)),
      };
      for (const k of PARAMS) insParam.run(id, k, params[k]);
      for (const key of METRICS) {
        let value = 0;
        for (let step = 0; step < STEPS; step++) {
          value = rand(); // for acc this makes the step-9 (latest) value uniform in [0, 1]
          insMetric.run(id, key, value, step, start + step * 1000);
        }
        insLatest.run(id, key, value, STEPS - 1, start + (STEPS - 1) * 1000);
      }
    }
  }).immediate();
}

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
    if (Object.keys(r.params ?? {}).length !== PARAMS.length) problems.push(`run ${r.run_id} has ${Object.keys(r.params ?? {}).length} params`);
    if (Object.keys(r.metrics ?? {}).length !== METRICS.length) problems.push(`run ${r.run_id} has ${Object.keys(r.metrics ?? {}).length} metrics`);
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
    fill(db, Number(experimentId));
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
