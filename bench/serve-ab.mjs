// A/B of `mlx serve` variants on one serving workload, interleaved round by round: for trying a
// change to src/ (build it elsewhere, point a variant's "bin" at that copy's bin/mlx.js) or a
// flag, against the current build, under the same machine noise. Not part of run-all.
//   node bench/serve-ab.mjs images '[{"name":"current"},{"name":"threads 1","args":["--threads","1"]},{"name":"seed","seed":true}]'
//   node bench/serve-ab.mjs mlp '[{"name":"current"},{"name":"candidate","bin":"/tmp/cand/bin/mlx.js"},{"name":"bare","bare":true}]'
// Workloads: images (ResNet-18 + 640×480 JPEG, /predict, 8 connections; a variant may be the
// seed server), mlp (256 → 1024 → 1024 → 10, single-row /invocations, 64 connections; a variant
// may be the bare Hono app). BENCH_AB_SECONDS (10) and BENCH_AB_ROUNDS (3).
import fs from 'node:fs';
import path from 'node:path';
import { multipartBody, photoJpeg } from './lib/images.mjs';
import { load, medianOf, note, startBareHono, startMlx } from './lib/serve-util.mjs';
import { isMain, makeTemp, rmTemp, round, storeEnv } from './lib/util.mjs';
import { mlpModel, requestBody } from './serve-batching.mjs';
import { exportModel, SPEC, startSeed } from './serve-images.mjs';

const SECONDS = Number(process.env.BENCH_AB_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 3);

async function workload(kind, dir) {
  if (kind === 'images') {
    await exportModel(dir);
    const mp = multipartBody('file', 'photo.jpg', 'image/jpeg', await photoJpeg(640, 480, 1));
    return {
      model: path.join(dir, 'model.onnx'),
      args: ['--preprocess', SPEC, '--labels', path.join(dir, 'labels.txt')],
      request: { path: '/predict', connections: 8, headers: { 'content-type': mp.contentType }, body: mp.body },
      seedState: path.join(dir, 'model_state.pt'),
    };
  }
  if (kind === 'mlp') {
    const model = path.join(dir, 'mlp.onnx');
    await mlpModel(model);
    return { model, args: [], request: { path: '/invocations', connections: 64, headers: { 'content-type': 'application/json' }, body: requestBody() } };
  }
  throw new Error(`unknown workload ${kind}: images or mlp`);
}

export async function benchServeAb(kind, variants) {
  const dir = makeTemp('mlx-bench-ab-');
  const env = storeEnv(path.join(dir, '.mlx'));
  const servers = [];
  try {
    const w = await workload(kind, dir);
    let answer;
    for (const v of variants) {
      let s;
      if (v.seed) s = await startSeed(w.seedState, v.torch_threads);
      else if (v.bare) s = null;
      else s = await startMlx(w.model, [...w.args, ...(v.args ?? [])], { env: { ...env, ...(v.env ?? {}) }, bin: v.bin ?? undefined, name: v.name });
      if (s && !answer && !v.seed) {
        const r = await fetch(`${s.url}${w.request.path}`, { method: 'POST', headers: w.request.headers, body: w.request.body });
        answer = await r.text();
      }
      servers.push(s ? { ...s, variant: v } : { variant: v });
    }
    for (const s of servers) if (s.variant.bare) Object.assign(s, await startBareHono(w.request.path, answer ?? '{}', { env }));
    const run = (url, duration) => load({ url: `${url}${w.request.path}`, method: 'POST', timeout: 30, duration, ...w.request });
    for (const s of servers) await run(s.url, 2);
    const res = servers.map(() => []);
    for (let i = 0; i < ROUNDS; i++)
      for (let j = 0; j < servers.length; j++) {
        const k = (i + j) % servers.length; // rotate who goes first
        const r = await run(servers[k].url, SECONDS);
        note(`${kind} round ${i + 1} ${servers[k].variant.name}: ${r.rps} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, non2xx ${r.non2xx}`);
        res[k].push(r);
      }
    return {
      workload: kind,
      load: `autocannon, ${w.request.connections} connections, ${SECONDS} s per run, ${ROUNDS} rounds, order rotated`,
      variants: servers.map((s, k) => ({
        name: s.variant.name,
        bin: s.variant.bin,
        args: s.variant.args,
        rps: medianOf(res[k], (r) => r.rps),
        latency_p50_ms: medianOf(res[k], (r) => r.latency_ms.p50),
        latency_p99_ms: medianOf(res[k], (r) => r.latency_ms.p99),
        non2xx: res[k].reduce((n, r) => n + r.non2xx, 0),
        errors: res[k].reduce((n, r) => n + r.errors, 0),
      })),
      rps_ratio_to_first: res.map((runs) => round(medianOf(runs, (r) => r.rps).median / medianOf(res[0], (r) => r.rps).median, 2)),
    };
  } finally {
    for (const s of servers) if (s.stop) await s.stop();
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  const [kind = 'images', json = '[{"name":"current"}]'] = process.argv.slice(2);
  process.stdout.write(`${JSON.stringify(await benchServeAb(kind, JSON.parse(fs.existsSync(json) ? fs.readFileSync(json, 'utf8') : json)), null, 2)}\n`);
}
