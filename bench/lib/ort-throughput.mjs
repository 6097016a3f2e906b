// In-process onnxruntime throughput, the ceiling the batching benchmark compares the server to:
// one session (same options as mlx serve: graphOptimizationLevel 'all', default threads), one
// input tensor of BATCH rows made once, session.run back to back for SECONDS after a warm-up.
// Usage: node bench/lib/ort-throughput.mjs MODEL.onnx BATCH SECONDS WIDTH → one JSON line on stdout.
import fs from 'node:fs';
import ort from 'onnxruntime-node';
import { median, rng, round } from './util.mjs';

const [model, batchArg, secondsArg, widthArg] = process.argv.slice(2);
const batch = Number(batchArg);
const seconds = Number(secondsArg);
const session = await ort.InferenceSession.create(fs.readFileSync(model), { graphOptimizationLevel: 'all' });
const name = session.inputNames[0];
const width = Number(widthArg);
const rand = rng(11);
const input = new ort.Tensor(
  'float32',
  Float32Array.from({ length: batch * width }, () => rand() * 2 - 1),
  [batch, width],
);

for (let i = 0; i < 20; i++) await session.run({ [name]: input });
const times = [];
let runs = 0;
const t0 = process.hrtime.bigint();
const end = t0 + BigInt(Math.round(seconds * 1e9));
for (;;) {
  const t = process.hrtime.bigint();
  if (t >= end) break;
  await session.run({ [name]: input });
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
  runs++;
}
const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
await session.release();
process.stdout.write(
  `${JSON.stringify({ batch, width, runs, seconds: round(elapsed, 2), rows_per_s: round((runs * batch) / elapsed, 1), run_ms_median: round(median(times), 3) })}\n`,
);
