import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
import { mulberry32 } from '../core/random.js';
import { discreteCount, envName, gridPoint, gridSize, parseParamSpec, parseParamSpecs, sampleRandom, substitute } from './param-space.js';

function refused(text: string, why: RegExp) {
  let err: unknown;
  try {
    parseParamSpec(text);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MlxError);
  expect((err as MlxError).code).toBe('USAGE');
  expect((err as MlxError).message).toContain(JSON.stringify(text));
  expect((err as MlxError).message).toMatch(why);
}

describe('parseParamSpec', () => {
  it('reads lists, choice:, int:, quniform:, uniform: and loguniform:', () => {
    expect(parseParamSpec('lr=0.001,0.01,0.1')).toMatchObject({ key: 'lr', kind: 'choice', values: ['0.001', '0.01', '0.1'] });
    expect(parseParamSpec('opt=adam')).toMatchObject({ kind: 'choice', values: ['adam'] });
    expect(parseParamSpec('opt=choice:adam,sgd')).toMatchObject({ kind: 'choice', values: ['adam', 'sgd'] });
    expect(parseParamSpec('x=choice:int:3')).toMatchObject({ kind: 'choice', values: ['int:3'] });
    expect(parseParamSpec('layers=int:2:8')).toMatchObject({ kind: 'int', low: 2, high: 8, step: 1 });
    expect(parseParamSpec('units=int:32:256:32')).toMatchObject({ kind: 'int', low: 32, high: 256, step: 32 });
    expect(parseParamSpec('d=quniform:0:0.5:0.1')).toMatchObject({ kind: 'quniform', low: 0, high: 0.5, q: 0.1 });
    expect(parseParamSpec('dropout=uniform:0.0:0.5')).toMatchObject({ kind: 'uniform', low: 0, high: 0.5 });
    expect(parseParamSpec('lr=loguniform:1e-4:1e-1')).toMatchObject({ kind: 'loguniform', low: 1e-4, high: 0.1 });
    // A colon in an ordinary value is just a value.
    expect(parseParamSpec('model=resnet:50')).toMatchObject({ kind: 'choice', values: ['resnet:50'] });
    expect(parseParamSpec('lr=1=2')).toMatchObject({ key: 'lr', values: ['1=2'] });
  });

  it('refuses malformed specs, naming them', () => {
    refused('lr', /KEY=VALUES/);
    refused('lr=', /no values/);
    refused('=1,2', /key/);
    refused('lr=1,,2', /empty value/);
    refused('lr=1,', /empty value/);
    refused('lr=uniform:1', /LOW:HIGH/);
    refused('lr=uniform:0:x', /"x" is not a number/);
    refused('lr=uniform:1:1', /less than/);
    refused('lr=loguniform:0:1', /LOW > 0/);
    refused('lr=int:1.5:3', /not an integer/);
    refused('lr=int:5:1', /greater than/);
    refused('lr=int:1:5:0', /at least 1/);
    refused('lr=quniform:0:1:0', /greater than 0/);
    refused('lr=unifrom:0:1', /unknown distribution "unifrom"/);
    refused('a$b=1', /characters other than/);
  });

  it('refuses duplicate keys and keys sharing an environment variable', () => {
    expect(() => parseParamSpecs(['lr=1', 'lr=2'])).toThrow(/given twice/);
    expect(() => parseParamSpecs(['a.b=1', 'a_b=2'])).toThrow(/MLX_PARAM_A_B/);
    expect(() => parseParamSpecs([])).toThrow(/at least one param/);
  });
});

describe('grid', () => {
  it('expands in itertools.product order, the first param slowest', () => {
    const specs = parseParamSpecs(['lr=0.1,0.01', 'bs=32,64,128']);
    expect(gridSize(specs)).toBe(6);
    const points = Array.from({ length: 6 }, (_, i) => gridPoint(specs, i));
    expect(points).toEqual([
      { lr: '0.1', bs: '32' },
      { lr: '0.1', bs: '64' },
      { lr: '0.1', bs: '128' },
      { lr: '0.01', bs: '32' },
      { lr: '0.01', bs: '64' },
      { lr: '0.01', bs: '128' },
    ]);
  });

  it('lists int and quniform ranges with both ends included, without float noise', () => {
    const [i] = parseParamSpecs(['u=int:32:128:32']);
    expect(discreteCount(i)).toBe(4);
    const [q] = parseParamSpecs(['d=quniform:0:0.5:0.1']);
    expect(Array.from({ length: discreteCount(q)! }, (_, k) => gridPoint([q], k).d)).toEqual(['0', '0.1', '0.2', '0.3', '0.4', '0.5']);
    expect(gridSize(parseParamSpecs(['a=1,2', 'b=uniform:0:1']))).toBe(Infinity);
  });
});

describe('random sampling', () => {
  const specs = parseParamSpecs(['lr=loguniform:1e-4:1e-1', 'drop=uniform:0:0.5', 'bs=choice:16,32,64', 'layers=int:1:4', 'q=quniform:0:1:0.25']);

  it('is reproducible from the seed, and a prefix of a longer draw', () => {
    const a = sampleRandom(specs, 20, 42);
    expect(sampleRandom(specs, 20, 42)).toEqual(a);
    expect(sampleRandom(specs, 5, 42)).toEqual(a.slice(0, 5));
    expect(sampleRandom(specs, 20, 43)).not.toEqual(a);
  });

  it('stays inside each range and uses every choice', () => {
    const draws = sampleRandom(specs, 300, 1);
    for (const d of draws) {
      expect(Number(d.lr)).toBeGreaterThanOrEqual(1e-4);
      expect(Number(d.lr)).toBeLessThanOrEqual(0.1);
      expect(Number(d.drop)).toBeGreaterThanOrEqual(0);
      expect(Number(d.drop)).toBeLessThanOrEqual(0.5);
      expect(['16', '32', '64']).toContain(d.bs);
      expect(['1', '2', '3', '4']).toContain(d.layers);
      expect(['0', '0.25', '0.5', '0.75', '1']).toContain(d.q);
    }
    expect(new Set(draws.map((d) => d.bs)).size).toBe(3);
    expect(new Set(draws.map((d) => d.layers)).size).toBe(4);
    // Log-uniform: about a third of the draws in each decade.
    const low = draws.filter((d) => Number(d.lr) < 1e-3).length;
    expect(low).toBeGreaterThan(60);
    expect(low).toBeLessThan(140);
  });

  it('mulberry32 gives the same numbers everywhere', () => {
    const r = mulberry32(1);
    expect([r(), r(), r()].map((x) => x.toFixed(8))).toEqual(['0.62707394', '0.00273572', '0.52744704']);
  });
});

describe('substitution and environment', () => {
  it('replaces {key} and {trial}, leaving other braces alone', () => {
    expect(substitute(['--lr', '{lr}', '--out=runs/{trial}/{lr}', '{"json": 1}', '{unknown}'], { lr: '0.1' }, 3)).toEqual([
      '--lr',
      '0.1',
      '--out=runs/3/0.1',
      '{"json": 1}',
      '{unknown}',
    ]);
    expect(substitute(['{trial}'], { trial: 'mine' }, 3)).toEqual(['mine']);
  });

  it('names variables MLX_PARAM_<KEY>', () => {
    expect(envName('lr')).toBe('MLX_PARAM_LR');
    expect(envName('batch_size')).toBe('MLX_PARAM_BATCH_SIZE');
    expect(envName('model.depth-2')).toBe('MLX_PARAM_MODEL_DEPTH_2');
  });
});
