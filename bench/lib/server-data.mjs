// Data and checks for bench/server.mjs and bench/search.mjs: the 10,000-run search store
// (10 params, 2 tags, 10 metrics × 10 steps per run, written with better-sqlite3
// following src/store/sqlite/migrations.ts), the SQL reference answer for the search, and a
// by-function summary of a .cpuprofile.
import { randomBytes } from 'node:crypto';
import { rng, round } from './util.mjs';

export const SEARCH = { filter: "metrics.acc > 0.9 and params.opt = 'adam'", orderBy: 'metrics.acc DESC', max: 100 };
const OPTS = ['adam', 'sgd', 'rmsprop'];
export const SEARCH_METRICS = ['acc', 'loss', 'val_acc', 'val_loss', 'f1', 'precision', 'recall', 'auc', 'lr_now', 'grad_norm'];
export const SEARCH_PARAMS = ['opt', 'lr', 'batch_size', 'epochs', 'dropout', 'layers', 'hidden', 'seed', 'weight_decay', 'momentum'];
const STEPS = 10;
const T0 = 1_700_000_000_000;

/** Fills experimentId with `runs` runs in one transaction; returns the row counts. */
export function fillSearchStore(db, experimentId, runs) {
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
    for (let r = 0; r < runs; r++) {
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
      for (const k of SEARCH_PARAMS) insParam.run(id, k, params[k]);
      for (const key of SEARCH_METRICS) {
        let value = 0;
        for (let step = 0; step < STEPS; step++) {
          value = rand();
          insMetric.run(id, key, value, step, start + step * 1000);
        }
        insLatest.run(id, key, value, STEPS - 1, start + (STEPS - 1) * 1000);
      }
    }
  }).immediate();
  const count = (t) => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get();
  return { runs: count('runs'), params: count('params'), metrics: count('metrics'), latest_metrics: count('latest_metrics') };
}

/** Checks a runs/search answer (MLflow Run messages) against the same question asked in SQL. */
export function verifySearch(db, experimentId, runs) {
  const base = `FROM runs r
    JOIN latest_metrics m ON m.run_uuid = r.run_uuid AND m.key = 'acc'
    JOIN params p ON p.run_uuid = r.run_uuid AND p.key = 'opt'
    WHERE r.experiment_id = ? AND r.lifecycle_stage = 'active' AND m.value > 0.9 AND p.value = 'adam'`;
  const matching = db.prepare(`SELECT count(*) ${base}`).pluck().get(Number(experimentId));
  const expected = db.prepare(`SELECT r.run_uuid ${base} ORDER BY m.value DESC, r.run_uuid ASC LIMIT ?`).pluck().all(Number(experimentId), SEARCH.max);
  const acc = (r) => r.data.metrics.find((m) => m.key === 'acc')?.value;
  const problems = [];
  if (runs.length !== Math.min(SEARCH.max, matching)) problems.push(`returned ${runs.length} runs, expected ${Math.min(SEARCH.max, matching)}`);
  runs.forEach((r, i) => {
    if (!(acc(r) > 0.9)) problems.push(`run ${r.info.run_id} has acc ${acc(r)}`);
    if (r.data.params.find((p) => p.key === 'opt')?.value !== 'adam') problems.push(`run ${r.info.run_id} is not adam`);
    if (r.data.params.length !== SEARCH_PARAMS.length || r.data.metrics.length !== SEARCH_METRICS.length) problems.push(`run ${r.info.run_id} is incomplete`);
    if (i > 0 && acc(runs[i - 1]) < acc(r)) problems.push(`not sorted at ${i}`);
  });
  const sameIds = runs.length === expected.length && runs.every((r, i) => r.info.run_id === expected[i]);
  if (!sameIds) problems.push('run ids differ from the SQL reference');
  return { matching_sql_count: matching, returned: runs.length, same_ids_as_sql: sameIds, correct: problems.length === 0, problems: problems.slice(0, 10) };
}

/** Self time per function (name + file:line) of a V8 .cpuprofile, biggest first. */
export function topFunctions(prof, top = 25) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const f = byId.get(prof.samples[i]).callFrame;
    const file = (f.url || '').replace(/^file:\/\/.*?\/(node_modules|dist|bin)\//, '$1/').replace(/^node:/, 'node:');
    const key = `${f.functionName || '(anonymous)'} ${file || '(native)'}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ fn, ms: round(us / 1000, 1), share: round(us / total, 3) }));
}
