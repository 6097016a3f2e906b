// The examples of examples/, run for real as a user would (their run.sh, real mlx processes, a real
// `mlx serve` and curl), then checked through the store: runs, params, metric histories, artifacts,
// registered models, the served answer, the drift report.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/store.js';
import { openStore } from '../src/store/open-store.js';
import { cleanEnv, mlxJson, ROOT, tempProject } from './helpers/cli.js';

const SEED_LABELS = ['cat', 'dog', 'bird', 'fish', 'other'];
// The seed's Resize / ToTensor / Normalize at the model's 32x32 input (examples/image-classifier/preprocess.mjs).
const IMAGE_SPEC = 'image:32x32,rgb,scale=1/255,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,layout=nchw';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs an example's run.sh into a fresh work folder with the given PATH; its store is <work>/store. */
function runExample(name: string, pathEnv: string): { work: string; store: string; stdout: string; stderr: string; seconds: number } {
  const work = tempProject(`mlx-example-${name}-`);
  dirs.push(work);
  const started = Date.now();
  const r = spawnSync('bash', [path.join(ROOT, 'examples', name, 'run.sh'), work], {
    cwd: work,
    env: cleanEnv({ PATH: pathEnv }),
    encoding: 'utf8',
    timeout: 170_000,
  });
  expect(r.status, `${name}/run.sh failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return { work, store: path.join(work, 'store'), stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

/** `mlx ARGS --json` on an example's store. */
const query = (store: string, ...args: string[]) => mlxJson(ROOT, args, { env: { MLX_TRACKING_URI: store } });

async function withStore<T>(store: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore(store, { create: false });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('examples', () => {
  it("image-classifier: an mlx.yaml pipeline generates images and trains twice (again: nothing; a param change: one stage), compares, registers, serves and answers the seed's curl", async () => {
    expect(onPath('curl'), 'the example calls curl: install it (apt-get install curl)').toBe(true);
    // `mlx` on PATH, as after `npm link`: a shim to this repository's build.
    const bin = tempProject('mlx-example-bin-');
    dirs.push(bin);
    fs.writeFileSync(path.join(bin, 'mlx'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'bin/mlx.js')}" "$@"\n`, { mode: 0o755 });
    const { work, store, stdout, stderr } = runExample('image-classifier', `${bin}${path.delimiter}${process.env.PATH}`);

    // Real image files on disk, made by sharp.
    const data = path.join(work, 'data');
    expect(fs.readFileSync(path.join(data, 'test_image.jpg')).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    for (const label of SEED_LABELS) expect(fs.readdirSync(path.join(data, 'train', label)).length).toBeGreaterThanOrEqual(20);

    // The pipeline: generate, then one training stage per model, each a run nested under a pipeline run;
    // the second `mlx repro` ran nothing; after the param change only train@narrow-slow ran again.
    const all = query(store, 'runs', 'list', '--experiment', 'image-classifier', '--order-by', 'attributes.start_time').runs;
    expect(all.map((r: { run_name: string }) => r.run_name)).toEqual([
      'repro',
      'generate',
      'train@wide-fast',
      'train@narrow-slow',
      'repro',
      'train@narrow-slow',
    ]);
    const [firstPipeline, generate] = all;
    for (const r of all.slice(1, 4)) expect(r.tags['mlflow.parentRunId']).toBe(firstPipeline.run_id);
    expect(all[5].tags['mlflow.parentRunId']).toBe(all[4].run_id);
    expect(generate.params).toMatchObject({ 'data.seed': '1', 'data.train_per_class': '60' });
    expect(stderr).toContain('mlx: nothing to do: all 3 stages are up to date');
    expect(stdout).toMatch(/train@narrow-slow\s*│ yes\s*│ command changed; params changed: models\.narrow-slow/);
    expect(fs.readFileSync(path.join(work, 'mlx.lock'), 'utf8')).toContain('lr: 0.004');

    // Two finished training runs with different hyperparameters, and the per-epoch history of both metrics.
    const runs = [all[5], all[2]];
    const [narrow, wide] = runs;
    for (const r of runs) expect(r.status).toBe('FINISHED');
    expect(wide.params).toMatchObject({ hidden: '32', learning_rate: '0.01', epochs: '12', batch_size: '16', input_size: '32' });
    expect(narrow.params).toMatchObject({ hidden: '8', learning_rate: '0.004', epochs: '12' });
    expect(wide.metrics.val_accuracy).toBeGreaterThan(0.95);
    expect(wide.metrics.val_accuracy).toBeGreaterThan(narrow.metrics.val_accuracy);
    expect(wide.metrics.heldout_accuracy).toBeGreaterThanOrEqual(0.9);
    await withStore(store, async (s) => {
      for (const r of runs) {
        for (const key of ['train_loss', 'val_accuracy']) {
          const history = await s.getMetricHistory(r.run_id, key);
          expect(
            history.map((m) => m.step),
            `${r.run_name} ${key}`,
          ).toEqual([...Array(12).keys()]);
        }
        const loss = (await s.getMetricHistory(r.run_id, 'train_loss')).map((m) => m.value);
        expect(loss.at(-1)!).toBeLessThan(loss[0]);
      }
    });
    const cmp = query(store, 'compare', wide.run_id, narrow.run_id);
    expect(cmp.differingParams).toEqual(['hidden', 'learning_rate']);
    expect(cmp.best.val_accuracy).toEqual({ direction: 'max', run_ids: [wide.run_id] });
    expect(fs.readFileSync(path.join(work, 'compare.svg'), 'utf8')).toContain('val_accuracy');

    // Artifacts: the confusion matrix, the held-out predictions, the model.
    const shown = query(store, 'runs', 'show', wide.run_id);
    expect(shown.artifacts.map((a: { path: string }) => a.path)).toEqual(
      expect.arrayContaining(['plots/confusion_matrix.svg', 'eval/heldout_predictions.csv', 'model/model.onnx', 'model/labels.txt']),
    );
    const svg = fs.readFileSync(path.join(wide.artifact_uri, 'plots', 'confusion_matrix.svg'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    for (const label of SEED_LABELS) expect(svg).toContain(`>${label}</text>`);
    // The datasets train.mjs logged, and the stage's deps with their digests.
    expect(shown.inputs.map((d: { name: string }) => d.name).sort()).toEqual([
      'data',
      'pets-images-train',
      'pets-images-val',
      'src/confusion-matrix.mjs',
      'src/model.mjs',
      'src/preprocess.mjs',
      'src/train.mjs',
    ]);

    // Registered from the better run, with the seed's labels and preprocessing.
    const version = query(store, 'models', 'show', 'pets-classifier@champion').model_version;
    expect(version.labels).toEqual(SEED_LABELS);
    expect(version.preprocess).toBe(IMAGE_SPEC);
    expect(version.run_id).toBe(wide.run_id);
    expect(version.source).toBe(`runs:/${wide.run_id}/model/model.onnx`);

    // Training-time preprocessing and mlx's agree on every held-out image, and /predict names the dog.
    expect(stdout).toContain('training vs serving: 20 of 20 held-out images get the same label');
    const answer = stdout.split('\n').find((l) => l.startsWith('{"label"'));
    expect(answer, stdout).toBeDefined();
    expect(JSON.parse(answer!)).toMatchObject({ label: 'dog', class_id: 1 });
    expect(JSON.parse(answer!).confidence).toBeGreaterThan(0.9);
    expect(stdout).toContain('mlx serve stopped cleanly');
  }, 180_000);

  it('tabular-drift: trains and registers a model, finds drift on the shifted columns only, scores production', async () => {
    // No `mlx` on PATH: run.sh falls back to this repository's bin/mlx.js. (`node` stays, on its own.)
    const nodeDir = tempProject('mlx-example-node-');
    dirs.push(nodeDir);
    fs.symlinkSync(process.execPath, path.join(nodeDir, 'node'));
    const pathEnv = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, 'mlx')));
    pathEnv.unshift(nodeDir);
    const { work, store, stdout } = runExample('tabular-drift', pathEnv.join(path.delimiter));
    const data = path.join(work, 'data');

    const { runs } = query(store, 'runs', 'list', '--experiment', 'customer-value');
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(run.status).toBe('FINISHED');
    expect(run.params).toMatchObject({ hidden: '16', epochs: '20', learning_rate: '0.02' });
    expect(run.metrics.val_accuracy).toBeGreaterThan(0.75);
    await withStore(store, async (s) => {
      expect((await s.getMetricHistory(run.run_id, 'train_loss')).map((m) => m.step)).toEqual([...Array(20).keys()]);
    });
    const version = query(store, 'models', 'show', 'customer-value@champion').model_version;
    expect(version).toMatchObject({ labels: ['low', 'medium', 'high'], preprocess: 'tabular', run_id: run.run_id });

    // The HTML report, and the verdicts: the shifted columns drifted, the others did not; --fail-on-drift said 3.
    const html = fs.readFileSync(path.join(work, 'drift_report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    for (const column of ['age', 'income', 'score', 'clicks', 'time']) expect(html).toContain(column);
    expect(stdout).toContain('exit code 3 (0: no drift, 3: drift detected');
    const report = mlxJson(ROOT, ['drift', '--reference', path.join(data, 'reference.csv'), '--current', path.join(data, 'production.csv')]);
    const verdicts = Object.fromEntries(report.columns.map((c: { column: string; drift: boolean }) => [c.column, c.drift]));
    expect(verdicts).toEqual({ age: true, income: true, score: true, clicks: false, time: false });
    expect(report.dataset_drift).toBe(true);

    // `mlx predict` scored every production customer; richer, older customers are predicted "high" more often.
    const share = (file: string) => {
      const rows = fs.readFileSync(path.join(work, file), 'utf8').trim().split('\n').slice(1);
      return { rows: rows.length, high: rows.filter((r) => r.split(',')[1] === 'high').length / rows.length };
    };
    const production = share('production_predictions.csv');
    const reference = share('reference_predictions.csv');
    expect(production.rows).toBe(500);
    expect(reference.rows).toBe(1000);
    expect(production.high).toBeGreaterThan(reference.high + 0.1);
  }, 60_000);
});
