// Issue 22, item 19: shell completion offers experiment names, model names and aliases, models:/
// URIs and enumerated flag values, read from the store by the real `mlx` on PATH, in real shells.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageClassifierOnnx, trainImageClassifier } from '../src/models/onnx/sample-models.js';
import { MLX_BIN, cleanEnv, mlx, mlxJson, tempProject } from './helpers/cli.js';

const T = 60_000;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
let dir: string;
let bin: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = tempProject('mlx-completion-store-');
  // `mlx` on PATH, as an installed one is: the scripts ask it for names.
  bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'mlx'), `#!/bin/sh\nexec "${process.execPath}" "${MLX_BIN}" "$@"\n`, { mode: 0o755 });
  env = cleanEnv({ PATH: `${bin}:${process.env.PATH}` });
  for (const shell of ['bash', 'fish']) fs.writeFileSync(path.join(dir, `mlx.${shell}`), mlx(dir, ['completion', shell]).stdout);
  mlxJson(dir, ['experiments', 'create', 'image-classifier-v2']);
  mlxJson(dir, ['experiments', 'create', 'images-old']);
  fs.writeFileSync(path.join(dir, 'm.onnx'), imageClassifierOnnx(trainImageClassifier({ seed: 1 })));
  expect(mlx(dir, ['register', 'm.onnx', '--name', 'pets', '--alias', 'champion']).code).toBe(0);
}, T);

function bash(...words: string[]): string[] {
  const r = spawnSync(
    'bash',
    [
      '-c',
      'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _mlx; printf "%s\\n" "${COMPREPLY[@]}"',
      'bash',
      path.join(dir, 'mlx.bash'),
      ...words,
    ],
    { cwd: dir, encoding: 'utf8', env },
  );
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('completion from the store', () => {
  it(
    'mlx __complete lists names one a line; without a store it lists what a new one would have and creates none',
    () => {
      expect(mlx(dir, ['__complete', 'experiments']).stdout.split('\n').filter(Boolean).sort()).toEqual(['Default', 'image-classifier-v2', 'images-old']);
      expect(mlx(dir, ['__complete', 'models']).stdout.split('\n').filter(Boolean).sort()).toEqual(['pets', 'pets/1', 'pets@champion']);
      expect(mlx(dir, ['__complete', 'model-uris']).stdout.split('\n').filter(Boolean).sort()).toEqual(['models:/pets/1', 'models:/pets@champion']);
      const empty = tempProject('mlx-completion-empty-');
      const r = mlx(empty, ['__complete', 'experiments']);
      expect(r).toMatchObject({ code: 0, stdout: 'Default\n', stderr: '' }); // what every store starts with
      expect(fs.readdirSync(empty)).toEqual([]);
      // Hidden: not in the help nor in the completion of commands.
      expect(mlx(dir, ['--help']).stdout).not.toContain('__complete');
    },
    T,
  );

  it(
    'bash: experiment names for --experiment and experiment arguments, models and aliases, models:/ URIs, --test values',
    () => {
      expect(bash('mlx', 'runs', 'list', '--experiment', 'ima')).toEqual(['image-classifier-v2', 'images-old']);
      expect(bash('mlx', 'run', '-e', 'image-c')).toEqual(['image-classifier-v2']);
      expect(bash('mlx', 'experiments', 'delete', 'images-')).toEqual(['images-old']);
      expect(bash('mlx', 'models', 'show', 'pe')).toEqual(['pets', 'pets/1', 'pets@champion']);
      expect(bash('mlx', 'serve', 'models:/pets@')).toEqual(['models:/pets@champion']);
      expect(bash('mlx', 'drift', '--test', 'j')).toEqual(['jensenshannon']);
      expect(bash('mlx', 'runs', 'list', '--view', 'd')).toEqual(['deleted']);
    },
    T,
  );

  it.skipIf(!has('fish'))(
    'fish: the same names',
    () => {
      const fish = (line: string) => {
        const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', path.join(dir, 'mlx.fish'), line], {
          cwd: dir,
          encoding: 'utf8',
          env,
        });
        expect(r.stderr).toBe('');
        return r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]!)
          .sort();
      };
      expect(fish('mlx runs list -e ima')).toEqual(['image-classifier-v2', 'images-old']);
      expect(fish('mlx models show pets@')).toEqual(['pets@champion']);
      expect(fish('mlx drift --test j')).toEqual(['jensenshannon']);
    },
    T,
  );
});
