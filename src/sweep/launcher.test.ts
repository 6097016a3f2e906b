import { describe, expect, it } from 'vitest';
import { mlxRunArgs } from './launcher.js';

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
