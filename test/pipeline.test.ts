import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxJson, mlxSpawn, tempProject } from './helpers/cli.js';
import { startTrackingServer, stopTrackingServers } from './helpers/tracking-server.js';

// A real three-stage project: prepare reads raw.csv and params.yaml's prepare.rows, train reads
// what prepare wrote and train.lr and writes a metrics file, report reads raw.csv only.
const PIPELINE = `stages:
  prepare:
    cmd: node prepare.mjs
    deps: [raw.csv, prepare.mjs]
    params: [prepare.rows]
    outs: [data/clean.csv]
  train:
    cmd: node train.mjs
    deps: [data/clean.csv, train.mjs]
    params: [train.lr]
    outs: [model.txt]
    metrics: [metrics.json]
  report:
    cmd: wc -l raw.csv > report.txt
    deps: [raw.csv]
    outs: [report.txt]
`;
const PREPARE = `import fs from 'node:fs';
const rows = Number(/rows: (\\d+)/.exec(fs.readFileSync('params.yaml', 'utf8'))[1]);
const lines = fs.readFileSync('raw.csv', 'utf8').trim().split('\\n').slice(0, rows + 1);
fs.writeFileSync('data/clean.csv', lines.join('\\n') + '\\n');
console.log('prepared', rows, 'rows');
`;
const TRAIN = `import fs from 'node:fs';
const lr = Number(/lr: ([\\d.]+)/.exec(fs.readFileSync('params.yaml', 'utf8'))[1]);
const n = fs.readFileSync('data/clean.csv', 'utf8').trim().split('\\n').length - 1;
fs.writeFileSync('model.txt', 'weights ' + lr * n + '\\n');
fs.writeFileSync('metrics.json', JSON.stringify({ rows: n, val: { accuracy: 0.5 + lr } }));
`;

function project(): string {
  const dir = tempProject('mlx-pipeline-');
  fs.writeFileSync(path.join(dir, 'mlx.yaml'), PIPELINE);
  fs.writeFileSync(path.join(dir, 'params.yaml'), 'prepare:\n  rows: 3\ntrain:\n  lr: 0.1\n');
  fs.writeFileSync(path.join(dir, 'raw.csv'), 'x,y\n1,2\n3,4\n5,6\n7,8\n');
  fs.writeFileSync(path.join(dir, 'prepare.mjs'), PREPARE);
  fs.writeFileSync(path.join(dir, 'train.mjs'), TRAIN);
  return dir;
}

const runs = (dir: string) => mlxJson<{ runs: any[] }>(dir, ['runs', 'list']).runs;
const actions = (doc: { stages: { stage: string; action: string }[] }) => Object.fromEntries(doc.stages.map((s) => [s.stage, s.action]));

