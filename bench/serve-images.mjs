// Images: `mlx serve` vs the seed's FastAPI + PyTorch server on the same ResNet-18 weights.
// bench/lib/export-resnet18.py builds torchvision's resnet18(num_classes=5) from a fixed seed,
// saves the state dict and exports ONNX; bench/lib/seed_server.py (the seed's code) loads the
// state dict under /usr/bin/python3 -m uvicorn (one worker); mlx serves the .onnx with the
// seed's preprocessing as a spec. Both get multipart POST /predict of the same 640×480 JPEG at
// 8 connections (autocannon, body built once), alternated A B A B. Also: the label both give,
// the share of request time mlx spends preprocessing (from its /metrics), and the ceiling:
// in-process sharp + onnxruntime (mlx's imageToTensor, then session.run), 8 concurrent loops.
// Targets: mlx req/s ≥ 1.5× seed; mlx p99 ≤ 0.5× seed p99.
import fs from 'node:fs';
import path from 'node:path';
import { multipartBody, photoJpeg } from './lib/images.mjs';
import { freePort, load, note, parseProm, profileServe, promValue, side, startMlx, startServer } from './lib/serve-util.mjs';
import { isMain, makeTemp, median, NODE, rmTemp, ROOT, round, storeEnv, timeSpawn } from './lib/util.mjs';

const PYTHON = '/usr/bin/python3';
const SECONDS = Number(process.env.BENCH_IMAGES_SECONDS ?? 15);
const ROUNDS = Number(process.env.BENCH_IMAGES_ROUNDS ?? 2);
const CONNECTIONS = 8;
export const SPEC = 'image:224x224,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw';
const TARGET_RPS = 1.5;
const TARGET_P99 = 0.5;

export async function exportModel(dir) {
  const r = await timeSpawn(PYTHON, [path.join(ROOT, 'bench', 'lib', 'export-resnet18.py'), dir], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.code !== 0) throw new Error(`export-resnet18.py exited ${r.code}: ${r.stderr}`);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), export_ms: round(r.ms, 0) };
}

export async function startSeed(state, threads) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, SEED_MODEL_STATE: state, PYTHONDONTWRITEBYTECODE: '1' };
  delete env.SEED_TORCH_THREADS;
  if (threads) env.SEED_TORCH_THREADS = String(threads);
  const server = await startServer(
    'seed (FastAPI + PyTorch)',
    PYTHON,
    ['-m', 'uvicorn', 'seed_server:app', '--host', '127.0.0.1', '--port', String(port), '--workers', '1'],
    {
      env,
      cwd: path.join(ROOT, 'bench', 'lib'),
      readyUrl: `${url}/health`,
      timeoutMs: 120_000,
    },
  );
  const m = /get_num_threads\(\)=(\d+) get_num_interop_threads\(\)=(\d+)/.exec(server.stderr());
  return { ...server, url, torch_threads: m ? { num_threads: Number(m[1]), num_interop_threads: Number(m[2]) } : null };
}

async function predictOnce(url, mp) {
  const r = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': mp.contentType }, body: mp.body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${url}/predict answered ${r.status}: ${text}`);
  return JSON.parse(text);
}

