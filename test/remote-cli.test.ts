// The CLI as a remote client: spawned `mlx` commands with MLX_TRACKING_URI pointing at a real
// `mlx server` (token required). Tracking, artifacts, the registry and serving all go through
// the REST API and the artifact proxy; nothing is written to a local store.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, mlxSpawn, MLX_BIN, tempProject } from './helpers/cli.js';
import { FEATURES, TABULAR_LABELS, tabularBytes, tabularExpected, tabularRows } from './helpers/serving-fixtures.js';
import { sha256 } from './helpers/models.js';
import { startTrackingServer, stopTrackingServers, type TrackingServer } from './helpers/tracking-server.js';

const T = 60_000;
const TOKEN = 'remote-cli-token-123456';
let server: TrackingServer;
let env: Record<string, string>;
const spawned: ReturnType<typeof mlxSpawn>[] = [];

beforeAll(async () => {
  server = await startTrackingServer({ token: TOKEN });
  env = { MLX_TRACKING_URI: server.url, MLX_TRACKING_TOKEN: TOKEN };
}, T);
afterAll(async () => {
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await stopTrackingServers();
});

/** `mlx ARGS` against the server; must succeed. */
function ok(dir: string, args: string[], extra: Record<string, string> = {}) {
  const r = mlx(dir, args, { env: { ...env, ...extra } });
  expect(r.code, `mlx ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}
const json = (dir: string, args: string[]) => JSON.parse(ok(dir, [...args, '--json']).stdout);

/** GET through the artifact proxy (or any API path) with the token. */
async function get(p: string): Promise<Response> {
  return fetch(`${server.url}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
}
const artifactText = async (run: any, rel: string) =>
  (await get(`/api/2.0/mlflow-artifacts/artifacts/${run.artifact_uri.replace(/^mlflow-artifacts:\//, '')}/${rel}`)).text();

// The training script: prints, logs through ::mlx lines, and calls `mlx log metric` as a child process would.
const TRAIN = `
import { execFileSync } from 'node:child_process';
console.log('hello from training');
console.log('::mlx metric loss=0.25 step=1');
console.log('::mlx param dropout=0.1');
execFileSync(process.execPath, [${JSON.stringify(MLX_BIN)}, 'log', 'metric', 'acc', process.argv[2], '--step', '2'], { stdio: 'inherit' });
console.log('done');
`;

function startedRun(stderr: string): string {
  const m = /run ([0-9a-f]{32}) /.exec(stderr);
  expect(m, stderr).not.toBeNull();
  return m![1];
}

describe('tracking through mlx server', () => {
  let dir: string;
  const runs: string[] = [];
  beforeAll(() => {
    dir = tempProject('mlx-remote-');
    fs.writeFileSync(path.join(dir, 'train.mjs'), TRAIN);
  });

  it(
    'mlx run: params, ::mlx metrics, `mlx log metric` from the child, and logs/output.txt uploaded',
    () => {
      for (const [name, acc, opt] of [
        ['adam', '0.9', 'adam'],
        ['sgd', '0.8', 'sgd'],
      ]) {
        const r = ok(dir, ['run', '--experiment', 'remote-e2e', '--name', name, '--param', `opt=${opt}`, '--', process.execPath, 'train.mjs', acc]);
        expect(r.stdout).toBe('hello from training\ndone\n');
        runs.push(startedRun(r.stderr));
      }
      const run = json(dir, ['runs', 'show', runs[0].slice(0, 8)]);
      expect(run).toMatchObject({
        run_id: runs[0],
        run_name: 'adam',
        status: 'FINISHED',
        params: { opt: 'adam', dropout: '0.1' },
        metrics: { loss: 0.25, acc: 0.9 },
      });
      expect(run.artifact_uri).toMatch(/^mlflow-artifacts:\//);
      expect(run.artifacts.map((a: any) => a.path)).toEqual(['logs/output.txt']);
      // Nothing was written next to the command: the store is the server's.
      expect(fs.existsSync(path.join(dir, '.mlx'))).toBe(false);
    },
    T,
  );

  it(
    'logs/output.txt on the server holds every line, ::mlx ones included',
    async () => {
      const run = json(dir, ['runs', 'show', runs[0]]);
      const text = await artifactText(run, 'logs/output.txt');
      expect(text).toContain('hello from training\n');
      expect(text).toContain('::mlx metric loss=0.25 step=1\n');
      expect(text).toContain('done\n');
    },
    T,
  );

  it(
    'runs list --filter and compare work on the server',
    () => {
      const listed = json(dir, ['runs', 'list', '--experiment', 'remote-e2e', '--filter', "metrics.acc > 0.85 and params.opt = 'adam'"]);
      expect(listed.runs.map((r: any) => r.run_name)).toEqual(['adam']);
      const ordered = json(dir, ['runs', 'list', '--experiment', 'remote-e2e', '--order-by', 'metrics.acc ASC']);
      expect(ordered.runs.map((r: any) => r.run_name)).toEqual(['sgd', 'adam']);
      const cmp = json(dir, ['compare', runs[0], runs[1]]);
      expect(cmp.differingParams).toEqual(['opt']);
      expect(cmp.metrics.acc).toEqual({ [runs[0]]: 0.9, [runs[1]]: 0.8 });
      const svg = path.join(dir, 'curves.svg');
      ok(dir, ['compare', runs[0], runs[1], '--plot', svg]);
      expect(fs.readFileSync(svg, 'utf8')).toMatch(/<svg[^>]*>[\s\S]*data-metric="acc"/);
    },
    T,
  );

  it(
    'mlx log artifact uploads a file and a folder; runs show lists them',
    async () => {
      fs.mkdirSync(path.join(dir, 'plots/sub'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'plots/curve.txt'), 'a curve\n');
      fs.writeFileSync(path.join(dir, 'plots/sub/deep.txt'), 'deeper\n');
      fs.writeFileSync(path.join(dir, 'notes.md'), '# notes\n');
      const one = json(dir, ['log', 'artifact', 'notes.md', '--run', runs[1], '--artifact-path', 'docs']);
      expect(one).toEqual({ run_id: runs[1], artifacts: ['docs/notes.md'] });
      expect(json(dir, ['log', 'artifact', 'plots', '--run', runs[1]]).artifacts).toEqual(['plots/curve.txt', 'plots/sub/deep.txt']);
      const run = json(dir, ['runs', 'show', runs[1]]);
      expect(run.artifacts).toEqual([
        { path: 'docs/notes.md', is_dir: false, file_size: 8 },
        { path: 'logs/output.txt', is_dir: false, file_size: expect.any(Number) },
        { path: 'plots/curve.txt', is_dir: false, file_size: 8 },
        { path: 'plots/sub/deep.txt', is_dir: false, file_size: 7 },
      ]);
      expect(await artifactText(run, 'plots/sub/deep.txt')).toBe('deeper\n');
      expect(ok(dir, ['runs', 'show', runs[1]]).stdout).toMatch(/plots\/sub\/deep\.txt/);
      // Bad input is refused before anything is sent.
      expectError(mlx(dir, ['log', 'artifact', 'notes.md', '--run', runs[1], '--artifact-path', '../up'], { env }), 1, '../up');
      expectError(mlx(dir, ['log', 'artifact', 'missing.txt', '--run', runs[1]], { env }), 1, 'missing.txt');
      expect(json(dir, ['runs', 'show', runs[1]]).artifacts).toHaveLength(4);
    },
    T,
  );
});

describe('the registry and serving through mlx server', () => {
  let dir: string;
  let runId: string;
  beforeAll(() => {
    dir = tempProject('mlx-remote-reg-');
    fs.writeFileSync(path.join(dir, 'tab.onnx'), tabularBytes());
    fs.writeFileSync(path.join(dir, 'labels.txt'), TABULAR_LABELS);
    runId = ok(dir, ['runs', 'start', '--name', 'train']).stdout.trim();
    ok(dir, ['log', 'metric', 'accuracy', '0.875', '--run', runId]);
  });

  it(
    'mlx register uploads the model; models list / show / card read it back',
    async () => {
      const reg = json(dir, [
        'register',
        'tab.onnx',
        '--name',
        'value',
        '--run',
        runId,
        '--alias',
        'champion',
        '--labels',
        'labels.txt',
        '--description',
        'customer value',
      ]);
      expect(reg.model_version).toMatchObject({
        name: 'value',
        version: 1,
        run_id: runId,
        aliases: ['champion'],
        sha256: sha256(tabularBytes()),
        preprocess: 'tabular',
      });
      expect(reg.model_version.labels).toEqual(TABULAR_LABELS.trim().split('\n'));
      expect(reg.card).toBe(`${server.url}/api/2.0/mlx/model-versions/card?name=value&version=1`);
      const card = (await (await get('/api/2.0/mlx/model-versions/card?name=value&version=1')).json()) as { markdown: string };
      expect(card.markdown).toMatch(/# Model card: value version 1/);
      expect(card.markdown).toContain(runId);

      expect(json(dir, ['models', 'list']).registered_models).toMatchObject([{ name: 'value', latest_version: 1, aliases: { champion: 1 } }]);
      const shown = json(dir, ['models', 'show', 'value@champion']).model_version;
      expect(shown).toMatchObject({ version: 1, run_name: 'train', signature: { inputs: [{ shape: [-1, 5] }], outputs: [{ shape: [-1, 3] }] } });
      expect(ok(dir, ['models', 'card', 'value']).stdout).toMatch(/customer value/);
      expect(json(dir, ['runs', 'show', runId]).model_versions).toEqual([{ name: 'value', version: 1, aliases: ['champion'], uri: 'models:/value/1' }]);
      // The upload was only a way in: the server keeps its own copy.
      const uploads = (await (await get('/api/2.0/mlflow-artifacts/artifacts?path=_mlx/uploads')).json()) as { files?: unknown[] };
      expect(uploads.files ?? []).toEqual([]);
    },
    T,
  );

  it(
    'registers from a run artifact on the server (runs:/ source) without uploading again',
    () => {
      ok(dir, ['log', 'artifact', 'tab.onnx', '--run', runId, '--artifact-path', 'model']);
      const v = json(dir, ['register', `runs:/${runId.slice(0, 8)}/model`, '--name', 'value']).model_version;
      expect(v).toMatchObject({ version: 2, run_id: runId, source: `runs:/${runId}/model/tab.onnx`, sha256: sha256(tabularBytes()) });
    },
    T,
  );

  it(
    'mlx serve models:/…@alias downloads the bytes into the cache and answers a real prediction',
    async () => {
      const cache = path.join(dir, 'model-cache');
      const proc = mlxSpawn(dir, ['serve', 'models:/value@champion', '--port', '0'], { ...env, MLX_MODEL_CACHE: cache });
      spawned.push(proc);
      let err = '';
      const url = await new Promise<string>((resolve, reject) => {
        proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
          err += d;
          const m = /serving value version 1 .* on (http:\/\/\S+)/.exec(err);
          if (m) resolve(m[1]);
        });
        proc.on('exit', (code) => reject(new Error(`mlx serve exited ${code}:\n${err}`)));
      });
      expect(fs.readdirSync(cache)).toEqual([`${sha256(tabularBytes())}.onnx`]);
      const rows = tabularRows(2);
      const res = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: rows }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-mlx-model-version')).toBe('1');
      const { predictions } = (await res.json()) as { predictions: number[][] };
      const expected = tabularExpected(rows);
      predictions.forEach((p, i) => p.forEach((x, j) => expect(x).toBeCloseTo(expected[i][j], 5)));
      proc.kill('SIGTERM');
    },
    T,
  );

  it(
    'mlx predict models:/… reads the model from the server',
    () => {
      const rows = tabularRows(3, 11);
      fs.writeFileSync(path.join(dir, 'in.csv'), [FEATURES.join(','), ...rows.map((r) => r.join(','))].join('\n'));
      const out = ok(dir, ['predict', 'models:/value/1', '--input', 'in.csv'], { MLX_MODEL_CACHE: path.join(dir, 'cache2') })
        .stdout.trim()
        .split('\n');
      expect(out).toHaveLength(3);
      expect(JSON.parse(out[0])).toHaveProperty('label');
    },
    T,
  );

  it(
    'a bad registration leaves the registry as it was',
    () => {
      fs.writeFileSync(path.join(dir, 'junk.onnx'), 'not onnx');
      const before = json(dir, ['models', 'show', 'value']);
      expectError(mlx(dir, ['register', 'junk.onnx', '--name', 'value'], { env }), 1, 'junk.onnx');
      expectError(mlx(dir, ['register', 'tab.onnx', '--name', 'value', '--alias', 'latest'], { env }), 1, 'reserved');
      expect(json(dir, ['models', 'show', 'value'])).toEqual(before);
    },
    T,
  );

  it(
    'aliases, tags, descriptions and deletes go to the server',
    () => {
      ok(dir, ['models', 'alias', 'value', '2', 'champion']);
      ok(dir, ['models', 'tag', 'value/2', 'validated', 'yes']);
      ok(dir, ['models', 'update', 'value@champion', '--description', 'second']);
      expect(json(dir, ['models', 'show', 'value@champion']).model_version).toMatchObject({ version: 2, tags: { validated: 'yes' }, description: 'second' });
      expectError(mlx(dir, ['models', 'delete', 'value/2'], { env }), 1, '@champion');
      ok(dir, ['models', 'delete', 'value/1']);
      expect(json(dir, ['models', 'show', 'value']).model_versions.map((v: any) => v.version)).toEqual([2]);
      ok(dir, ['models', 'delete', 'value', '--force']);
      expect(json(dir, ['models', 'list']).registered_models).toEqual([]);
    },
    T,
  );
});

