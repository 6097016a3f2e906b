// Soak: 60 s at 64 connections against `mlx serve` on a small image model, with ~2% malformed
// requests mixed in (bad JSON, a tensor of the wrong shape, an upload that is not an image).
// Every response is checked: valid requests must all answer 200, malformed ones 400. The
// server's RSS (VmRSS from /proc/PID/status) is sampled every second.
// Targets: no valid request fails; RSS grows < 20% between second 10 and second 60.
import fs from 'node:fs';
import path from 'node:path';
import { multipartBody, smallPng } from './lib/images.mjs';
import { load, note, rssKb, startMlx } from './lib/serve-util.mjs';
import { isMain, makeTemp, rmTemp, rng, round, storeEnv } from './lib/util.mjs';

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
const CONNECTIONS = 64;
const SIZE = 16;
const LABELS = ['cat', 'dog', 'bird', 'fish', 'other'];
const SPEC = `image:${SIZE}x${SIZE},rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw`;
const TARGET_GROWTH = 0.2;
const CYCLE = 50; // one malformed request in every 50 = 2%

/** Conv 3×3 → Relu → GlobalAveragePool → Gemm: a real (tiny) image classifier, dynamic batch. */
export async function smallImageModel(file) {
  const { OnnxGraphBuilder } = await import('../dist/models/onnx/builder.js');
  const rand = rng(5);
  const r = (n, s) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);
  const bytes = new OnnxGraphBuilder('soak')
    .input('image', 'float32', ['batch', 3, SIZE, SIZE])
    .initializer('conv_W', r(8 * 3 * 9, 0.3), [8, 3, 3, 3])
    .initializer('conv_B', r(8, 0.1), [8])
    .initializer('fc_W', r(LABELS.length * 8, 0.5), [LABELS.length, 8])
    .initializer('fc_B', r(LABELS.length, 0.1), [LABELS.length])
    .node('Conv', ['image', 'conv_W', 'conv_B'], ['conv'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] })
    .node('Relu', ['conv'], ['relu'])
    .node('GlobalAveragePool', ['relu'], ['pooled'])
    .node('Flatten', ['pooled'], ['flat'], { axis: 1 })
    .node('Gemm', ['flat', 'fc_W', 'fc_B'], ['logits'], { transB: 1 })
    .output('logits', 'float32', ['batch', LABELS.length])
    .toBytes();
  fs.writeFileSync(file, bytes);
}

/** The request cycle: valid /invocations and /predict alternating, one malformed request per CYCLE, kinds rotating. */
export async function requestCycle(counts) {
  const rand = rng(77);
  const tensor = [Array.from({ length: 3 }, () => Array.from({ length: SIZE }, () => Array.from({ length: SIZE }, () => round(rand(), 3))))];
  const invocations = { method: 'POST', path: '/invocations', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: tensor }) };
  const png = multipartBody('file', 'small.png', 'image/png', await smallPng(64, 48, 3));
  const predict = { method: 'POST', path: '/predict', headers: { 'content-type': png.contentType }, body: png.body };
  const notImage = multipartBody('file', 'notes.txt', 'text/plain', Buffer.from('these bytes are not an image, just text\n'.repeat(20)));
  const malformed = [
    { kind: 'bad_json', method: 'POST', path: '/invocations', headers: { 'content-type': 'application/json' }, body: '{"inputs": [[0.1, 0.2,' },
    {
      kind: 'wrong_shape',
      method: 'POST',
      path: '/invocations',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [[0.1, 0.2, 0.3]] }),
    },
    { kind: 'not_an_image', method: 'POST', path: '/predict', headers: { 'content-type': notImage.contentType }, body: notImage.body },
  ];
  const checked = (req, kind, expected) => ({
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body,
    onResponse: (status, body) => {
      const c = (counts[kind] ??= { sent: 0, expected_status: expected, wrong_status: 0, examples: [] });
      c.sent++;
      if (status !== expected) {
        c.wrong_status++;
        if (c.examples.length < 3) c.examples.push({ status, body: String(body).slice(0, 200) });
      }
    },
  });
  const requests = [];
  for (const m of malformed)
    for (let i = 0; i < CYCLE; i++) {
      // Early in each block of CYCLE, so even a short run reaches every malformed kind.
      if (i === 16) requests.push(checked(m, m.kind, 400));
      else if (i % 2 === 0) requests.push(checked(invocations, 'valid_invocations', 200));
      else requests.push(checked(predict, 'valid_predict', 200));
    }
  return requests;
}

