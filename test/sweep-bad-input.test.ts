// `mlx sweep` refusals: one `mlx: ` line naming the offending value, exit 2 for usage errors,
// and nothing started: no store created in a fresh folder, no run added to an existing one.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';

const T = 60_000;
const CMD = ['--', process.execPath, '-e', 'process.exit(0)'];

const USAGE: [string, string[], (string | RegExp)[]][] = [
  ['empty --param', ['--param', 'lr=', ...CMD], ['"lr="', /no values/]],
  ['--param without =', ['--param', 'lr', ...CMD], ['"lr"', /KEY=VALUES/]],
  ['--param without key', ['--param', '=1,2', ...CMD], ['"=1,2"', /key/]],
  ['--param with an empty value', ['--param', 'lr=0.1,,0.2', ...CMD], ['"lr=0.1,,0.2"', /empty value/]],
  ['malformed distribution', ['--param', 'lr=uniform:1', ...CMD], ['"lr=uniform:1"', /LOW:HIGH/]],
  ['non-numeric bound', ['--param', 'lr=loguniform:a:1', ...CMD], ['"a"', /not a number/]],
  ['bounds the wrong way', ['--param', 'lr=uniform:0.5:0.1', ...CMD], ['"lr=uniform:0.5:0.1"', /less than/]],
  ['loguniform from 0', ['--param', 'lr=loguniform:0:1', ...CMD], [/LOW > 0/]],
  ['unknown distribution', ['--param', 'lr=normal:0:1', ...CMD], ['"normal"', /unknown distribution/]],
  ['bad key', ['--param', 'a$b=1,2', ...CMD], ['"a$b"']],
  ['a key twice', ['--param', 'lr=1,2', '--param', 'lr=uniform:0:1', ...CMD], ['"lr"', /twice/]],
  ['unknown strategy', ['--param', 'lr=1,2', '--strategy', 'bayes', ...CMD], ['"bayes"', /grid or random/]],
  ['--goal without --metric', ['--param', 'lr=1,2', '--goal', 'max', ...CMD], ['--goal max', /--metric/]],
  ['bad --goal', ['--param', 'lr=1,2', '--metric', 'acc', '--goal', 'up', ...CMD], ['"up"']],
  ['grid larger than --max-runs', ['--param', 'lr=1,2,3', '--param', 'bs=32,64', '--max-runs', '4', ...CMD], [/6 combinations/, /--max-runs 4/]],
  ['continuous param in a grid', ['--param', 'lr=uniform:0:1', '--strategy', 'grid', ...CMD], ['"lr=uniform:0:1"', /--strategy random/]],
  ['no --param', [...CMD], [/--param/]],
  ['no command', ['--param', 'lr=1,2'], [/command/]],
  ['--parallel 0', ['--param', 'lr=1,2', '--parallel', '0', ...CMD], ['"0"', /--parallel/]],
  ['--max-runs not a number', ['--param', 'lr=uniform:0:1', '--max-runs', 'ten', ...CMD], ['"ten"']],
  ['--seed with a grid', ['--param', 'lr=1,2', '--seed', '3', ...CMD], [/--seed/]],
  ['--early-stop without --metric', ['--param', 'lr=1,2', '--early-stop', ...CMD], [/--early-stop needs --metric/]],
  ['--resume with a definition', ['--resume', 'abcdef', '--param', 'lr=1'], [/--resume/, /--param/]],
  ['--retry-failed without --resume', ['--param', 'lr=1', '--retry-failed', ...CMD], [/--retry-failed/]],
  ['unknown flag', ['--param', 'lr=1', '--bogus', ...CMD], ['--bogus']],
];

describe('mlx sweep refuses bad input and starts nothing', () => {
  it.each(USAGE)('%s: exit 2, one line, no store created', (_name, args, mentions) => {
    const dir = tempProject('mlx-sweep-bad-');
    expectError(mlx(dir, ['sweep', ...args]), 2, ...mentions);
    expect(fs.existsSync(path.join(dir, '.mlx')), '.mlx created by a refused sweep').toBe(false);
  });

  it(
    'refusals leave an existing store as it was',
    () => {
      const dir = tempProject('mlx-sweep-bad-');
      const run = mlx(dir, ['runs', 'start', '--name', 'existing']).stdout.trim();
      const before = mlxJson(dir, ['runs', 'list', '--view', 'all']);
      for (const [, args, mentions] of USAGE.slice(0, 16)) expectError(mlx(dir, ['sweep', ...args]), 2, ...mentions);
      expect(mlxJson(dir, ['runs', 'list', '--view', 'all'])).toEqual(before);
      expect(before.runs.map((r: any) => r.run_id)).toEqual([run]);
    },
    T,
  );

  it(
    '--resume of an unknown run or of a run that is not a sweep: exit 1, nothing written',
    () => {
      const dir = tempProject('mlx-sweep-bad-');
      const unknown = '0123456789abcdef0123456789abcdef';
      expectError(mlx(dir, ['sweep', '--resume', unknown]), 1, unknown);
      expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
      const run = mlx(dir, ['runs', 'start']).stdout.trim();
      const before = mlxJson(dir, ['runs', 'show', run]);
      expectError(mlx(dir, ['sweep', '--resume', run]), 1, run, /not a sweep/);
      expect(mlxJson(dir, ['runs', 'show', run])).toEqual(before);
    },
    T,
  );

  it(
    'mlx compare needs runs or --sweep; --sweep of a run without children says so',
    () => {
      const dir = tempProject('mlx-sweep-bad-');
      expectError(mlx(dir, ['compare']), 2, /--sweep/);
      const run = mlx(dir, ['runs', 'start']).stdout.trim();
      expectError(mlx(dir, ['compare', '--sweep', run]), 1, run, /no child runs/);
    },
    T,
  );
});
