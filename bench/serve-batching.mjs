// Dynamic batching on a compute-bound MLP (256 → 1024 → 1024 → 10, Gemm + Relu, random float32
// weights from a seeded PRNG): `mlx serve` with batching (--max-batch-size 32, the default) vs
// without (--max-batch-size 1), single-row POST /invocations at 64 connections with autocannon,
// vs in-process onnxruntime at batch 32 on the same model bytes (a child process, so its
// threads and memory are gone before the next server run). The three are interleaved each
// round, order rotated; medians and ratios from the same run. A bare Hono app answering the same
// JSON for the same request is a fourth side: the HTTP ceiling of one Node process on this machine.
// Targets: batching ≥ 3× no batching; batching ≥ 0.70× in-process rows/s. p99 reported.
import fs from 'node:fs';
import path from 'node:path';
import { loadInvocations, medianOf, note, profileServe, startBareHono, startMlx } from './lib/serve-util.mjs';
import { isMain, makeTemp, median, NODE, rmTemp, rng, ROOT, round, storeEnv, timeSpawn } from './lib/util.mjs';

const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 2);
const CONNECTIONS = 64;
const DIMS = [256, 1024, 1024, 10];
const TARGET_SPEEDUP = 3;
const TARGET_SHARE = 0.7;

export async function mlpModel(file) {
  const { OnnxGraphBuilder } = await import('../dist/models/onnx/builder.js');
  const rand = rng(2024);
  const b = new OnnxGraphBuilder('mlp').input('x', 'float32', ['batch', DIMS[0]]);
  let prev = 'x';
  for (let l = 0; l < DIMS.length - 1; l++) {
    const [fanIn, fanOut] = [DIMS[l], DIMS[l + 1]];
    const scale = Math.sqrt(6 / fanIn);
    b.initializer(
      `W${l}`,
      Float32Array.from({ length: fanIn * fanOut }, () => (rand() * 2 - 1) * scale),
      [fanOut, fanIn],
    );
    b.initializer(
      `B${l}`,
      Float32Array.from({ length: fanOut }, () => (rand() * 2 - 1) * 0.1),
      [fanOut],
    );
    const last = l === DIMS.length - 2;
    const out = last ? 'y' : `h${l}`;
    b.node('Gemm', [prev, `W${l}`, `B${l}`], [last ? out : `${out}_lin`], { transB: 1 });
    if (!last) b.node('Relu', [`${out}_lin`], [out]);
    prev = out;
  }
  b.output('y', 'float32', ['batch', DIMS.at(-1)]);
  const bytes = b.toBytes();
  fs.writeFileSync(file, bytes);
  return bytes.length;
}

export function requestBody() {
  const rand = rng(99);
  return JSON.stringify({ inputs: [Array.from({ length: DIMS[0] }, () => round(rand() * 2 - 1, 4))] });
}

async function inProcess(model, batch, seconds) {
  const r = await timeSpawn(NODE, [path.join(ROOT, 'bench', 'lib', 'ort-throughput.mjs'), model, String(batch), String(seconds), String(DIMS[0])], {
    cwd: ROOT,
  });
  if (r.code !== 0) throw new Error(`ort-throughput exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function predictions(url, body) {
  const r = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}: ${await r.text()}`);
  return (await r.json()).predictions[0];
}

