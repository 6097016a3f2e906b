// Image bombs against `mlx serve` (issue 17, items 2 and 15): while each bomb request is sent and
// answered, GET /health is asked over and over (one at a time, 10 ms apart) and its latency kept;
// the server's peak RSS (VmHWM) and the CPU its main thread used are read from /proc. Each scenario
// gets a fresh server, so the peak is that scenario's. The model is a small classifier at the
// seed's 224×224 input (GlobalAveragePool → Gemm), served from a file with the seed's spec.
// Scenarios: the 10000×10000 transparent PNG, ten of them in one request, the 1×100,000,000
// PNG, 10,000 tiny images in one request, and (within the limits) 8 requests at once each with a
// 6324×6324 transparent PNG, the most memory the default limits let uploads take. Target: /health
// under 100 ms throughout (and a peak RSS that fits the 1 GiB pod mlx containerize generates).
// BENCH_MLX_BIN=<other checkout>/bin/mlx.js measures another build (e.g. the one before the fix);
// BENCH_BOMBS=bomb,limit_x8 runs only those scenarios.
import fs from 'node:fs';
import path from 'node:path';
import { blackGreyPng, imagesForm, transparentPng } from './lib/image-bombs.mjs';
import { note, startMlx } from './lib/serve-util.mjs';
import { isMain, machine, makeTemp, quantile, rmTemp, rng, round, storeEnv } from './lib/util.mjs';

const SPEC = 'image:224x224,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw';
const LABELS = ['cat', 'dog', 'bird', 'fish', 'other'];
const HEALTH_TARGET_MS = 100;
const REQUEST_TIMEOUT_MS = 300_000;

async function model(file) {
  const { OnnxGraphBuilder } = await import('../dist/models/onnx/builder.js');
  const rand = rng(11);
  const bytes = new OnnxGraphBuilder('bombs')
    .input('image', 'float32', ['batch', 3, 224, 224])
    .initializer(
      'fc_W',
      Float32Array.from({ length: LABELS.length * 3 }, () => rand() * 2 - 1),
      [LABELS.length, 3],
    )
    .initializer(
      'fc_B',
      Float32Array.from({ length: LABELS.length }, () => rand() * 0.2),
      [LABELS.length],
    )
    .node('GlobalAveragePool', ['image'], ['pooled'])
    .node('Flatten', ['pooled'], ['flat'], { axis: 1 })
    .node('Gemm', ['flat', 'fc_W', 'fc_B'], ['logits'], { transB: 1 })
    .output('logits', 'float32', ['batch', LABELS.length])
    .toBytes();
  fs.writeFileSync(file, bytes);
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: round(kb('VmRSS') / 1024, 0), peak: round(kb('VmHWM') / 1024, 0) };
}

/** CPU seconds of a process and of its main thread (utime + stime, 100 ticks/s). */
function cpu(pid) {
  const read = (file) => {
    const stat = fs.readFileSync(file, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  return { process: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}

/** Asks /health one request at a time until stop() and returns the latencies in ms. */
function probeHealth(url) {
  const latencies = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const t0 = performance.now();
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await r.arrayBuffer();
      latencies.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  return async () => {
    running = false;
    await done;
    return latencies;
  };
}

async function scenario(name, what, forms, env, file) {
  const server = await startMlx(file, ['--preprocess', SPEC, '--labels', path.join(path.dirname(file), 'labels.txt')], { env });
  try {
    const before = { memory: memory(server.pid), cpu: cpu(server.pid) };
    const stop = probeHealth(server.url);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const answers = await Promise.all(
      forms.map(async (form) => {
        try {
          const r = await fetch(`${server.url}/predict`, {
            method: 'POST',
            headers: { 'content-type': form.contentType },
            body: form.body,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const body = await r.json().catch(() => null);
          return { status: r.status, ms: performance.now() - t0, message: body?.message ?? null };
        } catch (err) {
          return { status: null, ms: performance.now() - t0, message: String(err?.cause?.message ?? err?.message ?? err) };
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const health = await stop();
    const after = { memory: memory(server.pid), cpu: cpu(server.pid) };
    const statuses = {};
    for (const a of answers) statuses[a.status ?? 'failed'] = (statuses[a.status ?? 'failed'] ?? 0) + 1;
    const result = {
      what,
      statuses,
      answered_ms: round(Math.max(...answers.map((a) => a.ms)), 0),
      message: answers[0].message,
      health_ms: { n: health.length, p50: round(quantile(health, 0.5), 1), p99: round(quantile(health, 0.99), 1), max: round(Math.max(...health), 1) },
      rss_mb: { before: before.memory.rss, peak: after.memory.peak },
      cpu_s: { process: round(after.cpu.process - before.cpu.process, 2), main_thread: round(after.cpu.main - before.cpu.main, 2) },
    };
    note(`${name}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await server.stop();
  }
}

export async function benchServeImageBombs() {
  const dir = makeTemp('mlx-bench-bombs-');
  const env = storeEnv(path.join(dir, '.mlx'));
  const file = path.join(dir, 'bombs.onnx');
  try {
    await model(file);
    fs.writeFileSync(path.join(dir, 'labels.txt'), `${LABELS.join('\n')}\n`);
    note('bombs: making the images');
    const bomb = await transparentPng(10_000, 10_000);
    const strip = await blackGreyPng(1, 100_000_000);
    const tiny = await transparentPng(1, 1);
    const atLimit = await transparentPng(6324, 6324);
    const scenarios = {};
    const only = process.env.BENCH_BOMBS?.split(',');
    const run = async (name, what, forms) => {
      if (!only || only.includes(name)) scenarios[name] = await scenario(name, what, forms, env, file);
    };
    await run('bomb', `one 10000×10000 transparent PNG (${round(bomb.length / 1024, 0)} KB)`, [imagesForm([bomb])]);
    await run('ten_bombs', 'ten of them in one request', [imagesForm(Array.from({ length: 10 }, () => bomb))]);
    await run('strip', `one 1×100,000,000 greyscale PNG (${round(strip.length / 1024, 0)} KB)`, [imagesForm([strip])]);
    await run('tiny_10k', `10,000 1×1 PNGs (${tiny.length} bytes each) in one request`, [imagesForm(Array.from({ length: 10_000 }, () => tiny))]);
    await run(
      'limit_x8',
      `8 requests at once, each one 6324×6324 transparent PNG (40.0 Mpx: just within the default limit; ${round(atLimit.length / 1024, 0)} KB)`,
      Array.from({ length: 8 }, () => imagesForm([atLimit])),
    );
    const worst = Math.max(...Object.values(scenarios).map((s) => s.health_ms.max));
    const worstP99 = Math.max(...Object.values(scenarios).map((s) => s.health_ms.p99));
    return {
      machine: machine(),
      build: process.env.BENCH_MLX_BIN ?? 'this checkout',
      model: `GlobalAveragePool → Gemm on float32 [batch, 3, 224, 224], --preprocess ${SPEC}, default flags`,
      health_probe: 'GET /health one at a time, 10 ms apart, from 200 ms before the bomb until 200 ms after its answer',
      scenarios,
      health_max_ms: worst,
      health_p99_ms: worstP99,
      target_health_ms: HEALTH_TARGET_MS,
      // The max is one sample: on a shared machine the scheduler alone can exceed the target.
      pass_max: worst < HEALTH_TARGET_MS,
      pass_p99: worstP99 < HEALTH_TARGET_MS,
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServeImageBombs(), null, 2)}\n`);
}
