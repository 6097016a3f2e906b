import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph, selectStages } from './graph.js';
import { ParamsFiles } from './params.js';
import { parsePipeline, type Pipeline } from './spec.js';
import { YamlCache } from './yaml.js';

function project(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-spec-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

const parse = (yaml: string, root = project()) => parsePipeline(yaml, new ParamsFiles(root));
const pipeline = (yaml: string, root = project()): Pipeline => ({ root, stages: parse(yaml, root), params: new ParamsFiles(root), cache: new YamlCache(null) });

describe('mlx.yaml', () => {
  it('reads stages with their cmd, deps, params, outs and metrics', () => {
    const [s] = parse(`stages:
  train:
    cmd: python train.py
    deps: [data/train.csv, ./src/]
    params: [train.lr, {config.yaml: [epochs]}]
    outs: [model.onnx, {cache/: {cache: false, persist: true}}]
    metrics: [metrics.json]
`);
    expect(s).toMatchObject({
      name: 'train',
      cmd: ['python train.py'],
      deps: ['data/train.csv', 'src'],
      params: [
        { file: 'params.yaml', key: 'train.lr' },
        { file: 'config.yaml', key: 'epochs' },
      ],
      outs: [
        { path: 'model.onnx', cache: true, persist: false },
        { path: 'cache', cache: false, persist: true },
      ],
      metrics: ['metrics.json'],
    });
  });

  it('fans out foreach over a list, a mapping and a list from params.yaml, interpolating ${item}, ${key} and params', () => {
    const root = project({ 'params.yaml': 'models: [a, b]\nsplit: 0.2\n' });
    const stages = parse(
      `stages:
  list:
    foreach: [small, big]
    do: { cmd: "train \${item} --split \${split}", outs: ["m/\${item}.onnx"] }
  map:
    foreach: { fast: { lr: 0.1 }, slow: { lr: 0.01 } }
    do: { cmd: "train \${key} \${item.lr}" }
  fromParams:
    foreach: \${models}
    do: { cmd: "echo \${item} $\${HOME}" }
`,
      root,
    );
    expect(stages.map((s) => [s.name, s.cmd[0]])).toEqual([
      ['list@small', 'train small --split 0.2'],
      ['list@big', 'train big --split 0.2'],
      ['map@fast', 'train fast 0.1'],
      ['map@slow', 'train slow 0.01'],
      ['fromParams@a', 'echo a ${HOME}'],
      ['fromParams@b', 'echo b ${HOME}'],
    ]);
    expect(stages[0].outs[0].path).toBe('m/small.onnx');
    expect(stages[0].group).toBe('list');
  });

  it.each([
    ['stages:\n  a:\n    cmd: x\n    comand: y\n', /stage a has an unknown key "comand"/],
    ['stages:\n  a:\n    deps: [x]\n', /stage a has no cmd/],
    ['stages: {}\n', /"stages" must map stage names/],
    ['version: 2\nstages:\n  a: {cmd: x}\n', /unknown key "version"/],
    ['stages:\n  a: {cmd: x}\n  a: {cmd: y}\n', /not valid YAML: Map keys must be unique/],
    ['stages:\n  "a b": {cmd: x}\n', /stage name "a b" must be/],
    ['stages:\n  a: {cmd: x, outs: [../elsewhere]}\n', /path "..\/elsewhere" is outside the project/],
    ['stages:\n  a: {cmd: x, deps: [/etc/passwd]}\n', /must be relative/],
    ['stages:\n  a: {cmd: x, outs: [.git]}\n', /cannot be an output/],
    ['stages:\n  a: {cmd: x, outs: [m, m]}\n', /declares the output m twice/],
    ['stages:\n  a: {cmd: "train ${nope}"}\n', /\$\{nope\} is not a foreach item or a key of params.yaml/],
    ['stages:\n  a: {foreach: [x], cmd: y}\n', /move "cmd" there/],
    ['stages:\n  a: {foreach: [], do: {cmd: y}}\n', /foreach is empty/],
    ['stages:\n  a: {foreach: ["x y"], do: {cmd: y}}\n', /foreach item "x y" cannot be part of a stage name/],
    ['stages:\n  a: {cmd: x, outs: [{m: {cahce: false}}]}\n', /unknown option "cahce"/],
    ['stages: [a, b]\n', /"stages" must map/],
    ['stages:\n  a:\n    cmd: [x\n', /not valid YAML/],
  ])('refuses %j', (yaml, message) => {
    expect(() => parse(yaml)).toThrow(message);
  });
});

describe('the stage graph', () => {
  const chain = `stages:
  prepare: {cmd: p, deps: [raw.csv], outs: [data/clean]}
  features: {cmd: f, deps: [data/clean/x.csv], outs: [data/features.csv]}
  train: {cmd: t, deps: [data/features.csv, data/clean], outs: [model.onnx]}
  report: {cmd: r, deps: [raw.csv], outs: [report.html]}
`;
  it('orders stages by what they read, and selects a target with its upstream', () => {
    const g = buildGraph(pipeline(chain, project({ 'raw.csv': 'a\n' })));
    expect(g.stages.map((s) => s.name)).toEqual(['prepare', 'features', 'train', 'report']);
    expect(g.upstream.get('train')).toEqual(['features', 'prepare']);
    expect(selectStages(g, 'train').map((s) => s.name)).toEqual(['prepare', 'features', 'train']);
    expect(selectStages(g, 'train', { single: true }).map((s) => s.name)).toEqual(['train']);
    expect(() => selectStages(g, 'trian')).toThrow('no stage "trian" in mlx.yaml; its stages are prepare, features, train, report');
  });

  it.each([
    ['stages:\n  a: {cmd: x, deps: [b.txt], outs: [a.txt]}\n  b: {cmd: y, deps: [a.txt], outs: [b.txt]}\n', 'the stages form a cycle: a -> b -> a'],
    ['stages:\n  a: {cmd: x, outs: [data]}\n  b: {cmd: y, outs: [data/x.csv]}\n', 'stages a and b both declare the output data (and data/x.csv)'],
    ['stages:\n  a: {cmd: x, outs: [m.txt]}\n  b: {cmd: y, metrics: [m.txt]}\n', 'stages a and b both declare the output m.txt'],
    ['stages:\n  a: {cmd: x, deps: [data/in.csv], outs: [data]}\n', 'stage a declares data/in.csv as a dep and data as its output'],
    ['stages:\n  a: {cmd: x, deps: [missing.csv]}\n', 'stage a depends on missing.csv, which does not exist and is no stage'],
  ])('refuses %j', (yaml, message) => {
    expect(() => buildGraph(pipeline(yaml))).toThrow(message);
  });
});