async function inProcessCeiling(model, image, seconds, loops, batch) {
  const r = await timeSpawn(NODE, [path.join(ROOT, 'bench', 'lib', 'image-ceiling.mjs'), model, image, SPEC, String(seconds), String(loops), String(batch)], {
    cwd: ROOT,
  });
  if (r.code !== 0) throw new Error(`image-ceiling exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function mlxMetrics(url) {
  const prom = parseProm(await (await fetch(`${url}/metrics`)).text());
  return {
    preprocess_sum: promValue(prom, 'mlx_preprocess_duration_seconds_sum'),
    preprocess_count: promValue(prom, 'mlx_preprocess_duration_seconds_count'),
    request_sum: promValue(prom, 'mlx_request_duration_seconds_sum', { route: '/predict' }),
    request_count: promValue(prom, 'mlx_request_duration_seconds_count', { route: '/predict' }),
    batch_sum: promValue(prom, 'mlx_inference_batch_size_sum'),
    batch_count: promValue(prom, 'mlx_inference_batch_size_count'),
  };
}

export async function benchServeImages() {
  const dir = makeTemp('mlx-bench-images-');
  const env = storeEnv(path.join(dir, '.mlx'));
  const servers = [];
  const stopAll = async () => {
    for (const s of servers.splice(0)) await s.stop();
  };
  try {
    note('images: exporting ResNet-18 (seeded weights) with torch');
    const exported = await exportModel(dir);
    const model = path.join(dir, 'model.onnx');
    const labels = path.join(dir, 'labels.txt');
    const state = path.join(dir, 'model_state.pt');
    const jpeg = await photoJpeg(640, 480, 1);
    const image = path.join(dir, 'photo.jpg');
    fs.writeFileSync(image, jpeg);
    const mp = multipartBody('file', 'photo.jpg', 'image/jpeg', jpeg);
    const mlxArgs = ['--preprocess', SPEC, '--labels', labels];

    const seed = await startSeed(state, process.env.BENCH_SEED_TORCH_THREADS);
    servers.push(seed);
    const mlx = await startMlx(model, mlxArgs, { env });
    servers.push(mlx);
    const seedAnswer = await predictOnce(seed.url, mp);
    const mlxAnswer = await predictOnce(mlx.url, mp);

    const run = (url, duration = SECONDS) =>
      load({
        url: `${url}/predict`,
        connections: CONNECTIONS,
        duration,
        method: 'POST',
        headers: { 'content-type': mp.contentType },
        body: mp.body,
        timeout: 30,
      });
    note('images: warm-up');
    await run(mlx.url, 3);
    await run(seed.url, 3);
    const before = await mlxMetrics(mlx.url);
    const res = { mlx: [], seed: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const name of ['mlx', 'seed']) {
        const r = await run(name === 'mlx' ? mlx.url : seed.url);
        note(`images round ${i + 1} ${name}: ${r.rps} req/s, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, non2xx ${r.non2xx}, errors ${r.errors}`);
        res[name].push(r);
      }
    }
    const after = await mlxMetrics(mlx.url);
    await stopAll();

    note('images: in-process ceilings (sharp + onnxruntime: 8 loops of 1 image, 2 loops of 4)');
    const single = await inProcessCeiling(model, image, Math.min(SECONDS, 10), CONNECTIONS, 1);
    const batched = await inProcessCeiling(model, image, Math.min(SECONDS, 10), 2, 4);
    const ceiling = batched.images_per_s > single.images_per_s ? batched : single;

    const mlxRps = median(res.mlx.map((r) => r.rps));
    const seedRps = median(res.seed.map((r) => r.rps));
    const mlxP99 = median(res.mlx.map((r) => r.latency_ms.p99));
    const seedP99 = median(res.seed.map((r) => r.latency_ms.p99));
    const d = (k) => after[k] - before[k];
    const rpsRatio = mlxRps / seedRps;
    const p99Ratio = mlxP99 / seedP99;
    const ok = (runs) => runs.every((r) => r.non2xx === 0 && r.errors === 0);
    const result = {
      model: `torchvision resnet18(num_classes=5), torch.manual_seed(0), ${exported.parameters.toLocaleString('en')} parameters; ONNX opset 17, dynamic batch (${round(exported.onnx_bytes / 2 ** 20, 1)} MB)`,
      image: `640×480 JPEG drawn from a seeded PRNG (${jpeg.length} bytes), multipart field "file"`,
      load: `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds alternated (mlx, seed, mlx, seed…), 3 s warm-up each`,
      torch: {
        version: exported.torch,
        torchvision: exported.torchvision,
        seed_server_threads: seed.torch_threads,
        export_process_threads: exported.torch_num_threads,
      },
      same_label: seedAnswer.label === mlxAnswer.label,
      answers: {
        seed: { label: seedAnswer.label, confidence: round(seedAnswer.confidence, 4), class_id: seedAnswer.class_id },
        mlx: { label: mlxAnswer.label, confidence: round(mlxAnswer.confidence, 4), class_id: mlxAnswer.class_id },
        confidence_diff: round(Math.abs(seedAnswer.confidence - mlxAnswer.confidence), 4),
      },
      seed: { what: 'the seed FastAPI app under /usr/bin/python3 -m uvicorn, 1 worker, PIL + torchvision transforms, torch.no_grad()', ...side(res.seed) },
      mlx_serve: {
        what: `mlx serve model.onnx --preprocess "${SPEC}" --labels labels.txt (default batching)`,
        ...side(res.mlx),
        preprocess_share_of_request_time: round(d('preprocess_sum') / d('request_sum'), 3),
        mean_preprocess_ms: round((1000 * d('preprocess_sum')) / d('preprocess_count'), 1),
        mean_request_ms: round((1000 * d('request_sum')) / d('request_count'), 1),
        mean_images_per_inference: round(d('batch_sum') / d('batch_count'), 2),
      },
      in_process_ceiling: {
        what: 'sharp + onnxruntime in one process, no HTTP, same session options as mlx serve: the faster of 8 loops of (imageToTensor, session.run of 1 image) and 2 loops of (4 × imageToTensor at once, session.run of the 4)',
        ...ceiling,
        runs: { batch_1_x8: single.images_per_s, batch_4_x2: batched.images_per_s },
      },
      mlx_share_of_ceiling: round(mlxRps / ceiling.images_per_s, 3),
      ratio_rps_mlx_to_seed: round(rpsRatio, 2),
      ratio_p99_mlx_to_seed: round(p99Ratio, 2),
      target_ratio_rps: TARGET_RPS,
      target_ratio_p99: TARGET_P99,
      pass_rps: rpsRatio >= TARGET_RPS && ok(res.mlx),
      pass_p99: p99Ratio <= TARGET_P99 && ok(res.mlx),
      pass_same_label: seedAnswer.label === mlxAnswer.label,
    };
    if (process.env.BENCH_PROFILE === '1' || !result.pass_rps || !result.pass_p99) {
      note('images: profiling one more mlx run (node --cpu-prof)');
      result.profile = await profileServe(model, mlxArgs, { env, dir, loadOnce: (url) => run(url, 10) });
    }
    return result;
  } finally {
    await stopAll();
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServeImages(), null, 2)}\n`);
}
