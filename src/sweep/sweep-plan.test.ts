import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { buildSweepConfig, type SweepFlags } from '../cli/commands/sweep-flags.js';
import { parseSweepConfig, planTrials, trialCommand, trialEnv } from './sweep-plan.js';

const CMD = ['python', 'train.py', '--lr', '{lr}'];
const build = (flags: SweepFlags, command = CMD) => buildSweepConfig(flags, command, () => 12345);

function usage(flags: SweepFlags, why: RegExp, command = CMD) {
  let err: unknown;
  try {
    build(flags, command);
  } catch (e) {
    err = e;
  }
  expect(err, `no error for ${JSON.stringify(flags)}`).toBeInstanceOf(MlxError);
  expect((err as MlxError).code).toBe('USAGE');
  expect((err as MlxError).message).toMatch(why);
}

describe('buildSweepConfig', () => {
  it('a grid when every param can be listed; its size is the number of combinations', () => {
    const c = build({ param: ['lr=0.001,0.01,0.1', 'bs=32,64'] });
    expect(c).toMatchObject({ strategy: 'grid', size: 6, seed: null, metric: null, goal: null, parallel: 1, failFast: false, earlyStop: null });
  });

  it('random when a param is continuous: 10 runs by default, a new seed recorded', () => {
    expect(build({ param: ['lr=loguniform:1e-4:1e-1'] })).toMatchObject({ strategy: 'random', size: 10, seed: 12345 });
    expect(build({ param: ['lr=1,2'], strategy: 'random', maxRuns: '4', seed: '7' })).toMatchObject({ size: 4, seed: 7 });
  });

  it('guesses the goal from the metric name as mlx compare does, unless given', () => {
    expect(build({ param: ['lr=1'], metric: 'val_loss' }).goal).toBe('min');
    expect(build({ param: ['lr=1'], metric: 'val_accuracy' }).goal).toBe('max');
    expect(build({ param: ['lr=1'], metric: 'val_accuracy', goal: 'min' }).goal).toBe('min');
  });

  it('records early stopping with its defaults', () => {
    expect(build({ param: ['lr=1'], metric: 'acc', earlyStop: true }).earlyStop).toEqual({ minRuns: 3, warmupSteps: null });
    expect(build({ param: ['lr=1'], metric: 'acc', earlyStop: true, earlyStopMinRuns: '5', earlyStopWarmup: '2' }).earlyStop).toEqual({
      minRuns: 5,
      warmupSteps: 2,
    });
  });

  it('refuses what cannot be run, before anything starts', () => {
    usage({ param: ['lr=1'] }, /command/, []);
    usage({}, /at least one --param/);
    usage({ param: ['lr=1'], strategy: 'bayes' }, /"bayes"/);
    usage({ param: ['lr=1'], goal: 'max' }, /--goal max needs --metric/);
    usage({ param: ['lr=1'], metric: 'acc', goal: 'up' }, /"up"/);
    usage({ param: ['lr=1,2,3', 'bs=1,2'], maxRuns: '4' }, /6 combinations.*--max-runs 4/);
    usage({ param: ['lr=int:1:200', 'bs=int:1:100'] }, /20,000 combinations.*--max-runs 20000/);
    usage({ param: ['lr=uniform:0:1'], strategy: 'grid' }, /grid needs values/);
    usage({ param: ['lr=1'], parallel: '0' }, /--parallel "0"/);
    usage({ param: ['lr=1'], maxRuns: 'x' }, /--max-runs "x"/);
    usage({ param: ['lr=1'], earlyStop: true }, /--early-stop needs --metric/);
    usage({ param: ['lr=1'], earlyStopWarmup: '2' }, /add --early-stop/);
    usage({ param: ['lr=1,2'], seed: '3' }, /--seed is for --strategy random/);
    usage({ param: ['lr=uniform:0:1'], seed: '-1' }, /--seed "-1"/);
    usage({ param: ['lr=1'], tag: ['novalue'] }, /"novalue"/);
    usage({ param: [`lr=${Array.from({ length: 1500 }, (_, i) => i).join(',')}`] }, /must fit/);
  });
});

describe('planTrials', () => {
  it('numbers trials from 1 and rebuilds the same list from the recorded definition', () => {
    const c = build({ param: ['lr=loguniform:1e-4:1e-1', 'bs=16,32'], maxRuns: '5' });
    const trials = planTrials(c);
    expect(trials.map((t) => t.trial)).toEqual([1, 2, 3, 4, 5]);
    const back = parseSweepConfig(JSON.stringify(c))!;
    expect(back).toEqual(c);
    expect(planTrials(back)).toEqual(trials);
  });

  it('parseSweepConfig refuses what it did not write', () => {
    expect(parseSweepConfig(undefined)).toBeNull();
    expect(parseSweepConfig('{')).toBeNull();
    expect(parseSweepConfig('{"version":2}')).toBeNull();
  });

  it('gives each trial its command and MLX_PARAM_* variables', () => {
    const c = build({ param: ['lr=0.1,0.2', 'batch_size=8'] }, ['train', '--lr={lr}', '--bs', '{batch_size}', '--out', 'r{trial}']);
    const [, second] = planTrials(c);
    expect(trialCommand(c, second)).toEqual(['train', '--lr=0.2', '--bs', '8', '--out', 'r2']);
    expect(trialEnv(second, 'P')).toEqual({ MLX_SWEEP_ID: 'P', MLX_SWEEP_TRIAL: '2', MLX_PARAM_LR: '0.2', MLX_PARAM_BATCH_SIZE: '8' });
  });
});
