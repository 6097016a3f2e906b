// The seed's drift scenario as data: customers described by its five features (age, income, score,
// clicks, time) and a value class (low, medium, high) to predict.
//
//   node make-data.mjs OUT_DIR [--shift 0.5] [--seed 1]
//
// OUT_DIR gets:
//   train.csv        2,000 labelled customers: what the model learns from
//   reference.csv    1,000 customers from the same population, without labels: what "normal" looks like
//   production.csv   500 customers arriving later, without labels: older, richer and with higher scores
//                    (age, income and score shifted by --shift standard deviations, as the seed's
//                    `np.random.randn(500, 5) + 0.5`); clicks and time are unchanged
//   labels.txt       the class names in the model's output order
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DRIFT_FEATURES, seedDriftData, tabularDataCsv, VALUE_CLASSES } from '../../dist/models/onnx/sample-models.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { shift: { type: 'string', default: '0.5' }, seed: { type: 'string', default: '1' } },
});
if (positionals.length !== 1) {
  console.error('usage: node make-data.mjs OUT_DIR [--shift SD] [--seed S]');
  process.exit(2);
}
const out = path.resolve(positionals[0]);
const seed = Number(opts.seed);
const shift = Number(opts.shift);
fs.mkdirSync(out, { recursive: true });

// Each dataset gets its own seed: the same population, different customers.
const train = seedDriftData(2000, seed);
const reference = seedDriftData(1000, seed + 1);
const production = seedDriftData(500, seed + 2, { shift: { age: shift, income: shift, score: shift } });
fs.writeFileSync(path.join(out, 'train.csv'), tabularDataCsv(train, { label: true }));
fs.writeFileSync(path.join(out, 'reference.csv'), tabularDataCsv(reference, { label: false }));
fs.writeFileSync(path.join(out, 'production.csv'), tabularDataCsv(production, { label: false }));
fs.writeFileSync(path.join(out, 'labels.txt'), `${VALUE_CLASSES.join('\n')}\n`);

const mean = (rows, f) => rows.reduce((s, r) => s + r[f], 0) / rows.length;
console.log(`wrote train.csv (2000 rows), reference.csv (1000) and production.csv (500) to ${out}`);
console.log('feature means, reference → production:');
DRIFT_FEATURES.forEach((name, f) => {
  const [a, b] = [mean(reference.rows, f), mean(production.rows, f)];
  console.log(`  ${name.padEnd(7)} ${a.toFixed(1).padStart(9)} → ${b.toFixed(1).padStart(9)}  (${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(0)}%)`);
});
