// Happy paths of the tracking commands, as spawned processes against a real store.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { mlx, tempProject } from './helpers/cli.js';

const T = 60_000;

/** Runs mlx and insists it succeeded quietly; returns stdout. */
function ok(dir: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): string {
  const r = mlx(dir, args, opts);
  expect(r.code, `mlx ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** `--json` output: exactly one JSON document on stdout, nothing on stderr. */
function json(dir: string, args: string[], opts: { input?: string } = {}): any {
  const r = mlx(dir, [...args, '--json'], opts);
  expect(r.code, `mlx ${args.join(' ')} --json: ${r.stderr}`).toBe(0);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout); // throws on a second document or any extra text
}

const start = (dir: string, ...args: string[]) => ok(dir, ['runs', 'start', ...args]).trim();
const names = (res: { runs: { run_name: string }[] }) => res.runs.map((r) => r.run_name);

function metricRows(dir: string, run: string, key: string): number {
  const db = new Database(path.join(dir, '.mlx', 'mlx.db'), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM metrics WHERE run_uuid = ? AND key = ?').pluck().get(run, key) as number;
  } finally {
    db.close();
  }
}

describe('experiments', () => {
  it(
    'Default (id "0") exists from the start; create, list, rename, delete, restore',
    () => {
      const dir = tempProject('mlx-exp-');
      const initial = json(dir, ['experiments', 'list']);
      expect(initial.experiments.map((e: any) => [e.experiment_id, e.name, e.lifecycle_stage])).toEqual([['0', 'Default', 'active']]);
      expect(fs.existsSync(path.join(dir, '.mlx')), 'looking writes nothing').toBe(false);

      expect(ok(dir, ['experiments', 'create', 'vision'])).toBe('1\n');
      const created = json(dir, ['experiments', 'create', 'nlp', '--tag', 'team=text']);
      expect(created).toMatchObject({ experiment_id: '2', name: 'nlp', lifecycle_stage: 'active', tags: { team: 'text' } });
      expect(json(dir, ['experiments', 'list']).experiments.map((e: any) => e.name)).toEqual(['Default', 'vision', 'nlp']);

      ok(dir, ['experiments', 'rename', 'vision', 'images']);
      ok(dir, ['experiments', 'rename', '2', 'language']);
      expect(json(dir, ['experiments', 'list']).experiments.map((e: any) => e.name)).toEqual(['Default', 'images', 'language']);

      const run = start(dir, '--experiment', 'images');
      ok(dir, ['experiments', 'delete', 'images']);
      expect(json(dir, ['experiments', 'list']).experiments.map((e: any) => e.name)).toEqual(['Default', 'language']);
      expect(json(dir, ['experiments', 'list', '--view', 'deleted']).experiments.map((e: any) => e.name)).toEqual(['images']);
      expect(json(dir, ['runs', 'show', run]).lifecycle_stage).toBe('deleted');

      ok(dir, ['experiments', 'restore', '1']);
      expect(json(dir, ['experiments', 'list', '--view', 'all']).experiments.map((e: any) => [e.name, e.lifecycle_stage])).toEqual([
        ['Default', 'active'],
        ['images', 'active'],
        ['language', 'active'],
      ]);
      expect(json(dir, ['runs', 'show', run]).lifecycle_stage).toBe('active');
    },
    T,
  );

  it(
    'the Default experiment listed before any write shows where its artifacts will go',
    () => {
      const dir = tempProject('mlx-exp-');
      const before = json(dir, ['experiments', 'list']).experiments[0].artifact_location;
      expect(before).not.toContain(':memory:');
      start(dir);
      expect(before).toBe(json(dir, ['experiments', 'list']).experiments[0].artifact_location);
    },
    T,
  );
});

describe('--tracking-uri', () => {
  it('is taken before or after the command name; after it, it wins', () => {
    const dir = tempProject('mlx-uri-');
    const elsewhere = path.join(dir, 'elsewhere');
    ok(dir, ['experiments', 'create', 'there', '--tracking-uri', elsewhere]);
    expect(fs.existsSync(path.join(elsewhere, 'mlx.db'))).toBe(true);
    expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
    const listed = (args: string[]) => json(dir, args).experiments.map((e: { name: string }) => e.name);
    expect(listed(['--tracking-uri', elsewhere, 'experiments', 'list'])).toEqual(['Default', 'there']);
    expect(listed(['experiments', 'list', '--tracking-uri', elsewhere])).toEqual(['Default', 'there']);
    expect(listed(['--tracking-uri', path.join(dir, 'nowhere'), 'experiments', 'list', '--tracking-uri', elsewhere])).toEqual(['Default', 'there']);
  });
});

describe('runs', () => {
  it(
    'runs start prints the id; runs end sets status and end time; delete and restore',
    () => {
      const dir = tempProject('mlx-runs-');
      const a = start(dir, '--name', 'first', '--param', 'lr=0.1', '--tag', 'stage=dev', '--experiment', 'new-exp');
      expect(a).toMatch(/^[0-9a-f]{32}$/);
      const shown = json(dir, ['runs', 'show', a]);
      expect(shown).toMatchObject({
        run_id: a,
        run_name: 'first',
        status: 'RUNNING',
        end_time: null,
        lifecycle_stage: 'active',
        params: { lr: '0.1' },
        tags: { stage: 'dev', 'mlflow.runName': 'first', 'mlflow.user': 'tester' },
      });
      expect(json(dir, ['experiments', 'list']).experiments.find((e: any) => e.name === 'new-exp').experiment_id).toBe(shown.experiment_id);

      const b = json(dir, ['runs', 'start']);
      expect(b.run_name).toMatch(/\S/); // a generated readable name
      ok(dir, ['runs', 'end', a]);
      const ended = json(dir, ['runs', 'end', b.run_id.slice(0, 8), '--status', 'failed']);
      expect(ended).toMatchObject({ run_id: b.run_id, status: 'FAILED' });
      const runs = json(dir, ['runs', 'list']).runs;
      expect(Object.fromEntries(runs.map((r: any) => [r.run_id, r.status]))).toEqual({ [a]: 'FINISHED', [b.run_id]: 'FAILED' });
      for (const r of runs) expect(r.end_time).toBeGreaterThanOrEqual(r.start_time);

      ok(dir, ['runs', 'delete', a]);
      expect(json(dir, ['runs', 'list']).runs.map((r: any) => r.run_id)).toEqual([b.run_id]);
      expect(json(dir, ['runs', 'list', '--view', 'deleted']).runs.map((r: any) => r.run_id)).toEqual([a]);
      ok(dir, ['runs', 'restore', a.slice(0, 6)]);
      expect(json(dir, ['runs', 'list']).runs).toHaveLength(2);
    },
    T,
  );

  it(
    'accepts a run id by its unique 6+ character prefix everywhere',
    () => {
      const dir = tempProject('mlx-prefix-');
      const run = start(dir);
      const p6 = run.slice(0, 6);
      ok(dir, ['log', 'metric', 'loss', '0.5', '--run', p6]);
      ok(dir, ['log', 'param', 'lr', '0.1', '--run', run.slice(0, 10).toUpperCase()]);
      ok(dir, ['log', 'tag', 'team', 'a'], { env: { MLX_RUN_ID: p6 } });
      expect(json(dir, ['runs', 'show', p6])).toMatchObject({ run_id: run, metrics: { loss: 0.5 }, params: { lr: '0.1' }, tags: { team: 'a' } });
      expect(json(dir, ['compare', p6]).runs[0].run_id).toBe(run);
      ok(dir, ['runs', 'end', p6]);
    },
    T,
  );
});

describe('logging', () => {
  it(
    'log param, metric (steps, history), tag',
    () => {
      const dir = tempProject('mlx-log-');
      const run = start(dir);
      ok(dir, ['log', 'param', 'optimizer', 'adam', '--run', run]);
      for (const [step, v] of [
        ['1', '0.9'],
        ['2', '0.5'],
        ['3', '0.25'],
      ])
        ok(dir, ['log', 'metric', 'loss', v, '--step', step, '--run', run]);
      ok(dir, ['log', 'metric', 'loss', '0.1', '--step', '0', '--timestamp', '1700000000000', '--run', run]);
      ok(dir, ['log', 'tag', 'note', 'first try', '--run', run]);
      ok(dir, ['log', 'tag', 'note', 'second try', '--run', run]); // tags can change
      const shown = json(dir, ['runs', 'show', run]);
      expect(shown.params).toEqual({ optimizer: 'adam' });
      expect(shown.metrics).toEqual({ loss: 0.25 }); // latest = highest step
      expect(shown.tags.note).toBe('second try');
      expect(metricRows(dir, run, 'loss')).toBe(4);
    },
    T,
  );

  it(
    'NaN and ±Infinity are stored faithfully and travel as "NaN" / "Infinity" in --json',
    () => {
      const dir = tempProject('mlx-nan-');
      const run = start(dir);
      ok(dir, ['log', 'metric', 'nan', 'NaN', '--run', run]);
      ok(dir, ['log', 'metric', 'inf', 'Infinity', '--run', run]);
      ok(dir, ['log', 'metric', 'ninf', '--run', run, '--', '-Infinity']);
      const batch = ['"NaN"', '"Infinity"', '"-Infinity"'].map((v, i) => `{"type":"metric","key":"b${i}","value":${v}}`).join('\n');
      ok(dir, ['log', 'batch', '-', '--run', run], { input: `${batch}\n` });
      const expected = { nan: 'NaN', inf: 'Infinity', ninf: '-Infinity', b0: 'NaN', b1: 'Infinity', b2: '-Infinity' };
      expect(json(dir, ['runs', 'show', run]).metrics).toEqual(expected);
      expect(json(dir, ['runs', 'list']).runs[0].metrics).toEqual(expected);
      const cmp = json(dir, ['compare', run]);
      for (const [k, v] of Object.entries(expected)) expect(cmp.metrics[k][run]).toBe(v);
    },
    T,
  );

  it(
    'log metric takes -Infinity / -inf as a value, as it takes -0.5',
    () => {
      const dir = tempProject('mlx-ninf-');
      const run = start(dir);
      ok(dir, ['log', 'metric', 'neg', '-0.5', '--run', run]);
      ok(dir, ['log', 'metric', 'ninf', '-Infinity', '--run', run]);
      ok(dir, ['log', 'metric', 'ninf2', '-inf', '--run', run]);
      expect(json(dir, ['runs', 'show', run]).metrics).toEqual({ neg: -0.5, ninf: '-Infinity', ninf2: '-Infinity' });
    },
    T,
  );

  it(
    'log artifact copies a file and a folder, optionally under --artifact-path',
    () => {
      const dir = tempProject('mlx-art-');
      const run = start(dir);
      fs.writeFileSync(path.join(dir, 'model.onnx'), 'weights');
      fs.mkdirSync(path.join(dir, 'plots', 'sub'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'plots', 'a.svg'), '<svg/>');
      fs.writeFileSync(path.join(dir, 'plots', 'sub', 'b.txt'), 'b');
      ok(dir, ['log', 'artifact', 'model.onnx', '--run', run]);
      const stored = json(dir, ['log', 'artifact', 'plots', '--artifact-path', 'figures/v1', '--run', run]);
      expect(stored.artifacts).toEqual(expect.arrayContaining(['figures/v1/plots/a.svg', 'figures/v1/plots/sub/b.txt']));
      const shown = json(dir, ['runs', 'show', run]);
      expect(shown.artifacts.map((a: any) => a.path).sort()).toEqual(['figures/v1/plots/a.svg', 'figures/v1/plots/sub/b.txt', 'model.onnx']);
      expect(fs.readFileSync(path.join(shown.artifact_uri, 'model.onnx'), 'utf8')).toBe('weights');
      expect(fs.readFileSync(path.join(shown.artifact_uri, 'figures/v1/plots/sub/b.txt'), 'utf8')).toBe('b');
    },
    T,
  );

  it(
    'log batch from a file and from stdin (-)',
    () => {
      const dir = tempProject('mlx-batch-');
      const run = start(dir);
      const lines = [
        ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ type: 'metric', key: 'train_loss', value: 1 / (i + 1), step: i })),
        JSON.stringify({ type: 'param', key: 'epochs', value: 20 }),
        JSON.stringify({ type: 'param', key: 'epochs', value: '20' }),
        JSON.stringify({ type: 'tag', key: 'source', value: 'file' }),
        '',
      ];
      fs.writeFileSync(path.join(dir, 'batch.jsonl'), lines.join('\n'));
      expect(json(dir, ['log', 'batch', 'batch.jsonl', '--run', run])).toEqual({ run_id: run, metrics: 20, params: 2, tags: 1 });
      const stdin = `${JSON.stringify({ type: 'metric', key: 'val_acc', value: 0.9, step: 19 })}\n${JSON.stringify({ type: 'tag', key: 'source', value: 'stdin' })}\n`;
      expect(ok(dir, ['log', 'batch', '-', '--run', run], { input: stdin })).toBe('');
      const shown = json(dir, ['runs', 'show', run]);
      expect(shown.metrics).toEqual({ train_loss: 1 / 20, val_acc: 0.9 });
      expect(shown.params).toEqual({ epochs: '20' });
      expect(shown.tags.source).toBe('stdin');
      expect(metricRows(dir, run, 'train_loss')).toBe(20);
    },
    T,
  );

  it(
    'log dataset: sha256 digest, rows and typed columns of CSV and JSON lines; runs list filters on them',
    () => {
      const dir = tempProject('mlx-data-');
      const [a, b] = [start(dir, '--name', 'uses-csv'), start(dir, '--name', 'uses-jsonl')];
      const csv = 'id,score,label,flag\n1,0.5,cat,true\n2,1,dog,false\n3,,cat,true\n';
      const jsonl = '{"id":1,"x":1.5,"name":"a","ok":true}\n{"id":2,"x":2,"name":"b","ok":false,"extra":null}\n';
      fs.writeFileSync(path.join(dir, 'train.csv'), csv);
      fs.writeFileSync(path.join(dir, 'eval.jsonl'), jsonl);
      const sha = (s: string) => createHash('sha256').update(s).digest('hex');

      const d1 = json(dir, ['log', 'dataset', 'train.csv', '--context', 'training', '--run', a]);
      expect(d1).toMatchObject({ name: 'train.csv', digest: sha(csv), context: 'training' });
      expect(JSON.parse(d1.profile)).toMatchObject({ num_rows: 3, size: Buffer.byteLength(csv) });
      expect(JSON.parse(d1.schema).columns).toEqual([
        { name: 'id', type: 'integer' },
        { name: 'score', type: 'double' },
        { name: 'label', type: 'string' },
        { name: 'flag', type: 'boolean' },
      ]);
      const d2 = json(dir, ['log', 'dataset', 'eval.jsonl', '--name', 'evalset', '--context', 'testing', '--run', b]);
      expect(d2).toMatchObject({ name: 'evalset', digest: sha(jsonl), context: 'testing' });
      expect(JSON.parse(d2.profile).num_rows).toBe(2);
      expect(JSON.parse(d2.schema).columns).toEqual(
        expect.arrayContaining([
          { name: 'id', type: 'integer' },
          { name: 'x', type: 'double' },
          { name: 'name', type: 'string' },
          { name: 'ok', type: 'boolean' },
        ]),
      );

      expect(json(dir, ['runs', 'show', a]).inputs.map((i: any) => i.digest)).toEqual([sha(csv)]);
      expect(names(json(dir, ['runs', 'list', '--filter', `datasets.digest = '${sha(csv)}'`]))).toEqual(['uses-csv']);
      expect(names(json(dir, ['runs', 'list', '--filter', "datasets.name = 'evalset'"]))).toEqual(['uses-jsonl']);
    },
    T,
  );
});

describe('runs list search', () => {
  function fixture() {
    const dir = tempProject('mlx-search-');
    const specs: [string, string, number, string, string][] = [
      ['a', 'adam', 0.9, 'x', 'FINISHED'],
      ['b', 'adam', 0.8, 'y', 'FAILED'],
      ['c', 'sgd', 0.95, 'x', 'FINISHED'],
      ['d', 'rmsprop', 0.7, 'y', 'FINISHED'],
    ];
    for (const [name, opt, acc, team, status] of specs) {
      const run = start(dir, '--name', name, '--param', `opt=${opt}`, '--tag', `team=${team}`);
      ok(dir, ['log', 'metric', 'acc', String(acc), '--run', run]);
      ok(dir, ['runs', 'end', run, '--status', status]);
    }
    const q = (...args: string[]) => names(json(dir, ['runs', 'list', ...args])).join(',');
    return { dir, q };
  }

  it(
    'filters with AND, OR, parentheses, LIKE, ILIKE, IN, NOT IN and attributes',
    () => {
      const { q } = fixture();
      const sorted = ['--order-by', 'attributes.run_name'];
      expect(q('--filter', "params.opt = 'adam' AND metrics.acc > 0.85", ...sorted)).toBe('a');
      expect(q('--filter', "params.opt = 'sgd' OR metrics.acc < 0.75", ...sorted)).toBe('c,d');
      expect(q('--filter', "(params.opt = 'adam' OR params.opt = 'sgd') AND tags.team = 'x'", ...sorted)).toBe('a,c');
      expect(q('--filter', "metrics.acc >= 0.9 and params.opt = 'adam' or tags.team = 'y'", ...sorted)).toBe('a,b,d');
      expect(q('--filter', "params.opt LIKE 'ad%'", ...sorted)).toBe('a,b');
      expect(q('--filter', "params.opt LIKE 'AD%'", ...sorted)).toBe('');
      expect(q('--filter', "params.opt ILIKE 'AD%'", ...sorted)).toBe('a,b');
      expect(q('--filter', "params.opt IN ('sgd', 'rmsprop')", ...sorted)).toBe('c,d');
      expect(q('--filter', "params.opt NOT IN ('sgd', 'rmsprop')", ...sorted)).toBe('a,b');
      expect(q('--filter', "attributes.status = 'FAILED'", ...sorted)).toBe('b');
      expect(q('--filter', "attributes.status != 'FAILED' AND attributes.run_name LIKE '%'", ...sorted)).toBe('a,c,d');
    },
    T,
  );

  it(
    'orders by several keys and honours --max',
    () => {
      const { q } = fixture();
      expect(q('--order-by', 'params.opt ASC', '--order-by', 'metrics.acc DESC')).toBe('a,b,d,c');
      expect(q('--order-by', 'params.opt DESC, metrics.acc ASC')).toBe('c,d,b,a');
      expect(q('--order-by', 'metrics.acc DESC', '--max', '2')).toBe('c,a');
      expect(q('--order-by', 'tags.team DESC', '--order-by', 'attributes.run_name DESC', '--max', '3')).toBe('d,b,c');
    },
    T,
  );
});

describe('compare', () => {
  function twoRuns() {
    const dir = tempProject('mlx-cmp-');
    const a = start(dir, '--name', 'run-a', '--param', 'lr=0.1', '--param', 'epochs=20');
    const b = start(dir, '--name', 'run-b', '--param', 'lr=0.01', '--param', 'epochs=20');
    for (let step = 0; step < 5; step++) {
      ok(dir, ['log', 'metric', 'loss', String(1 - step * 0.1), '--step', String(step), '--run', a]);
      ok(dir, ['log', 'metric', 'loss', String(1 - step * 0.15), '--step', String(step), '--run', b]);
    }
    ok(dir, ['log', 'metric', 'accuracy', '0.91', '--run', a]);
    ok(dir, ['log', 'metric', 'accuracy', '0.88', '--run', b]);
    return { dir, a, b };
  }

  it(
    '--json gives {"runs","params","metrics"} with differing params and the best value marked',
    () => {
      const { dir, a, b } = twoRuns();
      const cmp = json(dir, ['compare', a, b]);
      expect(cmp.runs.map((r: any) => r.run_id)).toEqual([a, b]);
      expect(cmp.params).toEqual({ epochs: { [a]: '20', [b]: '20' }, lr: { [a]: '0.1', [b]: '0.01' } });
      expect(cmp.metrics.loss[a]).toBeCloseTo(0.6);
      expect(cmp.metrics.loss[b]).toBeCloseTo(0.4);
      expect(cmp.metrics.accuracy).toEqual({ [a]: 0.91, [b]: 0.88 });
      expect(cmp.differingParams).toEqual(['lr']);
      expect(cmp.best.loss).toEqual({ direction: 'min', run_ids: [b] });
      expect(cmp.best.accuracy).toEqual({ direction: 'max', run_ids: [a] });
    },
    T,
  );

  it(
    '--plot writes an SVG chart of each metric history, one line per run',
    () => {
      const { dir, a, b } = twoRuns();
      const svgFile = path.join(dir, 'charts', 'cmp.svg');
      const cmp = json(dir, ['compare', a.slice(0, 6), b.slice(0, 6), '--plot', svgFile]);
      expect(cmp.runs).toHaveLength(2);
      const svg = fs.readFileSync(svgFile, 'utf8');
      expect(svg).toMatch(/^(<\?xml[^>]*>\s*)?<svg[\s>]/);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      for (const text of ['loss', 'accuracy', 'run-a', 'run-b']) expect(svg).toContain(text);
      expect((svg.match(/<(polyline|path)\b/g) ?? []).length).toBeGreaterThanOrEqual(2);
      expect(fs.readdirSync(path.join(dir, 'charts'))).toEqual(['cmp.svg']); // no temp file left behind
      const human = mlx(dir, ['compare', a, b, '--plot', path.join(dir, 'h.svg')]);
      expect(human.code, human.stderr).toBe(0);
      expect(fs.existsSync(path.join(dir, 'h.svg'))).toBe(true);
    },
    T,
  );
});
