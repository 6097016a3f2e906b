// What the web UI's pages ask `mlx server` for, over an experiment of 10,000 runs shaped like 100
// sweeps (a parent and 99 trials each; 10 params and 10 metrics of 10 steps a run):
//   - flat:    one runs page as the UI asked before nesting (runs/search, 50, newest first);
//   - nested:  the nested page as the UI asks for it: top-level runs (tags.mlflow.parentRunId
//              IS NULL, 50) and how many trials each has (mlx/runs/child-counts, counted in SQL);
//   - eager:   the first design, for comparison: top-level runs and all their trials loaded
//              (tags.mlflow.parentRunId IN (…50 ids), one page of up to 1,000);
//   - open:    opening one sweep: its 99 trials (tags.mlflow.parentRunId = 'id');
//   - counts:  GET mlx/experiments/run-counts for that experiment (the experiments list);
//   - param sort: every run of a 2,000-run filter fetched to sort a param as numbers.
// Sequential requests, alternating round by round, median and p90 in ms, with nested/flat as the
// ratio that says what nesting costs a page. BENCH_UI_RUNS and BENCH_UI_ROUNDS shrink it.
import { fillSearchStore } from './lib/server-data.mjs';
import { startTracking } from './lib/server-load.mjs';
import { isMain, machine, makeTemp, median, mlx, openDb, quantile, rmTemp, round, storeEnv } from './lib/util.mjs';

const RUNS = Number(process.env.BENCH_UI_RUNS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_UI_ROUNDS ?? 15);
const PER_SWEEP = 100;

async function call(url, path, body) {
  const t = process.hrtime.bigint();
  const res = body
    ? await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    : await fetch(`${url}${path}`);
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, json };
}

export async function run() {
  const dir = makeTemp('mlx-bench-ui-');
  const store = `${dir}/.mlx`;
  try {
    mlx(['experiments', 'create', 'ui-bench'], storeEnv(store));
    const db = await openDb(store);
    const expId = String(db.prepare("SELECT experiment_id FROM experiments WHERE name = 'ui-bench'").pluck().get());
    const rows = fillSearchStore(db, expId, RUNS);
    // Sweep shape: every 100th run (the oldest of its group) is a parent, the 99 after it its trials.
    const ids = db.prepare('SELECT run_uuid FROM runs WHERE experiment_id = ? ORDER BY start_time').pluck().all(expId);
    const tag = db.prepare("INSERT INTO tags (run_uuid, key, value) VALUES (?, 'mlflow.parentRunId', ?)");
    db.transaction(() => ids.forEach((id, i) => i % PER_SWEEP && tag.run(id, ids[i - (i % PER_SWEEP)]))).immediate();
    db.close();

    const server = await startTracking(store, { env: storeEnv(store) });
    const API = '/api/2.0/mlflow/runs/search';
    const times = { flat: [], nested: [], child_counts: [], eager: [], open_one: [], counts: [], param_sort_2000: [] };
    let children = 0;
    let trialCounts = 0;
    let counted = null;
    try {
      for (let r = 0; r < ROUNDS; r++) {
        times.flat.push((await call(server.url, API, { experiment_ids: [expId], max_results: 50, order_by: ['attributes.start_time DESC'] })).ms);
        const top = await call(server.url, API, { experiment_ids: [expId], max_results: 50, filter: 'tags.`mlflow.parentRunId` IS NULL' });
        const inList = top.json.runs.map((x) => `'${x.info.run_id}'`).join(', ');
        const kids = await call(server.url, API, { experiment_ids: [expId], max_results: 1000, filter: `tags.\`mlflow.parentRunId\` IN (${inList})` });
        children = kids.json.runs.length;
        times.eager.push(top.ms + kids.ms);
        const q = new URLSearchParams({ experiment_ids: expId });
        for (const x of top.json.runs) q.append('run_ids', x.info.run_id);
        const counts = await call(server.url, `/api/2.0/mlx/runs/child-counts?${q}`);
        trialCounts = Object.values(counts.json.counts).reduce((n, c) => n + c.runs, 0);
        times.nested.push(top.ms + counts.ms);
        times.child_counts.push(counts.ms);
        const first = top.json.runs.find((x) => counts.json.counts[x.info.run_id].runs > 0);
        times.open_one.push(
          (await call(server.url, API, { experiment_ids: [expId], max_results: 1000, filter: `tags.\`mlflow.parentRunId\` = '${first.info.run_id}'` })).ms,
        );
        const c = await call(server.url, `/api/2.0/mlx/experiments/run-counts?experiment_ids=${expId}`);
        counted = c.json.counts[expId];
        times.counts.push(c.ms);
        let token;
        let ms = 0;
        let got = 0;
        do {
          const page = await call(server.url, API, {
            experiment_ids: [expId],
            max_results: 1000,
            filter: "params.opt = 'adam'",
            order_by: ['params.batch_size ASC'],
            page_token: token,
          });
          ms += page.ms;
          got += page.json.runs.length;
          token = page.json.next_page_token;
        } while (token && got < 2000);
        times.param_sort_2000.push(ms);
      }
    } finally {
      await server.stop();
    }
    const stat = (xs) => ({ median_ms: round(median(xs), 1), p90_ms: round(quantile(xs, 0.9), 1) });
    return {
      bench: 'ui-server',
      machine: machine(),
      store: { ...rows, sweeps: RUNS / PER_SWEEP },
      rounds: ROUNDS,
      flat_page_50: stat(times.flat),
      nested_page_50: { ...stat(times.nested), trials_counted: trialCounts },
      child_counts_query: stat(times.child_counts),
      nested_over_flat: round(median(times.nested) / median(times.flat), 2),
      eager_page_50_first_design: { ...stat(times.eager), trials_loaded: children },
      eager_over_flat: round(median(times.eager) / median(times.flat), 2),
      open_one_sweep_99_trials: stat(times.open_one),
      run_counts: { ...stat(times.counts), answer: counted, runs_per_ms: round(RUNS / median(times.counts), 1) },
      param_sort_fetch_2000: stat(times.param_sort_2000),
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