export async function benchServeSoak() {
  const dir = makeTemp('mlx-bench-soak-');
  const env = storeEnv(path.join(dir, '.mlx'));
  const model = path.join(dir, 'soak.onnx');
  const labels = path.join(dir, 'labels.txt');
  let server;
  try {
    await smallImageModel(model);
    fs.writeFileSync(labels, `${LABELS.join('\n')}\n`);
    server = await startMlx(model, ['--preprocess', SPEC, '--labels', labels], { env });
    const counts = {};
    const requests = await requestCycle(counts);

    const samples = [];
    const t0 = Date.now();
    const sample = () => samples.push({ t: round((Date.now() - t0) / 1000, 1), rss_mb: round(rssKb(server.pid) / 1024, 1) });
    sample();
    const timer = setInterval(sample, 1000);
    note(`soak: ${SECONDS} s at ${CONNECTIONS} connections`);
    let r;
    try {
      r = await load({ url: server.url, connections: CONNECTIONS, duration: SECONDS, requests, timeout: 10 });
    } finally {
      clearInterval(timer);
    }
    sample();
    const health = await fetch(`${server.url}/health`);
    const healthy = health.status === 200 && (await health.json()).status === 'healthy';
    await server.stop();
    server = null;

    const at = (s) => samples.reduce((best, x) => (Math.abs(x.t - s) < Math.abs(best.t - s) ? x : best));
    const rss10 = at(10);
    const rss60 = at(Math.min(60, SECONDS));
    const growth = (rss60.rss_mb - rss10.rss_mb) / rss10.rss_mb;
    const valid = ['valid_invocations', 'valid_predict'].map((k) => counts[k] ?? { sent: 0, wrong_status: 0 });
    const bad = ['bad_json', 'wrong_shape', 'not_an_image'].map((k) => counts[k] ?? { sent: 0, wrong_status: 0 });
    const validSent = valid.reduce((n, c) => n + c.sent, 0);
    const validFailed = valid.reduce((n, c) => n + c.wrong_status, 0) + r.errors + r.timeouts;
    const malformedSent = bad.reduce((n, c) => n + c.sent, 0);
    return {
      model: `Conv 3×3 → Relu → GlobalAveragePool → Gemm, input [batch, 3, ${SIZE}, ${SIZE}], served with --preprocess "${SPEC}" --labels`,
      load: `autocannon, ${CONNECTIONS} connections, ${SECONDS} s; requests cycle through valid POST /invocations (a [1,3,${SIZE},${SIZE}] tensor) and POST /predict (a 64×48 PNG) with 1 malformed request in every ${CYCLE}`,
      requests: r.requests,
      rps: r.rps,
      latency_ms: r.latency_ms,
      by_kind: counts,
      valid_sent: validSent,
      valid_failed: validFailed,
      connection_errors: r.errors,
      timeouts: r.timeouts,
      malformed_sent: malformedSent,
      malformed_share: round(malformedSent / (validSent + malformedSent), 4),
      malformed_answered_400: bad.reduce((n, c) => n + c.sent - c.wrong_status, 0),
      healthy_after: healthy,
      rss_mb: {
        start: samples[0].rss_mb,
        at_10s: rss10.rss_mb,
        at_60s: rss60.rss_mb,
        max: Math.max(...samples.map((s) => s.rss_mb)),
        every_5s: samples.filter((s) => Math.round(s.t) % 5 === 0).map((s) => [Math.round(s.t), s.rss_mb]),
      },
      rss_growth_10s_to_60s: round(growth, 4),
      target_rss_growth: TARGET_GROWTH,
      pass_no_valid_failures: validFailed === 0 && validSent > 0 && healthy,
      pass_rss: growth < TARGET_GROWTH,
    };
  } finally {
    if (server) await server.stop();
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchServeSoak(), null, 2)}\n`);
}
