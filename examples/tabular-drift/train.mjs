// Trains the customer-value classifier (low / medium / high from age, income, score, clicks, time) on
// train.csv and exports it to ONNX. The network is the library's sample MLP (Gemm → Relu → Gemm → Softmax,
// trained in TypeScript); this script is the part you would write: read data, train, log, save.
//
//   mlx run --experiment customer-value -- node train.mjs DATA_DIR [--hidden 16] [--epochs 20] [--lr 0.02] [--seed 1] [--out DIR]
//
// Under `mlx run` it logs its params, train_loss and train_accuracy per epoch, val_accuracy and val_loss,
// the training data (`mlx log dataset`) and the artifact model/ (model.onnx, labels.txt).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateTabular, tabularClassifierOnnx, trainTabularClassifier } from '../../dist/models/onnx/sample-models.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    hidden: { type: 'string', default: '16' },
    epochs: { type: 'string', default: '20' },
    lr: { type: 'string', default: '0.02' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node train.mjs DATA_DIR [--hidden N] [--epochs N] [--lr X] [--seed S] [--out DIR]');
  process.exit(2);
}
const data = path.resolve(positionals[0]);
const hp = { hidden: Number(opts.hidden), epochs: Number(opts.epochs), lr: Number(opts.lr), seed: Number(opts.seed) };
const tracked = Boolean(process.env.MLX_RUN_ID); // set by `mlx run` for its command
const mlx = (...args) => tracked && execFileSync('mlx', args, { stdio: 'inherit' });

for (const [key, value] of Object.entries({ model: 'mlp', hidden: hp.hidden, epochs: hp.epochs, learning_rate: hp.lr, batch_size: 32, seed: hp.seed }))
  console.log(`::mlx param ${key}=${value}`);

// Read train.csv (header: the five features, then label) and keep every fifth customer for validation.
const labels = fs.readFileSync(path.join(data, 'labels.txt'), 'utf8').trim().split('\n');
const [header, ...lines] = fs.readFileSync(path.join(data, 'train.csv'), 'utf8').trim().split('\n');
const featureNames = header.split(',').slice(0, -1);
const split = { train: { rows: [], labels: [] }, val: { rows: [], labels: [] } };
lines.forEach((line, i) => {
  const cells = line.split(',');
  const part = i % 5 === 4 ? split.val : split.train;
  part.rows.push(cells.slice(0, -1).map(Number));
  part.labels.push(labels.indexOf(cells.at(-1)));
});
const asData = (part) => ({ featureNames, classNames: labels, ...part });
mlx('log', 'dataset', path.join(data, 'train.csv'), '--name', 'customers-train', '--context', 'training');

const model = trainTabularClassifier(asData(split.train), { hidden: hp.hidden, epochs: hp.epochs, lr: hp.lr, seed: hp.seed });
model.history.loss.forEach((loss, epoch) => {
  console.log(`::mlx metric train_loss=${loss} step=${epoch}`);
  console.log(`::mlx metric train_accuracy=${model.history.accuracy[epoch]} step=${epoch}`);
});
const val = evaluateTabular(model, asData(split.val));
console.log(
  `trained ${hp.epochs} epochs on ${split.train.rows.length} customers: train_loss ${model.history.loss.at(-1).toFixed(4)}, ` +
    `train_accuracy ${model.history.accuracy.at(-1).toFixed(3)}`,
);
console.log(`validation on ${split.val.rows.length} customers: val_accuracy ${val.accuracy.toFixed(3)}, val_loss ${val.loss.toFixed(4)}`);
console.log(`::mlx metric val_accuracy=${val.accuracy}`);
console.log(`::mlx metric val_loss=${val.loss}`);

// The model takes the raw features (standardization is folded into its first layer) and outputs probabilities.
const out = opts.out ? path.resolve(opts.out) : fs.mkdtempSync(path.join(os.tmpdir(), 'customer-value-'));
fs.mkdirSync(path.join(out, 'model'), { recursive: true });
fs.writeFileSync(path.join(out, 'model', 'model.onnx'), tabularClassifierOnnx(model));
fs.writeFileSync(path.join(out, 'model', 'labels.txt'), `${labels.join('\n')}\n`);
if (tracked) {
  mlx('log', 'artifact', path.join(out, 'model')); // → artifacts model/model.onnx and model/labels.txt
  if (!opts.out) fs.rmSync(out, { recursive: true, force: true });
  console.log(`logged model/ to run ${process.env.MLX_RUN_ID}`);
} else console.log(`wrote the model to ${out}/model`);
