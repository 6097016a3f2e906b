// Memory and event-loop cost of large tabular requests to `mlx serve` (issue 17, item 4): one POST
// /invocations of N rows of the tabular sample model (5 float32 features → 3 classes), as CSV and as
// JSON (dataframe_split), with and without --log-inputs. Each case gets a fresh server (no request
// before it but one small warm-up); RSS is sampled every 10 ms from /proc while the request runs
// (peak), and 1 s, 5 s (and for requests up to the default --max-rows, 30 s) after its answer; GET /health is sent every 25 ms meanwhile and
// its worst latency kept (the event loop's longest stall, as a client sees it). Reported: MB of RSS
// over idle per MB of body and per 100,000 rows, and how a request at the default --max-rows fares.
// --max-rows is raised for the large cases (BENCH_MEMORY_ROWS, default 100k, 400k and 1.5M rows),
// then one last server at its defaults gets the issue's 1.5M-row, 15 MB CSV, which it must refuse.
// BENCH_MLX_BIN=path/to/bin/mlx.js measures another build (one without --max-rows: the flag is left out).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MLX_BIN, note, rssKb, startMlx } from './lib/serve-util.mjs';
import { NODE, isMain, makeTemp, quantile, rmTemp, round, storeEnv } from './lib/util.mjs';

const ROWS = (process.env.BENCH_MEMORY_ROWS ?? '100000,400000,1500000').split(',').map(Number);
/** mlx serve's default --max-rows (src/serving/batch-defaults.ts). */
const DEFAULT_ROWS = 100_000;
const COLUMNS = ['age', 'income', 'score', 'clicks', 'time'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (kb) => round(kb / 1024, 1);

/** The issue's body shape: short rows of small numbers (10 bytes a CSV row), the most rows per MB. */
function body(format, rows) {
  const row = [4, 5, 6, 7, 8];
  if (format === 'csv') return Buffer.from(`${COLUMNS.join(',')}\n${`${row.join(',')}\n`.repeat(rows)}`);
  const data = `[${row.join(',')}],`.repeat(rows).slice(0, -1);
  return Buffer.from(`{"dataframe_split":{"columns":${JSON.stringify(COLUMNS)},"data":[${data}]}}`);
}

/** Does this build take --max-rows? (A build from before the flag does not.) */
function hasMaxRows() {
  const r = spawnSync(NODE, [MLX_BIN, 'serve', '--help'], { encoding: 'utf8' });
  return r.stdout.includes('--max-rows');
}

/** One request on a fresh server: peak and after RSS, the worst /health latency while it ran, its status and time. */
async function measure(model, dir, name, format, rows, args, opts = {}) {
  const server = await startMlx(model, args, { env: storeEnv(path.join(dir, name, '.mlx')), name: `mlx serve (${name})` });
  try {
    const payload = body(format, rows);
    const type = format === 'csv' ? 'text/csv' : 'application/json';
    const warm = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': type }, body: body(format, 10) });
    if (warm.status !== 200) throw new Error(`${name}: warm-up answered ${warm.status}: ${await warm.text()}`);
    await sleep(500);
    const idle = rssKb(server.pid);
    let peak = idle;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssKb(server.pid));
      } catch {
        // the process is gone; the request below says why
      }
    }, 10);
    let done = false;
    const health = [];
    const prober = (async () => {
      while (!done) {
        const t0 = process.hrtime.bigint();
        const r = await fetch(`${server.url}/health`);
        await r.arrayBuffer();
        health.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await sleep(25);
      }
    })();
    const t0 = process.hrtime.bigint();
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': type }, body: payload });
    const text = await res.text();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    done = true;
    await prober;
    await sleep(1000);
    const after1 = rssKb(server.pid);
    await sleep(4000);
    const after5 = rssKb(server.pid);
    // V8 gives freed heap pages back to the system when its memory reducer runs, some seconds after the
    // process goes idle: wait for it where it is cheap to (requests up to the default --max-rows).
    let after30 = null;
    if (opts.long) {
      await sleep(25_000);
      after30 = rssKb(server.pid);
    }
    clearInterval(sampler);
    const bodyMb = payload.length / 1024 / 1024;
    const over = peak - idle;
    const result = {
      format,
      rows,
      body_mb: round(bodyMb, 2),
      status: res.status,
      ...(res.status === 200 ? {} : { message: JSON.parse(text).message }),
      seconds: round(seconds, 2),
      idle_rss_mb: mb(idle),
      peak_rss_mb: mb(peak),
      rss_after_1s_mb: mb(after1),
      rss_after_5s_mb: mb(after5),
      ...(after30 === null ? {} : { rss_after_30s_mb: mb(after30) }),
      peak_over_idle_mb_per_body_mb: round(over / 1024 / bodyMb, 1),
      peak_over_idle_mb_per_100k_rows: round((over / 1024 / rows) * 100_000, 1),
      health_ms: { probes: health.length, p50: round(quantile(health, 0.5), 1), max: round(Math.max(...health), 1) },
    };
    note(
      `${name}: ${rows} rows, ${result.body_mb} MB → ${res.status} in ${result.seconds} s; RSS ${result.idle_rss_mb} → peak ${result.peak_rss_mb} → ${result.rss_after_5s_mb} MB 5 s later${after30 === null ? '' : `, ${result.rss_after_30s_mb} MB 30 s later`}; /health worst ${result.health_ms.max} ms`,
    );
    return result;
  } finally {
    await server.stop();
  }
}

export async function benchServeMemory() {
  const dir = makeTemp('mlx-bench-memory-');
  const model = path.join(dir, 'tabular.onnx');
  try {
    const { tabularClassifierOnnx, trainTabularClassifier, seedDriftData } = await import('../dist/models/onnx/sample-models.js');
    fs.writeFileSync(model, tabularClassifierOnnx(trainTabularClassifier(seedDriftData(300, 1))));
    const limited = hasMaxRows();
    const cases = [];
    for (const rows of ROWS)
      for (const format of ['csv', 'json'])
        for (const logged of [false, true]) {
          const args = [...(limited ? ['--max-rows', String(Math.max(...ROWS))] : []), ...(logged ? ['--log-inputs'] : [])];
          cases.push({
            logged,
            ...(await measure(model, dir, `${format}-${rows}${logged ? '-logged' : ''}`, format, rows, args, { long: rows <= DEFAULT_ROWS })),
          });
        }
    const defaults = limited ? await measure(model, dir, 'defaults', 'csv', 1_500_000, ['--log-inputs']) : null;
    // The default --max-rows is sized from the costliest path per row: a request at the limit stays within the budget.
    const worst = Math.max(...cases.filter((c) => c.status === 200).map((c) => c.peak_over_idle_mb_per_100k_rows));
    return {
      model: 'tabular sample model: features float32 [batch, 5] → probabilities float32 [batch, 3], registered feature names',
      build: MLX_BIN,
      request: 'POST /invocations of N rows "4,5,6,7,8": text/csv (10 bytes a row) or {"dataframe_split": …} (12 bytes a row)',
      method: 'a fresh server per case, one warm-up request; RSS from /proc every 10 ms; GET /health every 25 ms while the request runs',
      cases,
      worst_peak_over_idle_mb_per_100k_rows: worst,
      budget_mb_per_request: 256,
      rows_within_budget: Math.floor((256 / worst) * 100_000),
      defaults_issue_request: defaults,
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServeMemory(), null, 2)}\n`);
}
