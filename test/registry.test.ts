// The model registry as users use it (issue 3): `mlx register` and `mlx models …` spawned
// against temp stores, with real ONNX files from the sample models trained in TypeScript.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED_LABELS, VALUE_CLASSES } from '../src/models/onnx/sample-models.js';
import { mlx, mlxJson } from './helpers/cli.js';
import { SEED_SPEC, T, expectError, ok, project, register, runWithModel, sampleModels, sha256, storedModels, writeFile } from './helpers/models.js';

const tensor = (name: string, type: string, shape: number[]) => expect.objectContaining({ name, type, shape });

describe('mlx register', () => {
  it(
    'registers an ONNX file as version 1 with its signature, hash, ONNX facts, labels and inferred preprocessing',
    () => {
      const dir = project();
      writeFile(dir, 'labels.txt', `${VALUE_CLASSES.join('\n')}\n`);
      const r = ok(dir, ['register', 'tabular.onnx', '--name', 'tiers', '--labels', 'labels.txt', '--description', 'Customer value tier']);
      expect(r.stdout).toMatch(/tiers version 1/);
      expect(r.stdout).toContain('models:/tiers/1');
      const v = mlxJson(dir, ['models', 'show', 'tiers/1']).model_version;
      const bytes = fs.readFileSync(path.join(dir, 'tabular.onnx'));
      expect(v).toMatchObject({
        name: 'tiers',
        version: 1,
        description: 'Customer value tier',
        sha256: sha256(bytes),
        size: bytes.byteLength,
        ir_version: 8,
        opset: [{ domain: '', version: 17 }],
        producer: 'mlx',
        labels: [...VALUE_CLASSES],
        preprocess: 'tabular',
        run_id: null,
        user_id: 'tester',
        aliases: [],
        tags: {},
      });
      expect(v.signature.inputs).toEqual([tensor('features', 'float32', [-1, 5])]);
      expect(v.signature.outputs).toEqual([tensor('probabilities', 'float32', [-1, 3])]);
      // A file source is recorded by absolute path; the bytes live in the store under their hash.
      expect(v.source).toBe(path.join(fs.realpathSync(dir), 'tabular.onnx'));
      expect(fs.readFileSync(v.storage_location)).toEqual(bytes);
      expect(storedModels(dir)).toEqual([`${v.sha256}.onnx`]);
      // The new model takes its first version's description.
      expect(mlxJson(dir, ['models', 'show', 'tiers']).registered_model.description).toBe('Customer value tier');
    },
    T,
  );

  it(
    'infers image preprocessing for the image classifier and keeps its labels',
    () => {
      const dir = project();
      writeFile(dir, 'labels.txt', SEED_LABELS.join('\n'));
      const v = register(dir, ['image.onnx', '--name', 'pets', '--labels', 'labels.txt']);
      expect(v.version).toBe(1);
      expect(v.preprocess).toBe('image:32x32,rgb,scale=1/255,layout=nchw');
      expect(v.labels).toEqual([...SEED_LABELS]);
      expect(v.signature.inputs).toEqual([tensor('image', 'float32', [-1, 3, 32, 32])]);
      expect(v.signature.outputs).toEqual([tensor('logits', 'float32', [-1, 5])]);
      expect(v.sha256).toBe(sha256(sampleModels().image));
    },
    T,
  );

  it(
    "stores the seed's --preprocess spec canonically on a 224x224 model",
    () => {
      const dir = project();
      writeFile(dir, 'pets224.onnx', sampleModels().image224);
      expect(register(dir, ['pets224.onnx', '--name', 'pets']).preprocess).toBe('image:224x224,rgb,scale=1/255,layout=nchw');
      expect(register(dir, ['pets224.onnx', '--name', 'pets', '--preprocess', SEED_SPEC]).preprocess).toBe(SEED_SPEC);
      // The same pipeline written differently is stored in the one canonical form.
      const reordered = 'image:224x224, layout=nchw, std=0.229/0.224/0.225, mean=0.485/0.456/0.406, scale=0.00392156862745098';
      expect(register(dir, ['pets224.onnx', '--name', 'pets', '--preprocess', reordered]).preprocess).toBe(SEED_SPEC);
      expect(mlxJson(dir, ['models', 'show', 'pets/3']).model_version.preprocess).toBe(SEED_SPEC);
    },
    T,
  );

  it(
    'stores the same bytes once when they are registered again, as the next version',
    () => {
      const dir = project();
      const v1 = register(dir, ['tabular.onnx', '--name', 'clf']);
      const again = ok(dir, ['register', 'tabular.onnx', '--name', 'clf']);
      expect(again.stdout).toMatch(/clf version 2/);
      const v2 = mlxJson(dir, ['models', 'show', 'clf/2']).model_version;
      expect(v2.sha256).toBe(v1.sha256);
      expect(v2.storage_location).toBe(v1.storage_location);
      expect(storedModels(dir)).toEqual([`${v1.sha256}.onnx`]);
      // Under another name too.
      expect(register(dir, ['tabular.onnx', '--name', 'other']).sha256).toBe(v1.sha256);
      expect(storedModels(dir)).toHaveLength(1);
      const img = register(dir, ['image.onnx', '--name', 'clf']);
      expect(img.version).toBe(3);
      expect(storedModels(dir)).toEqual([`${v1.sha256}.onnx`, `${img.sha256}.onnx`].sort());
    },
    T,
  );

  it(
    'registers runs:/<run>/model (the .onnx in the folder) and links the run both ways',
    () => {
      const dir = project();
      const run = runWithModel(dir, 'tabular.onnx');
      const v = register(dir, [`runs:/${run.slice(0, 8)}/model`, '--name', 'clf']);
      expect(v.run_id).toBe(run);
      expect(v.source).toMatch(/^runs:\//);
      expect(v.sha256).toBe(sha256(sampleModels().tabular));
      const shown = mlxJson(dir, ['models', 'show', 'clf/1']).model_version;
      expect(shown.run_id).toBe(run);
      expect(shown.run_name).toBe('train');
      expect(ok(dir, ['models', 'show', 'clf/1']).stdout).toContain(run);
      // The artifact path to the file itself works as well.
      expect(register(dir, [`runs:/${run}/model/tabular.onnx`, '--name', 'clf']).run_id).toBe(run);
      // --run links a file source to a run.
      const fromFile = register(dir, ['image.onnx', '--name', 'pets', '--run', run.slice(0, 10)]);
      expect(fromFile.run_id).toBe(run);
      const versions = mlxJson(dir, ['runs', 'show', run]).model_versions;
      expect(versions).toHaveLength(3);
      expect(versions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'clf', version: 1, uri: 'models:/clf/1' }),
          expect.objectContaining({ name: 'clf', version: 2, uri: 'models:/clf/2' }),
          expect.objectContaining({ name: 'pets', version: 1, uri: 'models:/pets/1' }),
        ]),
      );
      expect(ok(dir, ['runs', 'show', run]).stdout).toMatch(/pets/);
      // A run with no registered model lists none.
      const other = ok(dir, ['runs', 'start']).stdout.trim();
      expect(mlxJson(dir, ['runs', 'show', other]).model_versions).toEqual([]);
      // A file registered without --run has no run.
      expect(register(dir, ['image.onnx', '--name', 'loose']).run_id).toBeNull();
    },
    T,
  );

  it(
    'copies a version to another name from models:/NAME/N, @ALIAS and /latest',
    () => {
      const dir = project();
      const run = runWithModel(dir, 'tabular.onnx');
      const v1 = register(dir, [`runs:/${run}/model`, '--name', 'clf', '--alias', 'champion']);
      register(dir, ['image.onnx', '--name', 'clf']);
      const copy = register(dir, ['models:/clf/1', '--name', 'clf-prod']);
      expect(copy).toMatchObject({ name: 'clf-prod', version: 1, sha256: v1.sha256, run_id: run, source: 'models:/clf/1' });
      expect(copy.signature).toEqual(v1.signature);
      expect(register(dir, ['models:/clf@champion', '--name', 'clf-prod']).sha256).toBe(v1.sha256);
      expect(register(dir, ['models:/clf/latest', '--name', 'clf-prod']).sha256).toBe(sha256(sampleModels().image));
      expect(storedModels(dir)).toHaveLength(2);
    },
    T,
  );
});

