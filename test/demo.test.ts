import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, mlxJson, ROOT, tempProject } from './helpers/cli.js';

describe('npm run demo (examples/demo.mjs)', () => {
  it('tracks the seed example twice, then lists, shows and compares the runs', () => {
    const store = path.join(tempProject('mlx-demo-'), 'store');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'examples/demo.mjs')], {
      cwd: ROOT,
      env: cleanEnv({ MLX_TRACKING_URI: store }),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('$ mlx run --experiment image-classifier-v2 --name resnet50-adamw');
    expect(r.stdout).toContain('$ mlx compare');

    const env = { MLX_TRACKING_URI: store };
    const { runs } = mlxJson(ROOT, ['runs', 'list', '--experiment', 'image-classifier-v2', '--order-by', 'attributes.run_name'], { env });
    expect(runs.map((x: { run_name: string }) => x.run_name)).toEqual(['resnet50-adamw', 'resnet50-sgd']);
    const adamw = runs[0];
    expect(adamw.status).toBe('FINISHED');
    expect(adamw.params).toEqual({ model: 'resnet50', optimizer: 'AdamW', learning_rate: '0.001', batch_size: '64', epochs: '20' });
    // The seed's numbers exactly: 0.5 * 0.95^19 and min(0.95, 0.6 + 19 * 0.02).
    expect(adamw.metrics.train_loss).toBeCloseTo(0.5 * 0.95 ** 19, 12);
    expect(adamw.metrics.val_accuracy).toBeCloseTo(0.95, 12);
    expect(adamw.metrics).toMatchObject({ final_accuracy: 0.94, final_loss: 0.18 });

    const cmp = mlxJson(ROOT, ['compare', adamw.run_id, runs[1].run_id], { env });
    expect(cmp.differingParams).toEqual(['learning_rate', 'optimizer']);
    const shown = mlxJson(ROOT, ['runs', 'show', adamw.run_id], { env });
    expect(shown.inputs.map((d: { name: string; context: string }) => `${d.name}/${d.context}`).sort()).toEqual([
      'pets-train/training',
      'pets-val/validation',
    ]);
    expect(shown.artifacts.map((a: { path: string }) => a.path)).toEqual(['config/config.json', 'logs/output.txt']);
    const svg = fs.readFileSync(path.join(store, 'demo-compare.svg'), 'utf8');
    expect(svg).toContain('train_loss');
    expect(svg.match(/class="series"/g)?.length).toBe(8);

    // Part 2: real models trained in TypeScript, registered from their runs.
    const models = mlxJson(ROOT, ['models', 'list'], { env });
    expect(models.registered_models.map((m: { name: string; aliases: Record<string, number> }) => [m.name, m.aliases])).toEqual([
      ['pets-classifier', { champion: 1 }],
      ['value-classifier', { champion: 1 }],
    ]);
    const pets = mlxJson(ROOT, ['models', 'show', 'pets-classifier@champion'], { env }).model_version;
    expect(pets.labels).toEqual(['cat', 'dog', 'bird', 'fish', 'other']);
    expect(pets.preprocess).toBe('image:32x32,rgb,scale=1/255,layout=nchw');
    const valueRun = mlxJson(ROOT, ['runs', 'list', '--experiment', 'value-classifier'], { env }).runs[0];
    expect(valueRun.metrics.val_accuracy).toBeGreaterThan(0.8);
    expect(mlxJson(ROOT, ['runs', 'show', valueRun.run_id], { env }).model_versions.map((v: { uri: string }) => v.uri)).toEqual([
      'models:/value-classifier/1',
    ]);
    expect(fs.readFileSync(path.join(store, 'pets-classifier-card.md'), 'utf8')).toContain('# Model card: pets-classifier version 1');
  }, 120_000);
});
