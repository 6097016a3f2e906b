// Serving overhead: `mlx serve` on a tiny model (4 → 3 Gemm) vs a bare Hono app on the same
// @hono/node-server returning the same JSON body for the same POST /invocations request.
// autocannon, 64 connections, ~10 s per run, the two sides alternated (A B, B A, …) with the
// order swapped each round; medians and the ratio from the same run. Target: mlx ≥ 0.60× bare.
// With BENCH_PROFILE=1 (or when the target is missed) one more mlx run is profiled
// (node --cpu-prof on the server) and summarised by file.
import fs from 'node:fs';
import path from 'node:path';
import { loadInvocations, note, profileServe, side, startBareHono, startMlx } from './lib/serve-util.mjs';
import { isMain, makeTemp, median, rmTemp, rng, round, storeEnv } from './lib/util.mjs';

const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 3);
const CONNECTIONS = 64;
const TARGET = 0.6;
const REQUEST = JSON.stringify({ inputs: [[0.5, -1.25, 2, 0.75]] });

async function tinyModel(file) {
  const { OnnxGraphBuilder } = await import('../dist/models/onnx/builder.js');
  const rand = rng(7);
  const w = Float32Array.from({ length: 12 }, () => rand() * 2 - 1);
  const b = Float32Array.from({ length: 3 }, () => rand() * 2 - 1);
  const bytes = new OnnxGraphBuilder('tiny')
    .input('x', 'float32', ['batch', 4])
    .initializer('W', w, [3, 4])
    .initializer('B', b, [3])
    .node('Gemm', ['x', 'W', 'B'], ['y'], { transB: 1 })
    .output('y', 'float32', ['batch', 3])
    .toBytes();
  fs.writeFileSync(file, bytes);
}

async function post(url) {
  const r = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: REQUEST });
  return { status: r.status, body: await r.text() };
}

function run(url, duration = SECONDS) {
  return loadInvocations(url, REQUEST, { connections: CONNECTIONS, duration });
}

export async function benchServeOverhead() {
  const dir = makeTemp('mlx-bench-overhead-');
  const env = storeEnv(path.join(dir, '.mlx'));
  const model = path.join(dir, 'tiny.onnx');
  const servers = [];
  try {
    await tinyModel(model);
    const mlx = await startMlx(model, [], { env });
    servers.push(mlx);
    const expected = await post(mlx.url);
    if (expected.status !== 200) throw new Error(`mlx answered ${expected.status}: ${expected.body}`);
    const bare = await startBareHono('/invocations', expected.body, { env });
    servers.push(bare);
    const bareAnswer = await post(bare.url);
    if (bareAnswer.body !== expected.body) throw new Error(`bare Hono answers ${bareAnswer.body}, mlx ${expected.body}`);

    note('overhead: warm-up');
    await run(mlx.url, 2);
    await run(bare.url, 2);
    const sides = { mlx: [], bare: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? ['mlx', 'bare'] : ['bare', 'mlx'];
      for (const name of order) {
        const r = await run(name === 'mlx' ? mlx.url : bare.url);
        note(`overhead round ${i + 1} ${name}: ${r.rps} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, non2xx ${r.non2xx}, errors ${r.errors}`);
        sides[name].push(r);
      }
    }
    const metrics = await (await fetch(`${mlx.url}/metrics`)).text();
    const batchSum = Number(/^mlx_inference_batch_size_sum(?:\{\})? (\S+)/m.exec(metrics)?.[1]);
    const batchCount = Number(/^mlx_inference_batch_size_count(?:\{\})? (\S+)/m.exec(metrics)?.[1]);
    for (const s of servers.splice(0)) await s.stop();

    const mlxRps = median(sides.mlx.map((r) => r.rps));
    const bareRps = median(sides.bare.map((r) => r.rps));
    const ratio = mlxRps / bareRps;
    const perRound = sides.mlx.map((r, i) => round(r.rps / sides.bare[i].rps, 3));
    const result = {
      model: 'Gemm 4 → 3 (float32, dynamic batch), served from a .onnx file with default flags (--max-batch-size 32, --max-batch-delay-ms 2)',
      request: `POST /invocations ${REQUEST}`,
      load: `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} runs per side alternated (order swapped each round), 2 s warm-up each`,
      bare_hono: { what: 'Hono + @hono/node-server, parses the JSON body and returns the same JSON as mlx (bench/lib/bare-hono.mjs)', ...side(sides.bare) },
      mlx_serve: { ...side(sides.mlx), mean_rows_per_inference: round(batchSum / batchCount, 1) },
      ratio_mlx_to_bare: round(ratio, 3),
      ratio_per_round: perRound,
      target_ratio: TARGET,
      pass: ratio >= TARGET && sides.mlx.every((r) => r.non2xx === 0 && r.errors === 0),
    };
    if (process.env.BENCH_PROFILE === '1' || !result.pass) {
      note('overhead: profiling one more mlx run (node --cpu-prof)');
      result.profile = await profileServe(model, [], { env, dir, loadOnce: (url) => run(url) });
    }
    return result;
  } finally {
    for (const s of servers) await s.stop();
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServeOverhead(), null, 2)}\n`);
}
