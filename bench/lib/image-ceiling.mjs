// The ceiling of the image benchmark: in-process sharp + onnxruntime on the same JPEG, no HTTP.
// CONCURRENCY loops, each: BATCH images through imageToTensor (mlx's own preprocessing,
// dist/serving/image-preprocess.js) at once, then one session.run of the batch (same session options
// as mlx serve), for SECONDS after a warm-up. With 2 loops of 4 one batch decodes while the other
// runs, as in the server.
// Usage: node bench/lib/image-ceiling.mjs MODEL.onnx IMAGE.jpg SPEC SECONDS CONCURRENCY [BATCH] → one JSON line.
import fs from 'node:fs';
import ort from 'onnxruntime-node';
import { imageToTensor } from '../../dist/serving/image-preprocess.js';
import { parsePreprocessSpec } from '../../dist/models/preprocess-spec.js';
import { round } from './util.mjs';

const [model, image, specText, secondsArg, concurrencyArg, batchArg = '1'] = process.argv.slice(2);
const BATCH = Number(batchArg);
const spec = parsePreprocessSpec(specText);
const bytes = new Uint8Array(fs.readFileSync(image));
const session = await ort.InferenceSession.create(fs.readFileSync(model), {
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const input = session.inputNames[0];

async function once() {
  const ts = await Promise.all(Array.from({ length: BATCH }, () => imageToTensor(bytes, spec)));
  const data = new Float32Array(ts.reduce((n, t) => n + t.data.length, 0));
  ts.forEach((t, i) => data.set(t.data, i * t.data.length));
  await session.run({ [input]: new ort.Tensor('float32', data, [BATCH, ...ts[0].dims.slice(1)]) });
}

for (let i = 0; i < 3; i++) await once();
let images = 0;
const t0 = process.hrtime.bigint();
const end = t0 + BigInt(Math.round(Number(secondsArg) * 1e9));
await Promise.all(
  Array.from({ length: Number(concurrencyArg) }, async () => {
    while (process.hrtime.bigint() < end) {
      await once();
      images += BATCH;
    }
  }),
);
const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
// Preprocessing alone, one at a time, for the share of time it takes.
const pre = [];
for (let i = 0; i < 20; i++) {
  const t = process.hrtime.bigint();
  await imageToTensor(bytes, spec);
  pre.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const inf = [];
const one = await imageToTensor(bytes, spec);
for (let i = 0; i < 20; i++) {
  const t = process.hrtime.bigint();
  await session.run({ [input]: new ort.Tensor('float32', one.data, one.dims) });
  inf.push(Number(process.hrtime.bigint() - t) / 1e6);
}
await session.release();
pre.sort((a, b) => a - b);
inf.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    images,
    seconds: round(elapsed, 2),
    images_per_s: round(images / elapsed, 1),
    concurrency: Number(concurrencyArg),
    batch: BATCH,
    preprocess_ms_median_alone: round(pre[10], 2),
    inference_ms_median_alone: round(inf[10], 2),
  })}\n`,
);
