// Issue 17, item 7: input nested (or repeated) past what a recursive walker or the database can take
// used to end in "Maximum call stack size exceeded", "Expression tree is too large" or "at most 64
// tables in a join": a 500 from the tracking server, "internal error … report it" from the CLI. Each
// case here is a clear refusal naming the limit (400 / exit 1), and the server keeps serving.
// Filters run through the CLI and a spawned `mlx server` on SQLite, and on PostgreSQL when one can be had.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../src/models/onnx/protobuf.js';
import { expectError, mlx, mlxJson, ROOT, tempProject } from '../helpers/cli.js';
import { call, startTrackingServer, stopServers, type TrackingServer } from '../helpers/mlx-server.js';
import { postgresForTests } from '../helpers/postgres.js';

const T = 60_000;
const API = '/api/2.0/mlflow';

const nested = (n: number, inner: string) => '('.repeat(n) + inner + ')'.repeat(n);
/** (metrics.a > 0 AND (metrics.a > 0 OR (…))): every level is a real AND/OR group, nothing to flatten away. */
function alternating(n: number): string {
  let s = 'metrics.a > 0';
  for (let i = 0; i < n; i++) s = `(metrics.a > 0 ${i % 2 ? 'AND' : 'OR'} ${s})`;
  return s;
}
const ors = (n: number, cond = 'metrics.a > 0') => Array.from({ length: n }, () => cond).join(' OR ');
const orderTerms = (n: number) => Array.from({ length: n }, (_, i) => `metrics.m${i}`).join(', ');

/** A project with one run (metric a = 1, param p = x). */
function project(): string {
  const dir = tempProject('mlx-sec-nest-');
  const run = mlx(dir, ['runs', 'start', '--name', 'target']).stdout.trim();
  expect(run).toMatch(/^[0-9a-f]{32}$/);
  expect(mlx(dir, ['log', 'metric', 'a', '1', '--run', run]).code).toBe(0);
  expect(mlx(dir, ['log', 'param', 'p', 'x', '--run', run]).code).toBe(0);
  return dir;
}

/** The filter cases every store must answer the same way: [filter or order, expected refusal | run count]. */
const FILTER_CASES: { name: string; filter?: string; order?: string; refused?: RegExp[]; runs?: number }[] = [
  { name: '10,000 nested parentheses', filter: nested(10_000, 'metrics.a > 0'), refused: [/parentheses nest more than 100 deep/, /position 101/] },
  // (1,000 levels of real groups: 10,000 would not fit in one command-line argument.)
  { name: '1,000 nested AND/OR groups', filter: alternating(1000), refused: [/more than 100 deep/] },
  { name: '100 nested parentheses (the limit)', filter: nested(100, 'metrics.a > 0'), runs: 1 },
  { name: '100 nested AND/OR groups (the limit)', filter: alternating(99), runs: 1 },
  { name: '5,000 conditions', filter: ors(5000), refused: [/5000 conditions/, /limit of 1000/, /IN/] },
  // Before: "Expression tree is too large (maximum depth 1000)" from SQLite, at a few hundred conditions.
  { name: '1,000 conditions (the limit)', filter: ors(1000), runs: 1 },
  {
    name: 'an IN list of 10,001 values',
    filter: `params.p IN (${Array.from({ length: 10_001 }, (_, i) => `'v${i}'`).join(',')})`,
    refused: [/10001 values/, /limit of 10000/],
  },
  { name: 'an IN list of 10,000 values (the limit)', filter: `params.p IN ('x',${Array.from({ length: 9_999 }, (_, i) => `'v${i}'`).join(',')})`, runs: 1 },
  { name: 'a filter of 100,001 characters', filter: 'metrics.a > 0'.padEnd(100_001, ' '), refused: [/100001 characters/, /limit of 100000/] },
  // Before: "LIKE or GLOB pattern too complex" from SQLite (ILIKE spells each letter [aA]).
  { name: 'an ILIKE pattern of 20,000 characters', filter: `params.p ILIKE '${'a'.repeat(20_000)}'`, refused: [/ILIKE patterns are at most 5000 characters/] },
  // Deseret letters have case: each is a 10-byte [𐐨𐐀] class for SQLite, 49,982 bytes in all.
  { name: 'an ILIKE pattern of 5,000 characters (the limit)', filter: `params.p ILIKE '%${'𐐨'.repeat(4998)}%'`, runs: 0 },
  // Before: "at most 64 tables in a join" from SQLite.
  { name: '70 order_by terms', order: orderTerms(70), refused: [/70 terms/, /limit of 20/] },
  { name: '20 order_by terms (the limit)', order: orderTerms(20), runs: 1 },
];

