// Model cards and deletion in the registry (issue 3), through the real CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VALUE_CLASSES } from '../src/models/onnx/sample-models.js';
import { MLX_BIN, mlx, mlxJson } from './helpers/cli.js';
import { T, expectError, ok, project, refused, register, storedModels, writeFile } from './helpers/models.js';

const SECTIONS = [
  '## Model details',
  '## Intended use',
  '## Signature',
  '## Preprocessing',
  '## Labels',
  '## Training',
  '## Lineage',
  '## Limitations',
  '## Ethical considerations',
];

function git(dir: string, args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(r.status, `git ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

/** A git repository whose committed train.mjs, run by `mlx run`, logs metrics and the model as an artifact. */
function trainedInGit(): { dir: string; run: string; commit: string } {
  const dir = project('mlx-card-');
  writeFile(dir, 'labels.txt', VALUE_CLASSES.join('\n'));
  writeFile(
    dir,
    'train.mjs',
    `import { execFileSync } from 'node:child_process';
const mlx = (...a) => execFileSync(process.execPath, [process.env.MLX_BIN, ...a], { stdio: 'inherit' });
mlx('log', 'metric', 'accuracy', '0.61', '--step', '1');
mlx('log', 'metric', 'accuracy', '0.875', '--step', '2');
mlx('log', 'metric', 'loss', '0.25', '--step', '2');
mlx('log', 'artifact', 'tabular.onnx', '--artifact-path', 'model');
`,
  );
  writeFile(dir, '.gitignore', '.mlx/\n');
  git(dir, ['init', '-q']);
  git(dir, ['add', 'train.mjs', '.gitignore']);
  git(dir, ['commit', '-q', '-m', 'training script']);
  const commit = git(dir, ['rev-parse', 'HEAD']);
  const r = mlx(dir, ['run', '--name', 'nightly', '--param', 'lr=0.05', '--param', 'hidden=16', '--', 'node', 'train.mjs'], {
    env: { MLX_BIN },
  });
  expect(r.code, r.stderr).toBe(0);
  const run = mlxJson(dir, ['runs', 'list']).runs[0].run_id as string;
  return { dir, run, commit };
}

describe('model cards', () => {
  it(
    'renders every section with the training run, its final metrics and its lineage',
    () => {
      const { dir, run, commit } = trainedInGit();
      ok(dir, [
        'register',
        `runs:/${run}/model`,
        '--name',
        'tiers',
        '--alias',
        'champion',
        '--labels',
        'labels.txt',
        '--description',
        'Predicts the customer value tier',
      ]);
      const r = ok(dir, ['models', 'card', 'tiers@champion']);
      const card = r.stdout;
      expect(r.stderr).toBe('');
      expect(card).toMatch(/^# Model card: tiers version 1/);
      let at = -1;
      for (const s of SECTIONS) {
        const i = card.indexOf(`\n${s}\n`);
        expect(i, `section ${s}`).toBeGreaterThan(at);
        at = i;
      }
      const section = (name: string) => card.slice(card.indexOf(`## ${name}`), card.indexOf('\n## ', card.indexOf(`## ${name}`) + 3));
      const v = mlxJson(dir, ['models', 'show', 'tiers/1']).model_version;
      expect(section('Model details')).toContain(v.sha256);
      expect(section('Model details')).toMatch(/opset ai\.onnx 17/);
      expect(section('Model details')).toContain('`champion`');
      expect(section('Intended use')).toContain('Predicts the customer value tier');
      expect(section('Signature')).toMatch(/`features` \| float32 \| \[batch, 5\]/);
      expect(section('Signature')).toMatch(/`probabilities` \| float32 \| \[batch, 3\]/);
      expect(section('Preprocessing')).toContain('`tabular`');
      expect(section('Labels')).toMatch(/0\. low\n1\. medium\n2\. high/);
      const training = section('Training');
      expect(training).toContain(run);
      expect(training).toContain('nightly');
      expect(training).toMatch(/\| lr \| 0\.05 \|/);
      expect(training).toMatch(/\| hidden \| 16 \|/);
      expect(training).toMatch(/\| accuracy \| 0\.875 \|/);
      expect(training).toMatch(/\| loss \| 0\.25 \|/);
      expect(training, 'final metrics only').not.toContain('0.61');
      const lineage = section('Lineage');
      expect(lineage).toContain(run);
      expect(lineage).toContain('node train.mjs');
      expect(lineage).toContain(commit);
      expect(section('Limitations')).toMatch(/To be written by the model owner/);
      expect(section('Ethical considerations')).toMatch(/To be written by the model owner/);

      // --out writes the same card and prints nothing.
      const out = mlx(dir, ['models', 'card', 'tiers@champion', '--out', 'docs/MODEL_CARD.md']);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toBe('');
      expect(fs.readFileSync(path.join(dir, 'docs/MODEL_CARD.md'), 'utf8')).toBe(card);
      // The card written at registration sits beside the version.
      const written = fs.readFileSync(path.join(dir, '.mlx/models/cards/tiers/v1.md'), 'utf8');
      expect(written).toMatch(/^# Model card: tiers version 1/);
      expect(written).toContain(commit);
    },
    T,
  );

  it(
    'says so when no run is recorded, and NAME alone means the latest version',
    () => {
      const dir = project();
      register(dir, ['tabular.onnx', '--name', 'clf']);
      register(dir, ['image.onnx', '--name', 'clf']);
      const card = ok(dir, ['models', 'card', 'clf']).stdout;
      expect(card).toMatch(/^# Model card: clf version 2/);
      expect(card).toMatch(/No training run recorded/);
      expect(card).toMatch(/image:32x32/);
      expect(ok(dir, ['models', 'card', 'clf/1']).stdout).toMatch(/^# Model card: clf version 1/);
      expect(fs.existsSync(path.join(dir, '.mlx/models/cards/clf/v1.md'))).toBe(true);
      expect(fs.existsSync(path.join(dir, '.mlx/models/cards/clf/v2.md'))).toBe(true);
    },
    T,
  );
});

describe('mlx models delete', () => {
  it(
    'refuses a version an alias points at, naming the alias; --force deletes it with its card',
    () => {
      const dir = project();
      register(dir, ['tabular.onnx', '--name', 'clf', '--alias', 'champion']);
      register(dir, ['image.onnx', '--name', 'clf']);
      refused(dir, ['models', 'delete', 'clf/1'], 1, 'champion', /clf/);
      refused(dir, ['models', 'delete', 'clf@champion'], 1, 'champion');
      const stored = storedModels(dir);
      expect(stored).toHaveLength(2);

      const r = mlx(dir, ['models', 'delete', 'clf/1', '--force']);
      expect(r.code, r.stderr).toBe(0);
      const shown = mlxJson(dir, ['models', 'show', 'clf']);
      expect(shown.model_versions.map((v: any) => v.version)).toEqual([2]);
      expect(shown.registered_model.aliases).toEqual({});
      expect(fs.existsSync(path.join(dir, '.mlx/models/cards/clf/v1.md')), 'card of the deleted version').toBe(false);
      expect(fs.existsSync(path.join(dir, '.mlx/models/cards/clf/v2.md'))).toBe(true);
      // No version uses the tabular bytes any more.
      expect(storedModels(dir)).toHaveLength(1);
      expectError(mlx(dir, ['models', 'show', 'clf/1']), 1, /clf/, /1/);
    },
    T,
  );

  it(
    'keeps model bytes another version still uses, and removes them with the last one',
    () => {
      const dir = project();
      const v1 = register(dir, ['tabular.onnx', '--name', 'clf']);
      register(dir, ['tabular.onnx', '--name', 'clf']);
      register(dir, ['tabular.onnx', '--name', 'copy']);
      const file = `${v1.sha256}.onnx`;
      ok(dir, ['models', 'delete', 'clf/1']);
      expect(storedModels(dir)).toEqual([file]);
      ok(dir, ['models', 'delete', 'clf/2']);
      expect(storedModels(dir), 'still used by copy/1').toEqual([file]);
      ok(dir, ['models', 'delete', 'copy/1']);
      expect(storedModels(dir)).toEqual([]);
    },
    T,
  );

  it(
    'deletes a whole model (aliases need --force), its cards and the bytes only it used',
    () => {
      const dir = project();
      register(dir, ['tabular.onnx', '--name', 'clf', '--alias', 'champion']);
      register(dir, ['image.onnx', '--name', 'clf']);
      const shared = register(dir, ['image.onnx', '--name', 'pets']);
      refused(dir, ['models', 'delete', 'clf'], 1, 'champion', '"clf"');
      const r = mlx(dir, ['models', 'delete', 'clf', '--force']);
      expect(r.code, r.stderr).toBe(0);
      expect(mlxJson(dir, ['models', 'list']).registered_models.map((m: any) => m.name)).toEqual(['pets']);
      expectError(mlx(dir, ['models', 'show', 'clf']), 1, 'Registered Model with name=clf not found');
      expect(fs.existsSync(path.join(dir, '.mlx/models/cards/clf')), 'cards folder of the deleted model').toBe(false);
      expect(storedModels(dir)).toEqual([`${shared.sha256}.onnx`]);
      expect(fs.existsSync(path.join(dir, '.mlx/models/cards/pets/v1.md'))).toBe(true);
      // A model without aliases needs no --force.
      ok(dir, ['models', 'delete', 'pets']);
      expect(mlxJson(dir, ['models', 'list']).registered_models).toEqual([]);
      expect(storedModels(dir)).toEqual([]);
    },
    T,
  );

  it(
    'never reuses a version number after a delete',
    () => {
      const dir = project();
      register(dir, ['tabular.onnx', '--name', 'clf']);
      register(dir, ['image.onnx', '--name', 'clf']);
      ok(dir, ['models', 'delete', 'clf/2']);
      expect(mlxJson(dir, ['models', 'show', 'clf']).registered_model.latest_version).toBe(1);
      expect(register(dir, ['image.onnx', '--name', 'clf']).version).toBe(3);
      ok(dir, ['models', 'delete', 'clf/3']);
      ok(dir, ['models', 'delete', 'clf/1']);
      expect(mlxJson(dir, ['models', 'show', 'clf']).model_versions).toEqual([]);
      expect(register(dir, ['tabular.onnx', '--name', 'clf']).version).toBe(4);
      expect(mlxJson(dir, ['models', 'show', 'clf/latest']).model_version.version).toBe(4);
    },
    T,
  );
});
