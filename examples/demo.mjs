// `npm run demo`: the ML lifecycle of the seed tutorial, end to end, on the default store (./.mlx,
// or MLX_TRACKING_URI when set): track the seed's experiment, train real models in TypeScript
// under `mlx run`, register them with labels, aliases and model cards.
// Every step is a real `mlx` command, printed before it runs, so you can type them yourself.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const examples = path.join(root, 'examples');

// Put an `mlx` command on PATH for the demo, as `npm install -g .` or `npm link` would.
const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-bin-'));
fs.symlinkSync(path.join(root, 'bin/mlx.js'), path.join(binDir, 'mlx'));
const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH}` };
delete env.MLX_RUN_ID;

const quote = (a) => (/[\s'"*>]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a);
/** Runs an mlx command for you to see: printed, then run with its output streaming. */
function show(...args) {
  console.log(`\n$ mlx ${args.map(quote).join(' ')}`);
  execFileSync('mlx', args, { cwd: root, env, stdio: 'inherit' });
}
/** Asks mlx for JSON, quietly (the demo's own bookkeeping). */
const query = (...args) => JSON.parse(execFileSync('mlx', [...args, '--json'], { cwd: root, env, encoding: 'utf8' }));
const shown = (file) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));
const section = (title) => console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);
const lastRun = (experiment) =>
  query('runs', 'list', '--experiment', experiment, '--order-by', 'attributes.start_time DESC', '--max', '1').runs[0];

try {
  section('1. Track the seed experiment (simulated training, as in the tutorial)');
  const runs = [];
  for (const [name, optimizer, lr] of [
    ['resnet50-adamw', 'AdamW', '0.001'],
    ['resnet50-sgd', 'SGD', '0.01'],
  ]) {
    show(
        'run', '--experiment', 'image-classifier-v2', '--name', name,
        '--param', 'model=resnet50', '--param', `optimizer=${optimizer}`, '--param', `learning_rate=${lr}`,
        '--param', 'batch_size=64', '--param', 'epochs=20',
        '--', process.execPath, path.join(examples, 'seed-tracking/train.mjs'), optimizer, lr, '20',
    );
    runs.push(lastRun('image-classifier-v2').run_id);
  }
  show('runs', 'list', '--experiment', 'image-classifier-v2', '--filter', 'metrics.final_accuracy > 0.9', '--order-by', 'metrics.final_accuracy DESC', '--max', '10');
  show('runs', 'show', runs[0]);
  const store = process.env.MLX_TRACKING_URI ? path.resolve(process.env.MLX_TRACKING_URI) : path.join(root, '.mlx');
  const plot = path.join(store, 'demo-compare.svg');
  show('compare', ...runs, '--plot', plot);
  console.log(`\nOpen ${shown(plot)} in a browser to see both runs' training curves.`);

  section('2. Train real models in TypeScript and register them');
  show(
      'run', '--experiment', 'value-classifier', '--name', 'mlp-16',
      '--param', 'hidden=16', '--param', 'epochs=60', '--param', 'lr=0.05',
      '--', process.execPath, path.join(examples, 'value-classifier/train.mjs'), '16', '60', '0.05',
  );
  const valueRun = lastRun('value-classifier');
  const valueLabels = path.join(valueRun.artifact_uri, 'model', 'labels.txt');
  show(
      'register', `runs:/${valueRun.run_id.slice(0, 8)}/model`, '--name', 'value-classifier', '--alias', 'champion',
      '--labels', valueLabels, '--preprocess', 'tabular',
      '--description', 'Predicts a customer\'s value class (low, medium, high) from age, income, score, clicks and time',
  );
  show('run', '--experiment', 'pets-classifier', '--name', 'conv-gap-head', '--param', 'epochs=400', '--', process.execPath, path.join(examples, 'pets-classifier/train.mjs'));
  const petsRun = lastRun('pets-classifier');
  show(
      'register', `runs:/${petsRun.run_id.slice(0, 8)}/model`, '--name', 'pets-classifier', '--alias', 'champion',
      '--labels', path.join(petsRun.artifact_uri, 'model', 'labels.txt'), '--preprocess', 'image:32x32,rgb,scale=1/255,layout=nchw',
      '--description', 'Classifies pet photos into cat, dog, bird, fish and other (the seed tutorial\'s classes)',
  );
  show('models', 'list');
  show('models', 'show', 'pets-classifier@champion');
  const card = path.join(store, 'pets-classifier-card.md');
  show('models', 'card', 'pets-classifier@champion', '--out', card);
  console.log(`\nModel card written to ${shown(card)}.`);
  console.log('The store is ./.mlx: `npx mlx runs list`, `npx mlx models list` show everything so far.');
} finally {
  fs.rmSync(binDir, { recursive: true, force: true });
}
