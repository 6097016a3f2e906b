// Training/serving skew check: the labels and confidences train.mjs computed for the held-out images
// (its own preprocessing, its own math) against what the registered model answers through `mlx predict`
// (the registry's preprocessing spec, onnxruntime). Exits 1 when a label differs, or a confidence by more
// than 1e-4 (float32 inference and float64 training agree far more closely than that).
//
//   node check-skew.mjs TRAINING_PREDICTIONS.csv SERVED_PREDICTIONS.csv
import fs from 'node:fs';

const [trainingCsv, servedCsv] = process.argv.slice(2);
if (!servedCsv) {
  console.error('usage: node check-skew.mjs TRAINING_PREDICTIONS.csv SERVED_PREDICTIONS.csv');
  process.exit(2);
}
/** file → { label, confidence } from a CSV whose header names file, label and confidence. */
function read(csv) {
  const [header, ...rows] = fs
    .readFileSync(csv, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const col = (name) => header.indexOf(name);
  return new Map(rows.map((r) => [r[col('file')], { label: r[col('label')], confidence: Number(r[col('confidence')]) }]));
}
const training = read(trainingCsv);
const served = read(servedCsv);
let differ = 0;
let maxGap = 0;
for (const [file, t] of training) {
  const s = served.get(file);
  if (!s || s.label !== t.label) {
    differ++;
    console.log(`  ${file}: training says ${t.label}, serving says ${s?.label ?? 'nothing'}`);
  } else maxGap = Math.max(maxGap, Math.abs(s.confidence - t.confidence));
}
console.log(
  `training vs serving: ${training.size - differ} of ${training.size} held-out images get the same label, ` + `confidences within ${maxGap.toExponential(1)}`,
);
if (maxGap > 1e-4) console.log('  the confidences differ: the model does not see the same numbers when served as in training');
process.exit(differ === 0 && maxGap <= 1e-4 ? 0 : 1);
