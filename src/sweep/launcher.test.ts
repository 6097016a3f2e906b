import { describe, expect, it } from 'vitest';
import { firstErrorLine, mlxRunArgs } from './launcher.js';

describe('mlxRunArgs', () => {
  it('passes every value as --flag=value, so values starting with "-" stay values', () => {
    const args = mlxRunArgs({
      trial: 2,
      trackingUri: '/store',
      experiment: '-odd name',
      runName: 'sw-2',
      params: { lr: '-1', opt: 'adam' },
      tags: { 'mlx.sweep.trial': '2' },
      command: ['python', 'train.py', '--lr', '-1'],
      env: {},
      cwd: '/',
    });
    expect(args).toEqual([
      '--tracking-uri=/store',
      'run',
      '--experiment=-odd name',
      '--name=sw-2',
      '--param=lr=-1',
      '--param=opt=adam',
      '--tag=mlx.sweep.trial=2',
      '--',
      'python',
      'train.py',
      '--lr',
      '-1',
    ]);
  });
});

describe('firstErrorLine', () => {
  it("names a failure by its first error line: Python's exception, not the Traceback header nor the last line", () => {
    const python = [
      'mlx: run 0123456789abcdef0123456789abcdef (sw-1) in experiment "Default"',
      'loading data',
      'Traceback (most recent call last):',
      '  File "train.py", line 3, in <module>',
      "ModuleNotFoundError: No module named 'torch'",
      'Error in atexit._run_exitfuncs: ignored',
      'mlx: run 0123456789abcdef0123456789abcdef FAILED (exit code 1)',
    ];
    expect(firstErrorLine(python)).toBe("ModuleNotFoundError: No module named 'torch'");
    expect(firstErrorLine(["python3: can't open file '/x/trian.py': [Errno 2] No such file or directory", 'usage: …'])).toMatch(/^python3: can't open file/);
    expect(firstErrorLine(['epoch 1', 'epoch 2'])).toBeNull();
  });
});