function listArgs(c: (typeof FILTER_CASES)[number]): string[] {
  return ['runs', 'list', ...(c.filter !== undefined ? ['--filter', c.filter] : []), ...(c.order !== undefined ? ['--order-by', c.order] : [])];
}

function checkCli(dir: string, env: Record<string, string> = {}) {
  for (const c of FILTER_CASES) {
    const r = mlx(dir, [...listArgs(c), '--json'], { env });
    if (c.refused) {
      const line = expectError(r, 1, ...c.refused);
      expect(line, c.name).not.toMatch(/internal error|call stack|Expression tree/);
    } else {
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).runs, c.name).toHaveLength(c.runs!);
    }
  }
}

async function checkServer(s: TrackingServer) {
  const exp = (await call(s.base, 'GET', `${API}/experiments/get-by-name`, { experiment_name: 'Default' })).body.experiment.experiment_id;
  for (const c of FILTER_CASES) {
    const body: Record<string, unknown> = { experiment_ids: [exp] };
    if (c.filter !== undefined) body.filter = c.filter;
    if (c.order !== undefined) body.order_by = c.order.split(', ');
    const r = await call(s.base, 'POST', `${API}/runs/search`, body);
    if (c.refused) {
      expect(r.status, `${c.name}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(400);
      expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      for (const re of c.refused) expect(r.body.message, c.name).toMatch(re);
    } else {
      expect(r.status, `${c.name}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
      // MLflow leaves an empty list out: no match is {}.
      expect(r.body.runs ?? [], c.name).toHaveLength(c.runs!);
    }
  }
  expect((await fetch(`${s.base}/health`)).status).toBe(200);
}

afterAll(() => stopServers());

describe('run search filters on SQLite', () => {
  it('mlx runs list --filter / --order-by: refusals name the limit; the limits themselves work', () => {
    checkCli(project());
  }, 120_000);

  it('runs/search on a spawned mlx server: 400 naming the limit, never 500', async () => {
    const dir = project();
    const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')]);
    await checkServer(s);
  }, 120_000);
});

const pg = await postgresForTests();
describe.skipIf(!pg)('run search filters on PostgreSQL', () => {
  let dir: string;
  let url: string;
  beforeAll(async () => {
    url = pg!.url(await pg!.createDatabase());
    dir = tempProject('mlx-sec-nest-pg-');
    const run = mlx(dir, ['runs', 'start', '--name', 'target', '--tracking-uri', url]).stdout.trim();
    expect(run).toMatch(/^[0-9a-f]{32}$/);
    expect(mlx(dir, ['log', 'metric', 'a', '1', '--run', run, '--tracking-uri', url]).code).toBe(0);
    expect(mlx(dir, ['log', 'param', 'p', 'x', '--run', run, '--tracking-uri', url]).code).toBe(0);
  }, T);
  afterAll(() => pg?.stop());

  it('mlx runs list and runs/search answer as on SQLite', async () => {
    checkCli(dir, { MLX_TRACKING_URI: url });
    const s = await startTrackingServer(dir, ['--backend-store-uri', url, '--artifacts-destination', path.join(dir, 'artifacts')]);
    await checkServer(s);
  }, 180_000);
});

describe('JSON bodies on the tracking server', () => {
  let s: TrackingServer;
  beforeAll(async () => {
    const dir = tempProject('mlx-sec-body-');
    s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')]);
  }, T);

  const D = 100_000;
  const deepArray = '['.repeat(D) + ']'.repeat(D);
  const deepObject = '{"a":'.repeat(D) + '1' + '}'.repeat(D);
  // Each put the deep value where a handler reads (and, before, printed) it.
  const places: [string, (v: string) => string][] = [
    ['experiments/create', (v) => `{"name":${v}}`],
    ['runs/create', (v) => `{"experiment_id":"0","tags":[{"key":"k","value":${v}}]}`],
    ['runs/search', (v) => `{"experiment_ids":${v}}`],
    ['runs/search', (v) => `{"experiment_ids":["0"],"filter":${v}}`],
    ['runs/log-metric', (v) => `{"run_id":"x","key":"k","value":${v},"timestamp":1}`],
    ['runs/log-parameter', (v) => `{"run_id":"x","key":"k","value":${v}}`],
    ['runs/update', (v) => `{"run_id":${v}}`],
    ['experiments/search', (v) => `{"filter":${v}}`],
    ['model-versions/create', (v) => `{"name":"m","source":${v}}`],
    ['runs/log-batch', (v) => `{"run_id":"x","metrics":[{"key":"k","value":1,"timestamp":1,"extra":${v}}]}`],
  ];

  it(
    'a body nested 100,000 deep is a 400 naming the limit of 100, on every endpoint',
    async () => {
      for (const [endpoint, body] of places)
        for (const deep of [deepArray, deepObject]) {
          const res = await fetch(`${s.base}${API}/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(deep) });
          const json = (await res.json()) as { error_code: string; message: string };
          expect(res.status, `${endpoint}: ${json.message}`).toBe(400);
          expect(json.error_code).toBe('BAD_REQUEST');
          expect(json.message).toMatch(/nests arrays and objects more than 100 deep/);
        }
      expect((await fetch(`${s.base}/health`)).status).toBe(200);
      expect(s.stderr()).not.toMatch(/internal error/);
    },
    T,
  );

  it(
    'brackets inside strings do not count, and 100 levels are still read as before',
    async () => {
      const r = await call(s.base, 'POST', `${API}/experiments/create`, { name: `${'['.repeat(300)}{"x` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      // 100 levels: not refused for its depth; the handler's own type check answers.
      const res = await fetch(`${s.base}${API}/experiments/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"name":${'['.repeat(99)}${']'.repeat(99)}}`,
      });
      const json = (await res.json()) as { error_code: string; message: string };
      expect(res.status).toBe(400);
      expect(json.message).toMatch(/parameter 'name': a string is expected/);
    },
    T,
  );
});

describe('JSON lines files read by the CLI', () => {
  it(
    'mlx log batch: a line nested 100,000 deep names the line and the limit',
    () => {
      const dir = project();
      const run = mlxJson(dir, ['runs', 'list']).runs[0].run_id as string;
      fs.writeFileSync(
        path.join(dir, 'batch.jsonl'),
        `{"type":"metric","key":"ok","value":1}\n{"type":"metric","key":"k","value":${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`,
      );
      expectError(mlx(dir, ['log', 'batch', 'batch.jsonl', '--run', run]), 1, 'batch.jsonl line 2', /more than 100 deep/);
      // Nothing of the file was written.
      expect(mlxJson(dir, ['runs', 'show', run]).metrics.ok).toBeUndefined();
    },
    T,
  );

  it(
    'mlx drift on JSON lines: a value nested 100,000 deep names the file, the line and the limit',
    () => {
      const dir = tempProject('mlx-sec-drift-');
      const rows = Array.from({ length: 50 }, (_, i) => JSON.stringify({ x: i, y: i % 3 })).join('\n');
      fs.writeFileSync(path.join(dir, 'ref.jsonl'), `${rows}\n`);
      fs.writeFileSync(path.join(dir, 'cur.jsonl'), `${rows}\n{"x":${'['.repeat(100_000)}${']'.repeat(100_000)},"y":1}\n`);
      expectError(mlx(dir, ['drift', '--reference', 'ref.jsonl', '--current', 'cur.jsonl']), 1, 'cur.jsonl', 'line 51', /more than 100 deep/);
    },
    T,
  );
});

/** An ONNX model whose input type is sequence<sequence<…<float>…>> `depth` levels deep. */
export function deeplyTypedModel(depth: number): Uint8Array {
  const varintLen = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
  // TypeProto sizes from the innermost (tensor_type { elem_type: FLOAT }) outwards.
  const inner = [0x0a, 0x02, 0x08, 0x01];
  const sizes = new Array<number>(depth + 1);
  const seqSizes = new Array<number>(depth);
  sizes[depth] = inner.length;
  for (let k = depth - 1; k >= 0; k--) {
    seqSizes[k] = 1 + varintLen(sizes[k + 1]) + sizes[k + 1]; // Sequence { elem_type (1): TypeProto }
    sizes[k] = 1 + varintLen(seqSizes[k]) + seqSizes[k]; // TypeProto { sequence_type (4): Sequence }
  }
  const out = new Uint8Array(sizes[0]);
  let pos = 0;
  const varint = (n: number) => {
    while (n >= 0x80) {
      out[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[pos++] = n;
  };
  for (let k = 0; k < depth; k++) {
    out[pos++] = 0x22;
    varint(seqSizes[k]);
    out[pos++] = 0x0a;
    varint(sizes[k + 1]);
  }
  out.set(inner, pos);
  const valueInfo = new ProtoWriter().string(1, 'x').bytes(2, out);
  const graph = new ProtoWriter().string(2, 'deep').message(11, valueInfo);
  return new ProtoWriter().varint(1, 8).string(2, 'mlx-test').message(7, graph).message(8, new ProtoWriter().varint(2, 17)).finish();
}

describe('ONNX files', () => {
  it(
    'mlx register: an input type nested 100,000 deep is "not an ONNX model mlx can read", naming the limit',
    () => {
      const dir = project();
      fs.writeFileSync(path.join(dir, 'deep.onnx'), deeplyTypedModel(100_000));
      const line = expectError(mlx(dir, ['register', 'deep.onnx', '--name', 'deep']), 1, 'deep.onnx', /more than 100 deep/);
      expect(line).not.toMatch(/internal error|call stack/);
      expect(mlxJson(dir, ['models', 'list']).registered_models ?? []).toEqual([]);
    },
    T,
  );
});

describe('model cards', () => {
  it(
    'a run whose mlx.command tag is not a JSON list of strings: the card shows the tag as it is',
    () => {
      const dir = project();
      fs.writeFileSync(path.join(dir, 'model.onnx'), fs.readFileSync(path.join(ROOT, 'test/fixtures/seed-pipeline/seed-cnn.onnx')));
      const values = ['"just text"', 'not json', `${'['.repeat(2500)}${']'.repeat(2500)}`, '[["nested"], 1]'];
      values.forEach((value, i) => {
        const run = mlx(dir, ['runs', 'start', '--name', `r${i}`]).stdout.trim();
        expect(mlx(dir, ['log', 'tag', 'mlx.command', value, '--run', run]).code).toBe(0);
        const r = mlx(dir, ['register', 'model.onnx', '--name', `m${i}`, '--run', run]);
        expect(r.code, r.stderr).toBe(0);
        const card = mlx(dir, ['models', 'card', `m${i}/1`]);
        expect(card.code, card.stderr).toBe(0);
        expect(card.stdout).toContain(`- command: \`${value.length > 200 ? `${value.slice(0, 197)}...` : value}\``);
      });
    },
    T,
  );
});

describe('values other clients record', () => {
  it(
    'mlx runs show: a dataset whose profile is not JSON (logged through the REST API) shows without a row count',
    async () => {
      const dir = project();
      const run = mlxJson(dir, ['runs', 'list']).runs[0].run_id as string;
      const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx')]);
      for (const [name, profile] of [
        ['text', 'not json'],
        ['deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
        ['null', 'null'],
      ]) {
        const dataset = { name, digest: `d-${name}`, source_type: 'local', source: 's', profile, schema: '[[[' };
        const r = await call(s.base, 'POST', `${API}/runs/log-inputs`, { run_id: run, datasets: [{ dataset }] });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
      }
      const show = mlx(dir, ['runs', 'show', run]);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/text .* d-text/);
      expect(show.stderr).toBe('');
    },
    T,
  );
});