describe('mlx run with a remote store and signals', () => {
  it(
    'SIGTERM: the run ends KILLED and the output so far is uploaded before mlx exits',
    async () => {
      const dir = tempProject('mlx-remote-sig-');
      const p = mlxSpawn(dir, ['run', '--experiment', 'remote-sig', '--', process.execPath, '-e', "console.log('ready'); setInterval(() => {}, 1000)"], env);
      spawned.push(p);
      let out = '';
      let err = '';
      p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      await new Promise<void>((resolve) => p.stdout!.setEncoding('utf8').on('data', (d: string) => ((out += d), out.includes('ready') && resolve())));
      p.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
      expect(code, err).toBe(143);
      const run = JSON.parse(mlx(dir, ['runs', 'show', startedRun(err), '--json'], { env }).stdout);
      expect(run.status).toBe('KILLED');
      expect(await artifactText(run, 'logs/output.txt')).toBe('ready\n');
    },
    T,
  );
});

describe('errors talking to a server', () => {
  async function closedPort(): Promise<number> {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    return port;
  }

  it(
    'server down: one line naming the URI, exit 1, and mlx run does not start the command',
    async () => {
      const dir = tempProject('mlx-remote-down-');
      const uri = `http://127.0.0.1:${await closedPort()}`;
      for (const args of [
        ['runs', 'list'],
        ['log', 'metric', 'loss', '1', '--run', 'a'.repeat(32)],
        ['models', 'list'],
      ])
        expectError(mlx(dir, args, { env: { MLX_TRACKING_URI: uri } }), 1, `cannot reach the tracking server at ${uri}: connection refused`, 'mlx server');
      const r = mlx(dir, ['run', '--', process.execPath, '-e', "console.log('ran')"], { env: { MLX_TRACKING_URI: uri } });
      expectError(r, 1, 'connection refused');
      expect(fs.readdirSync(dir)).toEqual([]);
    },
    T,
  );

  it(
    'wrong or missing token: one line, exit 1',
    () => {
      const dir = tempProject('mlx-remote-auth-');
      expectError(
        mlx(dir, ['experiments', 'list'], { env: { MLX_TRACKING_URI: server.url, MLX_TRACKING_TOKEN: 'wrong-token' } }),
        1,
        'refused the credentials in MLX_TRACKING_TOKEN (401)',
      );
      expectError(mlx(dir, ['runs', 'list'], { env: { MLX_TRACKING_URI: server.url } }), 1, 'needs a token (401)');
      expectError(mlx(dir, ['runs', 'list'], { env: { MLX_TRACKING_URI: 'http://' } }), 2, 'not a valid URL');
    },
    T,
  );

  it(
    "unknown runs and models: the server's message, one line",
    () => {
      const dir = tempProject('mlx-remote-unknown-');
      expectError(mlx(dir, ['runs', 'show', 'ffffff0'], { env }), 1, 'no run id starts with "ffffff0"');
      expectError(mlx(dir, ['serve', 'models:/nope/1'], { env }), 1, 'Registered Model with name=nope not found');
      expectError(mlx(dir, ['log', 'metric', 'loss', '1', '--run', 'f'.repeat(32)], { env }), 1, 'f'.repeat(32));
    },
    T,
  );
});
