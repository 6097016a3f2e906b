// Inference logging overhead: `mlx serve` on a tiny model (4 → 3 Gemm) with and without
// `--log-inputs --sample-rate 1`, same model, same request (POST /invocations dataframe_split
// with 4 named columns, one row), each with its own store. autocannon, 64 connections, ~10 s per
// run; every round starts both servers afresh in alternating order (two long-lived servers on a
// small machine showed a steady ±20% bias between the processes even with identical flags);
// medians and the ratio from the same run. --log-max-rows is set below what a run sends, so
// retention deletes rows throughout (a long-running server's steady state). Then the sink alone,
// in process: its cost per record on the serving thread and its writer thread's rate.
// Target: logging costs < 10% of throughput.
import path from 'node:path';
import { cpuMs, loadInvocations, note, side, startMlx } from './lib/serve-util.mjs';
import { isMain, makeTemp, median, openDb, rmTemp, rng, round, storeEnv } from './lib/util.mjs';

const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 3);
const CONNECTIONS = 64;
const MAX_ROWS = 50_000;
const TARGET = 0.9;
const REQUEST = JSON.stringify({ dataframe_split: { columns: ['age', 'income', 'score', 'clicks'], data: [[0.5, -1.25, 2, 0.75]] } });

async function tinyModel(file) {
  const fs = await import('node:fs');
  const { OnnxGraphBuilder } = await import('../dist/models/onnx/builder.js');
  const rand = rng(7);
  const bytes = new OnnxGraphBuilder('tiny')
    .input('x', 'float32', ['batch', 4])
    .initializer(
      'W',
      Float32Array.from({ length: 12 }, () => rand() * 2 - 1),
      [3, 4],
    )
    .initializer(
      'B',
      Float32Array.from({ length: 3 }, () => rand() * 2 - 1),
      [3],
    )
    .node('Gemm', ['x', 'W', 'B'], ['y'], { transB: 1 })
    .output('y', 'float32', ['batch', 3])
    .toBytes();
  fs.writeFileSync(file, bytes);
}

function run(url, duration = SECONDS) {
  return loadInvocations(url, REQUEST, { connections: CONNECTIONS, duration });
}

async function loggedRows(storeDir) {
  const db = await openDb(storeDir);
  try {
    return db.prepare('SELECT count(*) FROM inference_log').pluck().get();
  } finally {
    db.close();
  }
}

