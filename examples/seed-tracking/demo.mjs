// `npm run demo`: the seed's experiment-tracking example, end to end, on the default store (./.mlx,
// or MLX_TRACKING_URI when set).
// Every step is a real `mlx` command, printed before it runs, so you can type them yourself.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const here = path.join(root, 'examples/seed-tracking');

// Put an `mlx` command on PATH for the demo, as `npm install -g .` or `npm link` would.
const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-bin-'));
fs.symlinkSync(path.join(root, 'bin/mlx.js'), path.join(binDir, 'mlx'));
const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH}` };
delete env.MLX_RUN_ID;

function mlx(...args) {
  console.log(`\n$ mlx ${args.map((a) => (/[\s'"*>]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a)).join(' ')}`);
  return execFileSync('mlx', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
}
const show = (out) => process.stdout.write(out);

try {
  const runs = [];
  for (const [name, optimizer, lr] of [
    ['resnet50-adamw', 'AdamW', '0.001'],
    ['resnet50-sgd', 'SGD', '0.01'],
  ]) {
    show(
      mlx(
        'run', '--experiment', 'image-classifier-v2', '--name', name,
        '--param', 'model=resnet50', '--param', `optimizer=${optimizer}`, '--param', `learning_rate=${lr}`,
        '--param', 'batch_size=64', '--param', 'epochs=20',
        '--', process.execPath, path.join(here, 'train.mjs'), optimizer, lr, '20',
      ),
    );
    const latest = JSON.parse(mlx('runs', 'list', '--experiment', 'image-classifier-v2', '--order-by', 'attributes.start_time DESC', '--max', '1', '--json'));
    runs.push(latest.runs[0].run_id);
  }
  show(mlx('runs', 'list', '--experiment', 'image-classifier-v2', '--filter', 'metrics.final_accuracy > 0.9', '--order-by', 'metrics.final_accuracy DESC', '--max', '10'));
  show(mlx('runs', 'show', runs[0]));
  const store = process.env.MLX_TRACKING_URI ? path.resolve(process.env.MLX_TRACKING_URI) : path.join(root, '.mlx');
  const plot = path.join(store, 'demo-compare.svg');
  show(mlx('compare', ...runs, '--plot', plot));
  console.log(`\nOpen ${path.relative(process.cwd(), plot)} in a browser to see both runs' training curves.`);
  console.log('The store is ./.mlx: run `npx mlx runs list` to see everything tracked so far.');
} finally {
  fs.rmSync(binDir, { recursive: true, force: true });
}
