// Trains the image classifier on the images generate-data.mjs wrote, and exports it to ONNX.
//
//   mlx run --experiment image-classifier -- node train.mjs DATA_DIR [--hidden 32] [--lr 0.05] [--epochs 12]
//                                                     [--batch-size 16] [--seed 1] [--out DIR]
//
// Under `mlx run` it logs to the run (and works the same without it, printing instead):
//   params       its hyperparameters, as `::mlx param KEY=VALUE` lines on stdout
//   metrics      train_loss, val_loss and val_accuracy every epoch (`::mlx metric KEY=VALUE step=EPOCH`)
//   datasets     train.csv and val.csv (`mlx log dataset`), so the run records which data it saw
//   artifacts    plots/confusion_matrix.svg, eval/heldout_predictions.csv and model/ (model.onnx, labels.txt),
//                from which `mlx register runs:/RUN_ID/model/model.onnx` registers the model
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../../dist/models/onnx/sample-models.js';
import { confusionCounts, confusionMatrixSvg } from './confusion-matrix.mjs';
import { createModel, poolImage, predict, toOnnx, trainEpoch } from './model.mjs';
import { INPUT_SIZE, loadImage } from './preprocess.mjs';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    hidden: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.05' },
    epochs: { type: 'string', default: '12' },
    'batch-size': { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node train.mjs DATA_DIR [--hidden N] [--lr X] [--epochs N] [--batch-size N] [--seed S] [--out DIR]');
  process.exit(2);
}
const data = path.resolve(positionals[0]);
const hp = { hidden: Number(opts.hidden), lr: Number(opts.lr), epochs: Number(opts.epochs), batchSize: Number(opts['batch-size']), seed: Number(opts.seed) };
const tracked = Boolean(process.env.MLX_RUN_ID); // set by `mlx run` for its command
const mlx = (...args) => tracked && execFileSync('mlx', args, { stdio: 'inherit' });

// 1. Hyperparameters, logged as params of the run. (`mlx run --param k=v` would do the same.)
const params = {
  model: 'avgpool8-mlp',
  input_size: INPUT_SIZE,
  hidden: hp.hidden,
  learning_rate: hp.lr,
  epochs: hp.epochs,
  batch_size: hp.batchSize,
  optimizer: 'sgd-momentum-0.9',
  seed: hp.seed,
};
for (const [key, value] of Object.entries(params)) console.log(`::mlx param ${key}=${value}`);

// 2. The data: read every image back from disk and preprocess it as the server will.
const labels = fs.readFileSync(path.join(data, 'labels.txt'), 'utf8').trim().split('\n');
async function loadSplit(split) {
  const rows = fs
    .readFileSync(path.join(data, `${split}.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const X = [];
  const Y = [];
  for (const row of rows) {
    const [file, label] = row.split(',');
    X.push(poolImage(await loadImage(path.join(data, file)), INPUT_SIZE));
    Y.push(labels.indexOf(label));
  }
  return { X, Y };
}
const t0 = Date.now();
const train = await loadSplit('train');
const val = await loadSplit('val');
console.log(`loaded ${train.X.length} training and ${val.X.length} validation images in ${Date.now() - t0} ms`);
mlx('log', 'dataset', path.join(data, 'train.csv'), '--name', 'pets-images-train', '--context', 'training');
mlx('log', 'dataset', path.join(data, 'val.csv'), '--name', 'pets-images-val', '--context', 'validation');

// 3. Training, one metric line per epoch and metric (step = epoch, as the seed's mlflow.log_metric(..., step=epoch)).
const model = createModel({ inputSize: INPUT_SIZE, classes: labels.length, hidden: hp.hidden, seed: hp.seed });
const rng = createRng(hp.seed + 1);
const velocity = {};
let valPredicted = [];
for (let epoch = 0; epoch < hp.epochs; epoch++) {
  const trainLoss = trainEpoch(model, train.X, train.Y, { lr: hp.lr, batchSize: hp.batchSize, rng, velocity });
  const preds = val.X.map((x) => predict(model, x));
  valPredicted = preds.map((p) => p.classId);
  const valAccuracy = valPredicted.filter((k, i) => k === val.Y[i]).length / val.Y.length;
  const valLoss = -preds.reduce((s, p, i) => s + Math.log(Math.max(p.probabilities[val.Y[i]], 1e-12)), 0) / preds.length;
  console.log(
    `epoch ${String(epoch + 1).padStart(2)}/${hp.epochs}  train_loss ${trainLoss.toFixed(4)}  val_loss ${valLoss.toFixed(4)}  val_accuracy ${valAccuracy.toFixed(3)}`,
  );
  console.log(`::mlx metric train_loss=${trainLoss} step=${epoch}`);
  console.log(`::mlx metric val_loss=${valLoss} step=${epoch}`);
  console.log(`::mlx metric val_accuracy=${valAccuracy} step=${epoch}`);
}

// 4. Outputs: the confusion matrix on the validation set, predictions for the held-out images, the ONNX model.
const out = opts.out ? path.resolve(opts.out) : fs.mkdtempSync(path.join(os.tmpdir(), 'image-classifier-'));
fs.mkdirSync(path.join(out, 'model'), { recursive: true });
const counts = confusionCounts(val.Y, valPredicted, labels.length);
const accuracy = counts.reduce((s, row, i) => s + row[i], 0) / val.Y.length;
fs.writeFileSync(path.join(out, 'confusion_matrix.svg'), confusionMatrixSvg(counts, labels, `validation: accuracy ${accuracy.toFixed(3)}`));

const heldoutDir = path.join(data, 'heldout');
if (fs.existsSync(heldoutDir)) {
  // What this model, with this preprocessing, says about images it never saw: run.sh compares these
  // answers with what `mlx predict` gives for the registered model (they must agree).
  const lines = ['file,label,confidence'];
  let correct = 0;
  const files = fs
    .readdirSync(heldoutDir)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  for (const f of files) {
    const p = predict(model, poolImage(await loadImage(path.join(heldoutDir, f)), INPUT_SIZE));
    lines.push(`${f},${labels[p.classId]},${p.confidence}`);
    if (f.startsWith(`${labels[p.classId]}_`)) correct++; // held-out files are named after their class
  }
  fs.writeFileSync(path.join(out, 'heldout_predictions.csv'), `${lines.join('\n')}\n`);
  console.log(`held-out accuracy ${(correct / files.length).toFixed(3)} on ${files.length} images`);
  console.log(`::mlx metric heldout_accuracy=${correct / files.length}`);
}
fs.writeFileSync(path.join(out, 'model', 'model.onnx'), toOnnx(model, labels));
fs.writeFileSync(path.join(out, 'model', 'labels.txt'), `${labels.join('\n')}\n`);

if (tracked) {
  mlx('log', 'artifact', path.join(out, 'confusion_matrix.svg'), '--artifact-path', 'plots');
  if (fs.existsSync(path.join(out, 'heldout_predictions.csv'))) mlx('log', 'artifact', path.join(out, 'heldout_predictions.csv'), '--artifact-path', 'eval');
  mlx('log', 'artifact', path.join(out, 'model')); // → artifacts model/model.onnx and model/labels.txt
  if (!opts.out) fs.rmSync(out, { recursive: true, force: true });
  console.log(`logged plots/confusion_matrix.svg, eval/heldout_predictions.csv and model/ to run ${process.env.MLX_RUN_ID}`);
} else console.log(`wrote the model, confusion matrix and held-out predictions to ${out}`);