export async function benchServeBatching() {
  const dir = makeTemp('mlx-bench-batching-');
  const env = storeEnv(path.join(dir, '.mlx'));
  const model = path.join(dir, 'mlp.onnx');
  const servers = [];
  try {
    const modelBytes = await mlpModel(model);
    const body = requestBody();
    const batched = await startMlx(model, ['--max-batch-size', '32'], { env, name: 'mlx serve (batch 32)' });
    servers.push(batched);
    const single = await startMlx(model, ['--max-batch-size', '1'], { env, name: 'mlx serve (batch 1)' });
    servers.push(single);
    const a = await predictions(batched.url, body);
    const b = await predictions(single.url, body);
    const maxDiff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    const bare = await startBareHono('/invocations', JSON.stringify({ predictions: [a] }), { env });
    servers.push(bare);
    const rawNode = await startBareHono('/invocations', JSON.stringify({ predictions: [a] }), { env, rawNode: true });
    servers.push(rawNode);
    const urls = { batched: batched.url, single: single.url, bare: bare.url, node: rawNode.url };

    const run = (url, duration = SECONDS) => loadInvocations(url, body, { connections: CONNECTIONS, duration });
    note('batching: warm-up');
    await run(batched.url, 2);
    await run(single.url, 2);
    await run(bare.url, 2);
    await run(rawNode.url, 2);
    const res = { batched: [], single: [], bare: [], node: [], ort: [] };
    const order = ['batched', 'single', 'bare', 'node', 'ort'];
    for (let i = 0; i < ROUNDS; i++) {
      const rot = [...order.slice(i % order.length), ...order.slice(0, i % order.length)];
      for (const name of rot) {
        if (name === 'ort') {
          const r = await inProcess(model, 32, SECONDS);
          note(`batching round ${i + 1} in-process batch 32: ${r.rows_per_s} rows/s (${r.run_ms_median} ms per run)`);
          res.ort.push(r);
        } else {
          const r = await run(urls[name]);
          note(
            `batching round ${i + 1} ${name}: ${r.rps} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, non2xx ${r.non2xx}, errors ${r.errors}`,
          );
          res[name].push(r);
        }
      }
    }
    const metrics = await (await fetch(`${batched.url}/metrics`)).text();
    const batchSum = Number(/^mlx_inference_batch_size_sum(?:\{\})? (\S+)/m.exec(metrics)?.[1]);
    const batchCount = Number(/^mlx_inference_batch_size_count(?:\{\})? (\S+)/m.exec(metrics)?.[1]);
    for (const s of servers.splice(0)) await s.stop();
    // Context: what one-row runs cost in-process (the best a server without batching could do).
    const ort1 = await inProcess(model, 1, 3);

    const batchedRps = median(res.batched.map((r) => r.rps));
    const singleRps = median(res.single.map((r) => r.rps));
    const ortRows = median(res.ort.map((r) => r.rows_per_s));
    const speedup = batchedRps / singleRps;
    const share = batchedRps / ortRows;
    const ok = (runs) => runs.every((r) => r.non2xx === 0 && r.errors === 0);
    const result = {
      model: `MLP ${DIMS.join(' → ')} (Gemm + Relu, float32, ${round(modelBytes / 2 ** 20, 1)} MB), served from a .onnx file`,
      request: `POST /invocations {"inputs": [[256 floats]]} (${body.length} bytes), one row per request`,
      load: `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds of (batching, no batching, bare Hono, bare node:http, in-process) with the order rotated, 2 s warm-up per server`,
      batched_vs_single_max_abs_diff: maxDiff,
      with_batching: {
        flags: '--max-batch-size 32 (default), --max-batch-delay-ms 2 (default)',
        rps: medianOf(res.batched, (r) => r.rps),
        latency_p50_ms: medianOf(res.batched, (r) => r.latency_ms.p50),
        latency_p99_ms: medianOf(res.batched, (r) => r.latency_ms.p99),
        mean_rows_per_inference: round(batchSum / batchCount, 1),
        non2xx: res.batched.reduce((n, r) => n + r.non2xx, 0),
      },
      without_batching: {
        flags: '--max-batch-size 1',
        rps: medianOf(res.single, (r) => r.rps),
        latency_p50_ms: medianOf(res.single, (r) => r.latency_ms.p50),
        latency_p99_ms: medianOf(res.single, (r) => r.latency_ms.p99),
        non2xx: res.single.reduce((n, r) => n + r.non2xx, 0),
      },
      bare_hono_same_request: {
        what: 'HTTP ceiling: bench/lib/bare-hono.mjs parses the same request body and returns the same JSON, no model',
        rps: medianOf(res.bare, (r) => r.rps),
        latency_p99_ms: medianOf(res.bare, (r) => r.latency_ms.p99),
        share_of_in_process: round(median(res.bare.map((r) => r.rps)) / ortRows, 3),
      },
      bare_node_http_same_request: {
        what: 'the ceiling of any Node server here: plain node:http reads and parses the same body and writes the same JSON (autocannon shares the 2 cores)',
        rps: medianOf(res.node, (r) => r.rps),
        latency_p99_ms: medianOf(res.node, (r) => r.latency_ms.p99),
        share_of_in_process: round(median(res.node.map((r) => r.rps)) / ortRows, 3),
      },
      in_process_batch_32: {
        what: 'onnxruntime-node in a child process, same model bytes and session options, one [32, 256] tensor, session.run back to back',
        rows_per_s: { median: round(ortRows, 1), runs: res.ort.map((r) => r.rows_per_s) },
        run_ms_median: median(res.ort.map((r) => r.run_ms_median)),
      },
      in_process_batch_1_context: { rows_per_s: ort1.rows_per_s, run_ms_median: ort1.run_ms_median },
      ratio_batching_to_no_batching: round(speedup, 2),
      ratio_batching_to_in_process: round(share, 3),
      target_ratio_batching_to_no_batching: TARGET_SPEEDUP,
      target_ratio_batching_to_in_process: TARGET_SHARE,
      pass_speedup: speedup >= TARGET_SPEEDUP && ok(res.batched) && ok(res.single),
      pass_share: share >= TARGET_SHARE && ok(res.batched),
    };
    if (process.env.BENCH_PROFILE === '1' || !result.pass_share || !result.pass_speedup) {
      note('batching: profiling one more batched run (node --cpu-prof)');
      result.profile = await profileServe(model, ['--max-batch-size', '32'], { env, dir, loadOnce: (url) => run(url) });
    }
    return result;
  } finally {
    for (const s of servers) await s.stop();
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServeBatching(), null, 2)}\n`);
}