/** One fresh server per side and round, started and measured in alternating order: no side keeps a warm process or a lucky core. */
async function measureRound(model, dir, i, sides) {
  const order = i % 2 === 0 ? ['plain', 'logged'] : ['logged', 'plain'];
  const servers = {};
  try {
    for (const name of order) {
      const args = name === 'logged' ? ['--log-inputs', '--sample-rate', '1', '--log-max-rows', String(MAX_ROWS)] : [];
      servers[name] = await startMlx(model, args, { env: storeEnv(path.join(dir, name, '.mlx')), name: `mlx serve (${name})` });
      const r = await fetch(`${servers[name].url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: REQUEST });
      if (r.status !== 200) throw new Error(`${name} answered ${r.status}: ${await r.text()}`);
    }
    for (const name of order) await run(servers[name].url, 2);
    for (const name of order) {
      const cpu0 = cpuMs(servers[name].pid);
      const r = await run(servers[name].url);
      r.cpu_us_per_request = round(((cpuMs(servers[name].pid) - cpu0) * 1000) / r.requests, 1);
      note(
        `logging round ${i + 1} ${name}: ${r.rps} req/s, ${r.cpu_us_per_request} µs CPU/request, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, non2xx ${r.non2xx}, errors ${r.errors}`,
      );
      sides[name].push(r);
    }
    return servers.logged.stderr();
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
}

/**
 * The sink alone, in this process, on records like the ones serving hands it: the serving
 * thread's cost per record (sampling, encoding rows, handing them to the writer thread; all but the
 * handing over happens in record(), on the answer's path) and the writer thread's rate (rows
 * committed per second, retention deleting throughout).
 */
async function sinkCost(dir) {
  const { SqliteStore } = await import('../dist/store/sqlite/sqlite-store.js');
  const store = new SqliteStore(path.join(dir, 'sink', '.mlx'));
  const log = await (await store.inferenceLog()).openSink({ sampleRate: 1, maxRows: MAX_ROWS });
  const N = 200_000;
  const columns = ['age', 'income', 'score', 'clicks'];
  const started = performance.now();
  let inRecord = 0;
  for (let i = 0; i < N; i += 100) {
    const t = performance.now();
    for (let j = i; j < i + 100; j++)
      log.record({
        requestId: `00000000-0000-4000-8000-${String(j).padStart(12, '0')}`,
        timestamp: Date.now(),
        route: '/invocations',
        model: 'tiny',
        version: null,
        variant: 'tiny',
        shadow: false,
        latencyMs: 1.25,
        columns,
        rows: [[0.5, -1.25, 2, 0.75]],
        predictions: [[0.1, 0.2, 0.7]],
      });
    inRecord += performance.now() - t;
    // A turn of the event loop, as serving has between batches of requests (the writer's timer and answers run there).
    await new Promise((r) => setImmediate(r));
  }
  const serving = performance.now() - started;
  await log.close();
  const total = performance.now() - started;
  await store.close();
  return {
    records: N,
    serving_thread_us_per_record: round2((serving * 1000) / N),
    of_which_on_the_answer_path_us: round2((inRecord * 1000) / N),
    writer_rows_per_s: Math.round(N / (total / 1000)),
  };
}

const round2 = (x) => round(x, 2);

export async function benchServeLogging() {
  const dir = makeTemp('mlx-bench-logging-');
  const model = path.join(dir, 'tiny.onnx');
  try {
    await tinyModel(model);
    const sides = { plain: [], logged: [] };
    let stderr = '';
    for (let i = 0; i < ROUNDS; i++) stderr = await measureRound(model, dir, i, sides);
    const rows = await loggedRows(path.join(dir, 'logged', '.mlx'));
    const ratio = median(sides.logged.map((r) => r.rps)) / median(sides.plain.map((r) => r.rps));
    note('logging: the sink alone, in process');
    const sink = await sinkCost(dir);
    return {
      model: 'Gemm 4 → 3 (float32, dynamic batch) from a .onnx file, default batching flags',
      request: `POST /invocations ${REQUEST}`,
      load: `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per run; each of ${ROUNDS} rounds starts both servers afresh (order alternating), warms each 2 s, measures each once`,
      without_logging: side(sides.plain),
      with_logging: { flags: `--log-inputs --sample-rate 1 --log-max-rows ${MAX_ROWS}`, ...side(sides.logged) },
      ratio_logged_to_plain: round(ratio, 3),
      ratio_per_round: sides.logged.map((r, i) => round(r.rps / sides.plain[i].rps, 3)),
      // The server's CPU per request (all threads): the cost of logging that the load on a shared machine does not blur.
      cpu_us_per_request: { plain: median(sides.plain.map((r) => r.cpu_us_per_request)), logged: median(sides.logged.map((r) => r.cpu_us_per_request)) },
      cpu_ratio_plain_to_logged: round(median(sides.plain.map((r) => r.cpu_us_per_request)) / median(sides.logged.map((r) => r.cpu_us_per_request)), 3),
      overhead_percent: round((1 - ratio) * 100, 1),
      rows_in_log_after_last_round: rows,
      retention_held: rows <= MAX_ROWS,
      dropped_warnings: (stderr.match(/dropped \d+ rows/g) ?? []).length,
      sink_alone: sink,
      target_ratio: TARGET,
      pass: ratio >= TARGET && rows <= MAX_ROWS && [...sides.plain, ...sides.logged].every((r) => r.non2xx === 0 && r.errors === 0),
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServeLogging(), null, 2)}\n`);
}
