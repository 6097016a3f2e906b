// The seed's image classifier (cat, dog, bird, fish, other), trained in TypeScript on
// synthetic 32x32 images: a fixed convolutional feature extractor and a trained linear head,
// exported to ONNX (Conv → Relu → GlobalAveragePool → Flatten → Gemm, logits out).
// Run it under `mlx run`: it logs metrics and the model as the artifact model/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  classifyImage, imageClassifierOnnx, SEED_LABELS, syntheticImage, trainImageClassifier,
} from '../../dist/models/onnx/sample-models.js';

const [epochs = 400, lr = 0.5] = process.argv.slice(2).map(Number);
const model = trainImageClassifier({ height: 32, width: 32, seed: 1, epochs, lr });
let correct = 0;
let total = 0;
for (const label of SEED_LABELS)
  for (let i = 0; i < 20; i++) {
    const img = syntheticImage(label, 10_000 + i, 32, 32);
    correct += classifyImage(model, img.chw) === label ? 1 : 0;
    total++;
  }
console.log(`held-out accuracy ${(correct / total).toFixed(3)} on ${total} synthetic images`);
console.log(`::mlx metric val_accuracy=${correct / total}`);

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pets-classifier-'));
fs.mkdirSync(path.join(out, 'model'));
fs.writeFileSync(path.join(out, 'model', 'model.onnx'), imageClassifierOnnx(model));
fs.writeFileSync(path.join(out, 'model', 'labels.txt'), `${SEED_LABELS.join('\n')}\n`);
if (process.env.MLX_RUN_ID) {
  execFileSync('mlx', ['log', 'artifact', path.join(out, 'model')], { stdio: 'inherit' });
  fs.rmSync(out, { recursive: true, force: true });
  console.log('model logged as artifact model/ of the run');
} else console.log(`model written to ${out}/model`);
