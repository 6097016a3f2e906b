// The seed's simulated training, written the way an mlx user writes any training script:
// metrics are plain `::mlx` lines on stdout, and the `mlx` CLI logs datasets and artifacts.
// Run it under `mlx run` (see demo.mjs); on its own it just prints.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const [optimizer = 'AdamW', lrText = '0.001', epochsText = '20'] = process.argv.slice(2);
const lr = Number(lrText);
const epochs = Number(epochsText);
const tracked = !!process.env.MLX_RUN_ID;

if (tracked) {
  execFileSync('mlx', ['log', 'dataset', path.join(here, 'data/train.csv'), '--name', 'pets-train', '--context', 'training']);
  execFileSync('mlx', ['log', 'dataset', path.join(here, 'data/val.csv'), '--name', 'pets-val', '--context', 'validation']);
}

// The seed's curves for AdamW at lr 0.001; other settings learn a little differently.
const decay = optimizer === 'AdamW' ? 0.95 : 0.97 + Math.min(0.02, lr);
const gain = optimizer === 'AdamW' ? 0.02 : 0.015;
for (let epoch = 0; epoch < epochs; epoch++) {
  const trainLoss = 0.5 * decay ** epoch;
  const valAccuracy = Math.min(0.95, 0.6 + epoch * gain);
  console.log(`epoch ${String(epoch + 1).padStart(2)}/${epochs}  train_loss=${trainLoss.toFixed(4)}  val_accuracy=${valAccuracy.toFixed(4)}`);
  console.log(`::mlx metric train_loss=${trainLoss} step=${epoch}`);
  console.log(`::mlx metric val_accuracy=${valAccuracy} step=${epoch}`);
}

const finalAccuracy = optimizer === 'AdamW' ? 0.94 : 0.91;
const finalLoss = optimizer === 'AdamW' ? 0.18 : 0.24;
console.log(`::mlx metric final_accuracy=${finalAccuracy}`);
console.log(`::mlx metric final_loss=${finalLoss}`);

if (tracked) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-demo-'));
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ optimizer, learning_rate: lr, epochs }, null, 2));
  execFileSync('mlx', ['log', 'artifact', config, '--artifact-path', 'config']);
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log('Experiment tracked! See it with: mlx runs list');
