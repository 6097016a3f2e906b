// A real training run, in TypeScript: a small MLP that predicts a customer's value class
// (low / medium / high) from the seed's five drift features (age, income, score, clicks, time).
// Run it under `mlx run` (see ../seed-tracking/demo.mjs): it logs its data, metrics and model.
//   node train.mjs [hidden=16] [epochs=60] [lr=0.05]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  evaluateTabular, seedDriftData, tabularClassifierOnnx, tabularDataCsv, trainTabularClassifier, VALUE_CLASSES,
} from '../../dist/models/onnx/sample-models.js';

const [hidden = 16, epochs = 60, lr = 0.05] = process.argv.slice(2).map(Number);
const tracked = !!process.env.MLX_RUN_ID;
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'value-classifier-'));
const mlx = (...args) => tracked && execFileSync('mlx', args, { stdio: 'inherit' });

const train = seedDriftData(2000, 1);
const val = seedDriftData(500, 2);
fs.writeFileSync(path.join(out, 'train.csv'), tabularDataCsv(train, { label: true }));
fs.writeFileSync(path.join(out, 'validation.csv'), tabularDataCsv(val, { label: true }));
mlx('log', 'dataset', path.join(out, 'train.csv'), '--name', 'customers-train', '--context', 'training');
mlx('log', 'dataset', path.join(out, 'validation.csv'), '--name', 'customers-val', '--context', 'validation');

const model = trainTabularClassifier(train, { hidden, epochs, lr, seed: 1 });
// The whole training history goes in as one batch (one transaction): `mlx log batch`.
const history = model.history.loss.flatMap((loss, step) => [
  { type: 'metric', key: 'train_loss', value: loss, step },
  { type: 'metric', key: 'train_accuracy', value: model.history.accuracy[step], step },
]);
fs.writeFileSync(path.join(out, 'history.jsonl'), history.map((e) => JSON.stringify(e)).join('\n'));
mlx('log', 'batch', path.join(out, 'history.jsonl'));
console.log(`trained ${epochs} epochs: train loss ${model.history.loss.at(-1).toFixed(3)}, accuracy ${model.history.accuracy.at(-1).toFixed(3)}`);
const { accuracy, loss } = evaluateTabular(model, val);
console.log(`validation accuracy ${accuracy.toFixed(3)}, loss ${loss.toFixed(3)}`);
console.log(`::mlx metric val_accuracy=${accuracy}`);
console.log(`::mlx metric val_loss=${loss}`);

fs.mkdirSync(path.join(out, 'model'));
fs.writeFileSync(path.join(out, 'model', 'model.onnx'), tabularClassifierOnnx(model));
fs.writeFileSync(path.join(out, 'model', 'labels.txt'), `${VALUE_CLASSES.join('\n')}\n`);
mlx('log', 'artifact', path.join(out, 'model'));
console.log(tracked ? 'model logged as artifact model/ of the run' : `model written to ${out}/model`);
if (tracked) fs.rmSync(out, { recursive: true, force: true });