describe('mlx models', () => {
  it(
    'aliases: set at registration, moved, resolved in show, deleted',
    () => {
      const dir = project();
      expect(register(dir, ['tabular.onnx', '--name', 'clf', '--alias', 'champion']).aliases).toEqual(['champion']);
      register(dir, ['image.onnx', '--name', 'clf']);
      expect(mlxJson(dir, ['models', 'show', 'clf@champion']).model_version.version).toBe(1);

      const moved = mlx(dir, ['models', 'alias', 'clf', '2', 'champion']);
      expect(moved.code, moved.stderr).toBe(0);
      expect(mlxJson(dir, ['models', 'show', 'clf@champion']).model_version.version).toBe(2);
      expect(mlxJson(dir, ['models', 'show', 'clf/1']).model_version.aliases).toEqual([]);
      expect(mlxJson(dir, ['models', 'show', 'clf/2']).model_version.aliases).toEqual(['champion']);
      ok(dir, ['models', 'alias', 'clf', '1', 'challenger']);
      expect(mlxJson(dir, ['models', 'list']).registered_models[0].aliases).toEqual({ challenger: 1, champion: 2 });
      expect(ok(dir, ['models', 'show', 'clf@challenger']).stdout).toMatch(/clf version 1/);

      // Registering with an alias that exists moves it to the new version.
      expect(register(dir, ['tabular.onnx', '--name', 'clf', '--alias', 'challenger']).aliases).toEqual(['challenger']);
      expect(mlxJson(dir, ['models', 'show', 'clf@challenger']).model_version.version).toBe(3);

      ok(dir, ['models', 'alias', '--delete', 'clf', 'champion']);
      expect(mlxJson(dir, ['models', 'show', 'clf']).registered_model.aliases).toEqual({ challenger: 3 });
      expectError(mlx(dir, ['models', 'show', 'clf@champion']), 1, 'Registered model alias champion not found');
      expect(mlxJson(dir, ['models', 'show', 'clf/latest']).model_version.version).toBe(3);
    },
    T,
  );

  it(
    'tags on models and versions, and descriptions',
    () => {
      const dir = project();
      register(dir, ['tabular.onnx', '--name', 'clf', '--alias', 'champion', '--tag', 'framework=typescript']);
      ok(dir, ['models', 'tag', 'clf/1', 'validated', 'yes']);
      ok(dir, ['models', 'tag', 'clf@champion', 'reviewer', 'ana']);
      ok(dir, ['models', 'tag', 'clf', 'team', 'growth']);
      ok(dir, ['models', 'update', 'clf/1', '--description', 'first cut']);
      ok(dir, ['models', 'update', 'clf', '--description', 'value tiers for marketing']);
      const shown = mlxJson(dir, ['models', 'show', 'clf']);
      expect(shown.registered_model).toMatchObject({ description: 'value tiers for marketing', tags: { team: 'growth' } });
      expect(shown.model_versions[0]).toMatchObject({
        description: 'first cut',
        tags: { framework: 'typescript', validated: 'yes', reviewer: 'ana' },
      });
      ok(dir, ['models', 'tag', '--delete', 'clf/1', 'validated']);
      ok(dir, ['models', 'tag', '--delete', 'clf', 'team']);
      expect(mlxJson(dir, ['models', 'show', 'clf/1']).model_version.tags).toEqual({ framework: 'typescript', reviewer: 'ana' });
      expect(mlxJson(dir, ['models', 'show', 'clf']).registered_model.tags).toEqual({});
      expect(ok(dir, ['models', 'show', 'clf/1']).stdout).toMatch(/reviewer/);
    },
    T,
  );

  it(
    'list and show print one JSON document of the documented shape',
    () => {
      const dir = project();
      const empty = mlx(dir, ['models', 'list', '--json']);
      expect(JSON.parse(empty.stdout)).toEqual({ registered_models: [] });
      expect(fs.existsSync(path.join(dir, '.mlx')), 'a reading command created the store').toBe(false);

      register(dir, ['tabular.onnx', '--name', 'clf', '--alias', 'champion']);
      register(dir, ['image.onnx', '--name', 'clf']);
      register(dir, ['image.onnx', '--name', 'alpha']);
      const list = mlxJson(dir, ['models', 'list']);
      expect(Object.keys(list)).toEqual(['registered_models']);
      expect(list.registered_models.map((m: any) => m.name)).toEqual(['alpha', 'clf']);
      expect(list.registered_models[1]).toEqual({
        name: 'clf',
        description: '',
        creation_time: expect.any(Number),
        last_updated_time: expect.any(Number),
        latest_version: 2,
        tags: {},
        aliases: { champion: 1 },
      });

      const model = mlxJson(dir, ['models', 'show', 'clf']);
      expect(Object.keys(model).sort()).toEqual(['model_versions', 'registered_model']);
      expect(model.registered_model.name).toBe('clf');
      expect(model.model_versions.map((v: any) => v.version)).toEqual([2, 1]);

      const version = mlxJson(dir, ['models', 'show', 'clf@champion']);
      expect(Object.keys(version)).toEqual(['model_version']);
      for (const key of [
        'name',
        'version',
        'description',
        'creation_time',
        'last_updated_time',
        'user_id',
        'source',
        'run_id',
        'run_name',
        'storage_location',
        'sha256',
        'size',
        'ir_version',
        'opset',
        'producer',
        'signature',
        'labels',
        'preprocess',
        'tags',
        'aliases',
      ])
        expect(version.model_version, key).toHaveProperty(key);

      const human = ok(dir, ['models', 'list']).stdout;
      expect(human).toMatch(/clf/);
      expect(human).toMatch(/champion/);
      const showHuman = ok(dir, ['models', 'show', 'clf']).stdout;
      expect(showHuman).toMatch(/\[-1, 5\]/);
      expect(showHuman).toMatch(/\[-1, 3, 32, 32\]/);
    },
    T,
  );
});
