// Issue 3, "Integrity and bad input": every refusal is one `mlx: ` line naming the offending
// value, exit 1 (2 for usage errors), nothing on stdout, and nothing registered.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VALUE_CLASSES, createRng } from '../src/models/onnx/sample-models.js';
import { mlx, mlxJson } from './helpers/cli.js';
import { T, expectError, project, refused, register, registrySnapshot, runWithModel, sampleModels, writeFile } from './helpers/models.js';

/** A store with model clf v1 (@champion, the tabular model) and a run holding the model under `model/`. */
function populated(): { dir: string; run: string } {
  const dir = project('mlx-reg-bad-');
  const run = runWithModel(dir, 'tabular.onnx');
  register(dir, ['tabular.onnx', '--name', 'clf', '--alias', 'champion']);
  return { dir, run };
}

const UNKNOWN_RUN = '0123456789abcdef0123456789abcdef';

function randomBytes(seed: number, n: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

describe('files that are not (complete) ONNX models', () => {
  it(
    'text, random bytes and an empty file',
    () => {
      const { dir } = populated();
      writeFile(dir, 'notes.onnx', 'this is not a model\n');
      writeFile(dir, 'empty.onnx', '');
      refused(dir, ['register', 'notes.onnx', '--name', 'clf'], 1, 'notes.onnx', /not an ONNX model/);
      refused(dir, ['register', 'empty.onnx', '--name', 'clf'], 1, 'empty.onnx', /not an ONNX model/, /empty/);
      for (const seed of [1, 2, 3]) {
        writeFile(dir, `random${seed}.onnx`, randomBytes(seed, 4096));
        refused(dir, ['register', `random${seed}.onnx`, '--name', 'clf'], 1, `random${seed}.onnx`, /ONNX/);
      }
    },
    T,
  );

  it(
    'a truncated model',
    () => {
      const { dir } = populated();
      const m = sampleModels().tabular;
      writeFile(dir, 'half.onnx', m.subarray(0, Math.floor(m.length / 2)));
      refused(dir, ['register', 'half.onnx', '--name', 'clf'], 1, 'half.onnx', /truncated/);
      writeFile(dir, 'almost.onnx', m.subarray(0, m.length - 7));
      refused(dir, ['register', 'almost.onnx', '--name', 'new-model'], 1, 'almost.onnx', /truncated|ONNX/);
    },
    T,
  );

  it(
    'models onnxruntime cannot load, saying why',
    () => {
      const { dir } = populated();
      const b = sampleModels().broken;
      writeFile(dir, 'unknown-op.onnx', b.unknownOp);
      writeFile(dir, 'bad-opset.onnx', b.badOpset);
      writeFile(dir, 'shape-mismatch.onnx', b.shapeMismatch);
      refused(dir, ['register', 'unknown-op.onnx', '--name', 'clf'], 1, 'unknown-op.onnx', /onnxruntime/, 'NoSuchOp');
      refused(dir, ['register', 'bad-opset.onnx', '--name', 'clf'], 1, 'bad-opset.onnx', /opset/i, /99/);
      refused(dir, ['register', 'shape-mismatch.onnx', '--name', 'clf'], 1, 'shape-mismatch.onnx', /MatMul|dimension/i);
    },
    T,
  );
});

describe('names and aliases', () => {
  it(
    'an invalid model name',
    () => {
      const { dir } = populated();
      for (const name of ['bad name', '-x', 'a/b', '.hidden']) refused(dir, ['register', 'tabular.onnx', '--name', name], 1, JSON.stringify(name));
    },
    T,
  );

  it(
    'a reserved or malformed alias, at registration and in models alias',
    () => {
      const { dir } = populated();
      for (const alias of ['latest', 'v2', 'LATEST', 'V10']) {
        refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--alias', alias], 1, `"${alias}"`, /reserved/);
        refused(dir, ['models', 'alias', 'clf', '1', alias], 1, `"${alias}"`, /reserved/);
      }
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--alias', 'two words'], 1, '"two words"');
      refused(dir, ['models', 'alias', 'clf', '1', 'a@b'], 1, '"a@b"');
    },
    T,
  );

  it(
    'an alias pointing at a version that does not exist',
    () => {
      const { dir } = populated();
      refused(dir, ['models', 'alias', 'clf', '9', 'challenger'], 1, 'Model Version (name=clf, version=9) not found');
      refused(dir, ['models', 'alias', 'clf', '0', 'challenger'], 1, '"0"');
      refused(dir, ['models', 'alias', 'clf', 'two', 'challenger'], 1, '"two"');
      refused(dir, ['models', 'alias', 'nope', '1', 'challenger'], 1, 'name=nope');
      refused(dir, ['models', 'alias', '--delete', 'clf', 'challenger'], 1, '"challenger"');
      // The champion alias did not move.
      expect(mlxJson(dir, ['models', 'show', 'clf@champion']).model_version.version).toBe(1);
    },
    T,
  );

  it(
    'a version tag the store refuses leaves no model bytes behind',
    () => {
      const { dir } = populated();
      // The image model's bytes are new to this store: they must not stay when the version is refused.
      refused(dir, ['register', 'image.onnx', '--name', 'clf', '--tag', `note=${'x'.repeat(6000)}`], 1, '"note"');
      refused(dir, ['register', 'image.onnx', '--name', 'clf', '--tag', 'no-equals-sign'], 1, '"no-equals-sign"');
    },
    T,
  );

  it(
    'usage errors exit 2',
    () => {
      const { dir } = populated();
      refused(dir, ['register', 'tabular.onnx'], 2, '--name');
      refused(dir, ['register', '--name', 'clf'], 2, /source/);
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--bogus'], 2, '--bogus');
      refused(dir, ['models', 'alias', 'clf'], 2, /version/);
      refused(dir, ['models', 'alias', 'clf', '1'], 2, /ALIAS/);
      refused(dir, ['models', 'alias', '--delete', 'clf', 'champion', 'extra'], 2, /--delete/);
    },
    T,
  );
});

describe('model URIs that resolve to nothing', () => {
  it(
    'models:/ URIs',
    () => {
      const { dir } = populated();
      refused(dir, ['register', 'models:/nope/1', '--name', 'copy'], 1, 'Registered Model with name=nope not found');
      refused(dir, ['register', 'models:/clf/9', '--name', 'copy'], 1, 'Model Version (name=clf, version=9) not found');
      refused(dir, ['register', 'models:/clf@nope', '--name', 'copy'], 1, '"clf"', /alias nope not found/);
      refused(dir, ['register', 'models:/nope/latest', '--name', 'copy'], 1, 'Registered Model with name=nope not found');
      refused(dir, ['register', 'models:/clf', '--name', 'copy'], 1, '"clf"', /version/);
      refused(dir, ['register', 'models:/clf/x', '--name', 'copy'], 1, '"x"');
      refused(dir, ['register', 'hdfs:/models/clf', '--name', 'copy'], 1, '"hdfs:/models/clf"', /scheme/);
    },
    T,
  );

  it(
    'runs:/ URIs',
    () => {
      const { dir, run } = populated();
      refused(dir, ['register', `runs:/${UNKNOWN_RUN}/model`, '--name', 'copy'], 1, UNKNOWN_RUN);
      refused(dir, ['register', `runs:/${run}/missing`, '--name', 'copy'], 1, '"missing"', run);
      refused(dir, ['register', `runs:/${run}/model/other.onnx`, '--name', 'copy'], 1, 'model/other.onnx');
      refused(dir, ['register', `runs:/${run}/../../../../tabular.onnx`, '--name', 'copy'], 1, '"../../../../tabular.onnx"', /escape/);
      refused(dir, ['register', 'runs:/zz/model', '--name', 'copy'], 1, '"runs:/zz/model"');
      // --run naming a run that does not exist, for a file source.
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--run', UNKNOWN_RUN], 1, UNKNOWN_RUN);
    },
    T,
  );

  it(
    'files and folders',
    () => {
      const { dir } = populated();
      fs.mkdirSync(path.join(dir, 'no-model'));
      writeFile(dir, 'no-model/README.md', 'nothing here');
      writeFile(dir, 'two-models/a.onnx', sampleModels().tabular);
      writeFile(dir, 'two-models/b.onnx', sampleModels().image);
      refused(dir, ['register', 'missing.onnx', '--name', 'clf'], 1, '"missing.onnx"', /does not exist/);
      refused(dir, ['register', 'no-model', '--name', 'clf'], 1, '"no-model"', /no \.onnx/);
      refused(dir, ['register', 'two-models', '--name', 'clf'], 1, '"two-models"', /2 \.onnx/);
    },
    T,
  );
});

describe('labels', () => {
  it(
    'a count that does not match the classes, an empty file, a blank line, a missing file',
    () => {
      const { dir } = populated();
      writeFile(dir, 'two.txt', 'low\nhigh\n');
      writeFile(dir, 'four.txt', `${VALUE_CLASSES.join('\n')}\nextra\n`);
      writeFile(dir, 'empty.txt', '');
      writeFile(dir, 'blank-lines.txt', '\n\n\n');
      writeFile(dir, 'gap.txt', 'low\n\nhigh\n');
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--labels', 'two.txt'], 1, '"two.txt"', /2 labels/, /3 classes/);
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--labels', 'four.txt'], 1, '"four.txt"', /4 labels/, /3 classes/);
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--labels', 'empty.txt'], 1, '"empty.txt"', /empty/);
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--labels', 'blank-lines.txt'], 1, '"blank-lines.txt"', /empty/);
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--labels', 'gap.txt'], 1, '"gap.txt"', /line 2/);
      refused(dir, ['register', 'tabular.onnx', '--name', 'clf', '--labels', 'nope.txt'], 1, '"nope.txt"');
    },
    T,
  );

  it(
    'labels for an output that is not [batch, classes]: a warning, and the version is registered',
    () => {
      const { dir } = populated();
      const m = sampleModels();
      writeFile(dir, 'rank3.onnx', m.rank3);
      writeFile(dir, 'rank1.onnx', m.rank1);
      writeFile(dir, 'labels.txt', VALUE_CLASSES.join('\n'));
      for (const [file, shape] of [
        ['rank3.onnx', '[-1,2,3]'],
        ['rank1.onnx', '[-1]'],
      ]) {
        const name = file.replace('.onnx', '');
        const r = mlx(dir, ['register', file, '--name', name, '--labels', 'labels.txt']);
        expect(r.code, r.stderr).toBe(0);
        const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(/^mlx: warning: /);
        expect(lines[0]).toContain(shape);
        expect(lines[0]).toMatch(/3 labels/);
        expect(r.stdout).toMatch(new RegExp(`${name} version 1`));
        expect(mlxJson(dir, ['models', 'show', `${name}/1`]).model_version.labels).toEqual([...VALUE_CLASSES]);
      }
      // --json keeps stdout one document and reports the warning in it too.
      const r = mlx(dir, ['register', 'rank1.onnx', '--name', 'rank1', '--labels', 'labels.txt', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).warnings).toHaveLength(1);
    },
    T,
  );
});

describe('preprocessing specs', () => {
  it(
    'a spec that does not fit the input',
    () => {
      const { dir } = populated();
      const reg = (file: string, spec: string) => ['register', file, '--name', 'clf', '--preprocess', spec];
      refused(dir, reg('image.onnx', 'image:224x224'), 1, '"image:224x224"', /224/, /32/);
      refused(dir, reg('image.onnx', 'image:32x32,gray'), 1, '"image:32x32,gray"', /channel/);
      refused(dir, reg('image.onnx', 'image:32x32,layout=nhwc'), 1, '"image:32x32,layout=nhwc"');
      refused(dir, reg('tabular.onnx', 'image:32x32'), 1, '"image:32x32"', /"features"/);
      refused(dir, reg('image.onnx', 'tabular'), 1, '"tabular"', /"image"/);
    },
    T,
  );

  it(
    'a spec with bad grammar',
    () => {
      const { dir } = populated();
      const reg = (spec: string) => ['register', 'image.onnx', '--name', 'clf', '--preprocess', spec];
      for (const spec of [
        'image:32by32',
        'picture:32x32',
        'image:32x32,layout=nhcw',
        'image:32x32,mean=0.5/0.5',
        'image:32x32,std=1/0/1',
        'image:32x32,scale=abc',
        'image:0x0',
        'tabular,foo',
        'image:32x32,softmax=maybe',
        '',
      ])
        refused(dir, reg(spec), 1, JSON.stringify(spec), /preprocessing spec/);
    },
    T,
  );
});

describe('model bytes verified against their sha256', () => {
  function tamper(dir: string, bytes: Uint8Array): string {
    const v = mlxJson(dir, ['models', 'show', 'clf/1']).model_version;
    expect(fs.existsSync(v.storage_location)).toBe(true);
    fs.writeFileSync(v.storage_location, bytes);
    return v.storage_location;
  }

  it(
    'a stored model file that was changed: loading the version names the file and sha256',
    () => {
      const { dir } = populated();
      const file = tamper(dir, sampleModels().image);
      refused(dir, ['register', 'models:/clf/1', '--name', 'copy'], 1, file, /sha256/);
      refused(dir, ['register', 'models:/clf@champion', '--name', 'copy'], 1, file, /sha256/);
      refused(dir, ['register', 'models:/clf/latest', '--name', 'clf'], 1, file, /sha256/);
    },
    T,
  );

  it(
    'a stored model file that is missing',
    () => {
      const { dir } = populated();
      const v = mlxJson(dir, ['models', 'show', 'clf/1']).model_version;
      fs.rmSync(v.storage_location);
      refused(dir, ['register', 'models:/clf/1', '--name', 'copy'], 1, v.storage_location, /missing/);
    },
    T,
  );

  it(
    'registering the genuine bytes again leaves a version whose stored bytes match its sha256',
    () => {
      const { dir } = populated();
      // Same length, one byte flipped: corruption a size check cannot see.
      const corrupt = Uint8Array.from(sampleModels().tabular);
      corrupt[corrupt.length - 5] ^= 0xff;
      const file = tamper(dir, corrupt);
      const v2 = register(dir, ['tabular.onnx', '--name', 'clf']);
      expect(v2.storage_location).toBe(file);
      const r = mlx(dir, ['register', 'models:/clf/2', '--name', 'copy']);
      expect(r.code, `version 2 was registered from genuine bytes but cannot be loaded: ${r.stderr}`).toBe(0);
    },
    T,
  );
});

describe('in a folder with no store', () => {
  it(
    'refused commands leave no .mlx behind',
    () => {
      const m = sampleModels();
      const tab = { 'model.onnx': m.tabular };
      const img = { 'model.onnx': m.image };
      const cases: [string[], Record<string, Uint8Array | string>, (string | RegExp)[]][] = [
        [['register', 'model.onnx', '--name', 'x'], { 'model.onnx': 'not a model' }, [/not an ONNX model/]],
        [['register', 'model.onnx', '--name', 'x'], { 'model.onnx': randomBytes(9, 2048) }, [/ONNX/]],
        [['register', 'model.onnx', '--name', 'x'], { 'model.onnx': '' }, [/empty/]],
        [['register', 'model.onnx', '--name', 'x'], { 'model.onnx': m.tabular.subarray(0, 500) }, [/truncated/]],
        [['register', 'model.onnx', '--name', 'x'], { 'model.onnx': m.broken.unknownOp }, ['NoSuchOp']],
        [['register', 'model.onnx', '--name', 'x'], { 'model.onnx': m.broken.badOpset }, [/99/]],
        [['register', 'model.onnx', '--name', 'x'], { 'model.onnx': m.broken.shapeMismatch }, [/MatMul|dimension/i]],
        [['register', 'model.onnx', '--name', 'bad name'], tab, ['"bad name"']],
        [['register', 'model.onnx', '--name', 'x', '--alias', 'latest'], tab, ['"latest"']],
        [['register', 'model.onnx', '--name', 'x', '--alias', 'v2'], tab, ['"v2"']],
        [['register', 'missing.onnx', '--name', 'x'], {}, ['"missing.onnx"']],
        [['register', 'models:/nope/1', '--name', 'x'], {}, ['name=nope']],
        [['register', `runs:/${UNKNOWN_RUN}/model`, '--name', 'x'], {}, [UNKNOWN_RUN]],
        [['register', 'model.onnx', '--name', 'x', '--labels', 'l.txt'], { ...tab, 'l.txt': 'a\nb\n' }, ['"l.txt"']],
        [['register', 'model.onnx', '--name', 'x', '--labels', 'l.txt'], { ...tab, 'l.txt': '' }, ['"l.txt"']],
        [['register', 'model.onnx', '--name', 'x', '--preprocess', 'image:224x224'], img, ['"image:224x224"']],
        [['register', 'model.onnx', '--name', 'x', '--preprocess', 'tabular'], img, ['"tabular"']],
        [['register', 'model.onnx', '--name', 'x', '--preprocess', 'image:1by1'], img, ['"image:1by1"']],
        [['register', 'model.onnx', '--name', 'x', '--run', UNKNOWN_RUN], tab, [UNKNOWN_RUN]],
        [['models', 'alias', 'x', '1', 'latest'], {}, ['"latest"']],
        [['models', 'alias', 'x', '1', 'champion'], {}, ['name=x']],
        [['models', 'delete', 'x/1'], {}, ['name=x']],
        [['models', 'card', 'x@champion'], {}, ['name=x']],
      ];
      for (const [args, files, mentions] of cases) refusedFresh(args, files, mentions);
    },
    T,
  );
});

function refusedFresh(args: string[], files: Record<string, Uint8Array | string>, mentions: (string | RegExp)[]): void {
  const dir = project('mlx-reg-fresh-');
  fs.rmSync(path.join(dir, 'tabular.onnx'));
  fs.rmSync(path.join(dir, 'image.onnx'));
  for (const [f, b] of Object.entries(files)) writeFile(dir, f, b);
  expectError(mlx(dir, args), 1, ...mentions);
  // Soft, so one run lists every command that leaves a store behind.
  expect.soft(fs.existsSync(path.join(dir, '.mlx')), `.mlx created by refused: mlx ${args.join(' ')}`).toBe(false);
  expect(registrySnapshot(dir).rows?.registered_models ?? [], 'nothing registered').toEqual([]);
}