describe('mlx repro', () => {
  it('runs each stage as a run nested under one pipeline run, then does nothing until an input changes', () => {
    const dir = project();
    const first = mlx(dir, ['repro']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('prepared 3 rows');
    expect(fs.readFileSync(path.join(dir, 'model.txt'), 'utf8')).toBe('weights 0.30000000000000004\n');
    const all = runs(dir);
    const parent = all.find((r) => r.run_name === 'repro');
    expect(all.map((r) => r.run_name).sort()).toEqual(['prepare', 'report', 'repro', 'train']);
    const train = mlxJson(dir, ['runs', 'show', all.find((r) => r.run_name === 'train').run_id]);
    expect(train.tags['mlflow.parentRunId']).toBe(parent.run_id);
    expect(train.tags['mlx.pipeline.stage']).toBe('train');
    expect(train.params).toEqual({ 'train.lr': '0.1' });
    expect(train.metrics).toEqual({ rows: 3, 'val.accuracy': 0.6 });
    expect(train.inputs.map((i: any) => i.name).sort()).toEqual(['data/clean.csv', 'train.mjs']);
    expect(train.inputs[0].digest).toMatch(/^[0-9a-f]{64}$/);
    expect(parent.status).toBe('FINISHED');
    const lock = fs.readFileSync(path.join(dir, 'mlx.lock'), 'utf8');
    expect(lock).toContain('prepare.rows: 3');

    // Nothing changed: no run, no store write, the lock untouched.
    const again = mlx(dir, ['repro']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing to do: all 3 stages are up to date');
    expect(runs(dir)).toHaveLength(4);
    expect(fs.readFileSync(path.join(dir, 'mlx.lock'), 'utf8')).toBe(lock);

    // A changed param re-runs only the stage that reads it.
    fs.writeFileSync(path.join(dir, 'params.yaml'), 'prepare:\n  rows: 3\ntrain:\n  lr: 0.2\n');
    const dry = mlxJson(dir, ['repro', '--dry-run']);
    expect(dry.stages.find((s: any) => s.stage === 'train').reasons).toEqual(['params changed: train.lr']);
    expect(actions(dry)).toEqual({ prepare: 'unchanged', train: 'would-run', report: 'unchanged' });
    expect(fs.readFileSync(path.join(dir, 'mlx.lock'), 'utf8')).toBe(lock);
    const third = mlxJson(dir, ['repro']);
    expect(actions(third)).toEqual({ prepare: 'unchanged', train: 'ran', report: 'unchanged' });
    expect(runs(dir)).toHaveLength(6);

    // Back to the old value: the run cache gives the old outputs back without running.
    fs.writeFileSync(path.join(dir, 'params.yaml'), 'prepare:\n  rows: 3\ntrain:\n  lr: 0.1\n');
    const back = mlxJson(dir, ['repro']);
    expect(actions(back)).toEqual({ prepare: 'unchanged', train: 'restored', report: 'unchanged' });
    expect(fs.readFileSync(path.join(dir, 'model.txt'), 'utf8')).toBe('weights 0.30000000000000004\n');
    expect(runs(dir)).toHaveLength(6);
    expect(fs.readFileSync(path.join(dir, 'mlx.lock'), 'utf8')).toBe(lock);

    // A changed dep: the dry run names it, and what is downstream follows.
    fs.appendFileSync(path.join(dir, 'raw.csv'), '9,10\n');
    const why = mlxJson(dir, ['repro', '--dry-run']);
    expect(why.stages.map((s: any) => [s.stage, s.reasons.join('; ')])).toEqual([
      ['prepare', 'deps changed: raw.csv'],
      ['train', 'upstream prepare would run first'],
      ['report', 'deps changed: raw.csv'],
    ]);
    const table = mlx(dir, ['repro', '--dry-run']);
    expect(table.stdout).toMatch(/prepare\s*│ yes\s*│ deps changed: raw.csv/);
    // prepare takes 3 rows either way: its output is the same, so train stays up to date.
    expect(actions(mlxJson(dir, ['repro']))).toEqual({ prepare: 'ran', train: 'unchanged', report: 'ran' });
  });

  it('--dry-run on a fresh project says every stage would run, and writes nothing', () => {
    const dir = project();
    const doc = mlxJson(dir, ['repro', '--dry-run']);
    expect(doc.stages.map((s: any) => [s.stage, s.action, s.reasons.join('; ')])).toEqual([
      ['prepare', 'would-run', 'never run'],
      ['train', 'would-run', 'never run; upstream prepare would run first'],
      ['report', 'would-run', 'never run'],
    ]);
    expect(fs.readdirSync(dir).sort()).toEqual(['mlx.yaml', 'params.yaml', 'prepare.mjs', 'raw.csv', 'train.mjs']);
  });

  it('runs a target and what it needs; --force runs it again; a deleted output comes back from the cache', () => {
    const dir = project();
    expect(actions(mlxJson(dir, ['repro', 'train']))).toEqual({ prepare: 'ran', train: 'ran' });
    expect(fs.existsSync(path.join(dir, 'report.txt'))).toBe(false);
    expect(actions(mlxJson(dir, ['repro', 'train', '--single', '--force']))).toEqual({ train: 'ran' });
    fs.rmSync(path.join(dir, 'model.txt'));
    const r = mlxJson(dir, ['repro', 'train']);
    expect(r.stages[1]).toMatchObject({ stage: 'train', action: 'restored', reasons: ['outs missing: model.txt'] });
    expect(fs.readFileSync(path.join(dir, 'model.txt'), 'utf8')).toMatch(/^weights/);
  });

  it('stops the dependants of a failed stage, keeps the others, marks the pipeline run FAILED and leaves the lock with what succeeded', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'train.mjs'), 'process.exit(3);\n');
    const r = mlx(dir, ['repro', '--json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(actions(doc)).toEqual({ prepare: 'ran', train: 'failed', report: 'ran' });
    const lock = fs.readFileSync(path.join(dir, 'mlx.lock'), 'utf8');
    expect(lock).toContain('prepare:');
    expect(lock).toContain('report:');
    expect(lock).not.toContain('train:');
    expect(runs(dir).find((x) => x.run_name === 'repro').status).toBe('FAILED');
    expect(runs(dir).find((x) => x.run_name === 'train').status).toBe('FAILED');
  });

  it('treats a validation stage as a gate: its non-zero exit (4) stops training, and repro exits with it', () => {
    const dir = project();
    // The gate writes its report only when the data passes; training reads the report, so it runs after the gate and only if it passed.
    fs.writeFileSync(
      path.join(dir, 'check.mjs'),
      "import fs from 'node:fs';\nif (fs.readFileSync('raw.csv', 'utf8').includes('bad')) process.exit(4);\nfs.writeFileSync('validated.json', '{}');\n",
    );
    fs.writeFileSync(
      path.join(dir, 'mlx.yaml'),
      `stages:
  validate:
    cmd: node check.mjs
    deps: [raw.csv, check.mjs]
    outs: [validated.json]
  train:
    cmd: cp raw.csv model.txt
    deps: [raw.csv, validated.json]
    outs: [model.txt]
`,
    );
    fs.appendFileSync(path.join(dir, 'raw.csv'), 'bad,row\n');
    const r = mlx(dir, ['repro']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('stage validate: FAILED: command exited with 4');
    expect(r.stderr).toContain('stage train: not run: upstream stage validate did not succeed');
    expect(fs.existsSync(path.join(dir, 'model.txt'))).toBe(false);
  });

  it('fails a stage that does not write a declared output', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'mlx.yaml'), 'stages:\n  a:\n    cmd: "true"\n    outs: [never.txt]\n');
    const r = mlx(dir, ['repro']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stage a: FAILED: the command succeeded but did not write its output never.txt');
    expect(runs(dir).find((x) => x.run_name === 'a').status).toBe('FAILED');
  });

  it('runs independent stages at once with --jobs (each waits until the other has started)', () => {
    const dir = project();
    const wait = (mine: string, other: string) =>
      `node -e "require('fs').writeFileSync('${mine}.started','');const t=Date.now();while(!require('fs').existsSync('${other}.started')){if(Date.now()-t>20000)process.exit(9)}" && echo done > ${mine}.out`;
    fs.writeFileSync(
      path.join(dir, 'mlx.yaml'),
      `stages:\n  a:\n    cmd: ${JSON.stringify(wait('a', 'b'))}\n    outs: [a.out]\n  b:\n    cmd: ${JSON.stringify(wait('b', 'a'))}\n    outs: [b.out]\n`,
    );
    const r = mlx(dir, ['repro', '--jobs', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'a.out'), 'utf8')).toBe('done\n');
  });

  it('expands foreach into one stage (and one run) per item', () => {
    const dir = project();
    fs.writeFileSync(
      path.join(dir, 'mlx.yaml'),
      'stages:\n  train:\n    foreach: [small, big]\n    do:\n      cmd: echo ${item} > ${item}.txt\n      deps: [raw.csv]\n      outs:\n        - ${item}.txt\n',
    );
    expect(actions(mlxJson(dir, ['repro']))).toEqual({ 'train@small': 'ran', 'train@big': 'ran' });
    expect(fs.readFileSync(path.join(dir, 'big.txt'), 'utf8')).toBe('big\n');
    expect(actions(mlxJson(dir, ['repro', 'train', '--dry-run']))).toEqual({ 'train@small': 'unchanged', 'train@big': 'unchanged' });
  });
  it('Ctrl-C stops the running stage and starts no more: exit 130, the lock without it, the runs KILLED and FAILED', async () => {
    const dir = project();
    fs.writeFileSync(
      path.join(dir, 'mlx.yaml'),
      `stages:
  slow:
    cmd: node -e "require('fs').writeFileSync('started', ''); setTimeout(() => {}, 60000)"
    deps: [raw.csv]
    outs: [slow.txt]
  after:
    cmd: cp slow.txt after.txt
    deps: [slow.txt]
    outs: [after.txt]
`,
    );
    const child = mlxSpawn(dir, ['repro']);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 300 && !fs.existsSync(path.join(dir, 'started')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(fs.existsSync(path.join(dir, 'started')), stderr).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('stage after: not run: upstream stage slow did not succeed');
    expect(fs.existsSync(path.join(dir, 'mlx.lock'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.mlx', 'pipeline', 'repro.pid'))).toBe(false);
    const all = runs(dir);
    expect(all.find((x) => x.run_name === 'slow').status).toBe('KILLED');
    expect(all.find((x) => x.run_name === 'repro').status).toBe('FAILED');
  });

  it('--no-run-cache runs a stage whose earlier execution is cached', () => {
    const dir = project();
    mlxJson(dir, ['repro', 'prepare']);
    fs.rmSync(path.join(dir, 'data/clean.csv'));
    expect(actions(mlxJson(dir, ['repro', 'prepare', '--no-run-cache']))).toEqual({ prepare: 'ran' });
  });
});

describe('mlx repro against a tracking server', () => {
  afterAll(() => stopTrackingServers());
  it('logs the pipeline run, the stage runs (params, metrics, inputs) and their output to mlx server, with its token', async () => {
    const server = await startTrackingServer({ token: 'pipeline-token-1' });
    const dir = project();
    const env = { MLX_TRACKING_URI: server.url, MLX_TRACKING_TOKEN: 'pipeline-token-1' };
    const r = mlx(dir, ['repro', 'train', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const train = mlxJson(dir, ['runs', 'show', doc.stages[1].run_id], { env });
    expect(train.tags['mlflow.parentRunId']).toBe(doc.pipeline_run_id);
    expect(train.metrics).toEqual({ rows: 3, 'val.accuracy': 0.6 });
    expect(train.params).toEqual({ 'train.lr': '0.1' });
    expect(train.inputs.map((i: any) => i.name).sort()).toEqual(['data/clean.csv', 'train.mjs']);
    expect(train.artifacts.map((a: any) => a.path)).toContain('logs/output.txt');
    // Nothing local but the pipeline's own state: the runs live on the server.
    expect(fs.existsSync(path.join(dir, '.mlx', 'mlx.db'))).toBe(false);
  });
});

describe('mlx dag', () => {
  it('prints the graph as text, DOT, Mermaid and JSON', () => {
    const dir = project();
    expect(mlx(dir, ['dag']).stdout).toBe('prepare\n└─> train\nreport\n');
    const dot = mlx(dir, ['dag', '--dot']).stdout;
    expect(dot).toContain('"prepare" -> "train" [label="data/clean.csv"];');
    expect(mlx(dir, ['dag', '--mermaid']).stdout).toContain('s0 --> s1');
    const doc = mlxJson(dir, ['dag', 'train']);
    expect(doc.edges).toEqual([{ from: 'prepare', to: 'train', paths: ['data/clean.csv'] }]);
    expect(doc.stages.map((s: any) => s.name)).toEqual(['prepare', 'train']);
  });
});

describe('mlx.yaml and mlx repro: bad input is refused before anything runs, writing nothing', () => {
  const refused = (yaml: string | null, args: string[], code: number, ...mentions: (string | RegExp)[]) => {
    const dir = project();
    if (yaml !== null) fs.writeFileSync(path.join(dir, 'mlx.yaml'), yaml);
    expectError(mlx(dir, args), code, ...mentions);
    expect(fs.existsSync(path.join(dir, 'mlx.lock'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  };
  it.each([
    ['an unknown key', 'stages:\n  prepare:\n    cmd: x\n    dependencies: [raw.csv]\n', 'stage prepare has an unknown key "dependencies"'],
    ['a stage without cmd', 'stages:\n  prepare:\n    deps: [raw.csv]\n', 'stage prepare has no cmd'],
    ['a cycle', 'stages:\n  a: {cmd: x, deps: [b.txt], outs: [a.txt]}\n  b: {cmd: y, deps: [a.txt], outs: [b.txt]}\n', 'the stages form a cycle: a -> b -> a'],
    ['an output of two stages', 'stages:\n  a: {cmd: x, outs: [m.txt]}\n  b: {cmd: y, outs: [m.txt]}\n', 'stages a and b both declare the output m.txt'],
    ['a stage reading its own output', 'stages:\n  a: {cmd: x, deps: [m.txt], outs: [m.txt]}\n', 'stage a declares m.txt as a dep and m.txt as its output'],
    ['a missing dep', 'stages:\n  a: {cmd: x, deps: [nope.csv]}\n', 'stage a depends on nope.csv, which does not exist'],
    ['a path outside the project', 'stages:\n  a: {cmd: x, outs: [../out.txt]}\n', 'is outside the project'],
    ['invalid YAML', 'stages:\n  a: {cmd: x\n', 'mlx.yaml is not valid YAML'],
    ['a param key not in params.yaml', 'stages:\n  a: {cmd: x, params: [train.momentum]}\n', 'stage a reads param train.momentum, which is not in params.yaml'],
  ])('%s', (_what, yaml, message) => refused(yaml, ['repro'], 1, message));

  it('an unknown stage, a bad --jobs, --single without a stage, no mlx.yaml', () => {
    refused(null, ['repro', 'trian'], 1, 'no stage "trian" in mlx.yaml; its stages are prepare, train, report');
    refused(null, ['repro', '--jobs', '0'], 2, '--jobs "0" must be an integer from 1 to 64');
    refused(null, ['repro', '--single'], 2, '--single needs a STAGE');
    refused(null, ['dag', '--dot', '--mermaid'], 2, '--mermaid cannot go with --dot');
    const empty = tempProject('mlx-pipeline-');
    expectError(mlx(empty, ['repro']), 1, 'no mlx.yaml in');
  });

  it('a damaged mlx.lock is named, with what to do', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'mlx.lock'), 'schema: 1\nstages: [oops\n');
    expectError(mlx(dir, ['repro']), 1, /mlx.lock is damaged \(not valid YAML.*\); restore it with `git checkout mlx.lock`, or delete it/);
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  });
});
