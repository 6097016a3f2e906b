// Issue 22, item 11: a run's artifacts and a metric's full history from the CLI (local store and
// tracking server), and confirmations for commands that change the registry or delete.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageClassifierOnnx, trainImageClassifier } from '../src/models/onnx/sample-models.js';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { startTrackingServer, stopTrackingServers } from './helpers/tracking-server.js';

const T = 90_000;
afterAll(() => stopTrackingServers());

/** A run with a small artifact tree and a metric logged at three steps; returns its id. */
function makeRun(dir: string, env: Record<string, string> = {}): string {
  fs.mkdirSync(path.join(dir, 'out', 'plots'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'out', 'report.txt'), 'accuracy 0.9\n');
  fs.writeFileSync(path.join(dir, 'out', 'plots', 'loss.csv'), 'step,loss\n1,0.5\n');
  const script = [
    "const fs = require('node:fs');",
    'for (const [s, v] of [[1, 0.5], [2, 0.25], [3, 0.125]]) console.log(`::mlx metric loss=${v} step=${s}`);',
  ].join('\n');
  const r = mlx(dir, ['run', '--name', 'trained', '--', process.execPath, '-e', script], { env });
  expect(r.code, r.stderr).toBe(0);
  const id = /run ([0-9a-f]{32})/.exec(r.stderr)![1];
  expect(mlx(dir, ['log', 'artifact', 'out', '--run', id], { env }).code).toBe(0);
  return id;
}

function checkArtifacts(dir: string, id: string, env: Record<string, string> = {}) {
  const top = mlxJson(dir, ['artifacts', 'list', id.slice(0, 8)], { env });
  expect(top.artifacts.map((a: any) => [a.path, a.is_dir])).toEqual([
    ['logs', true],
    ['out', true],
  ]);
  const all = mlxJson(dir, ['artifacts', 'list', id, '--recursive'], { env }).artifacts.filter((a: any) => !a.is_dir);
  expect(all.map((a: any) => a.path).sort()).toEqual(['logs/output.txt', 'out/plots/loss.csv', 'out/report.txt']);
  const human = mlx(dir, ['artifacts', 'list', id, 'out'], { env });
  expect(human.stdout).toMatch(/out\/plots\/ /);
  expect(human.stdout).toMatch(/out\/report\.txt +│ +13 B/);

  // A folder, keeping its path under --dst; a single file; everything.
  const d = mlx(dir, ['artifacts', 'download', id, 'out', '--dst', 'got'], { env });
  expect(d.code, d.stderr).toBe(0);
  expect(d.stderr).toMatch(/^mlx: downloaded 2 files \(\d+ B\) to got\n$/);
  expect(fs.readFileSync(path.join(dir, 'got', 'out', 'plots', 'loss.csv'), 'utf8')).toBe('step,loss\n1,0.5\n');
  const one = mlxJson(dir, ['artifacts', 'download', id, 'out/report.txt', '--dst', 'one'], { env });
  expect(one.files).toEqual(['out/report.txt']);
  expect(fs.readFileSync(path.join(dir, 'one', 'out', 'report.txt'), 'utf8')).toBe('accuracy 0.9\n');
  expect(mlxJson(dir, ['artifacts', 'download', id, '--dst', 'all'], { env }).files.sort()).toEqual([
    'logs/output.txt',
    'out/plots/loss.csv',
    'out/report.txt',
  ]);

  // Refusals: one line, nothing written.
  expectError(mlx(dir, ['artifacts', 'list', id, 'nope'], { env }), 1, 'has no artifact "nope"');
  expectError(mlx(dir, ['artifacts', 'download', id, 'nope', '--dst', 'none'], { env }), 1, 'has no artifact "nope"');
  expectError(mlx(dir, ['artifacts', 'download', id, '../../etc/passwd', '--dst', 'none'], { env }), 2, 'would escape');
  expect(fs.existsSync(path.join(dir, 'none'))).toBe(false);

  // The metric's whole history, in step order.
  const h = mlxJson(dir, ['runs', 'history', id, 'loss'], { env });
  expect(h.history.map((p: any) => [p.step, p.value])).toEqual([
    [1, 0.5],
    [2, 0.25],
    [3, 0.125],
  ]);
  const csv = mlx(dir, ['runs', 'history', id, 'loss', '--csv'], { env }).stdout.trim().split('\n');
  expect(csv[0]).toBe('step,value,timestamp');
  expect(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['1,0.5', '2,0.25', '3,0.125']);
  expectError(mlx(dir, ['runs', 'history', id, 'acc'], { env }), 1, 'has no metric "acc"; its metrics: loss');
}

describe('mlx artifacts and runs history', () => {
  it(
    'local store: list (one level, --recursive), download a folder, a file, everything; a metric history',
    () => {
      const dir = tempProject('mlx-artifacts-');
      checkArtifacts(dir, makeRun(dir));
    },
    T,
  );

  it(
    'through a tracking server (proxied artifacts)',
    async () => {
      const server = await startTrackingServer();
      const dir = tempProject('mlx-artifacts-remote-');
      const env = { MLX_TRACKING_URI: server.url };
      checkArtifacts(dir, makeRun(dir, env), env);
    },
    T,
  );
});

describe('confirmations', () => {
  it(
    'models alias and tag, experiments delete say what they did, on stderr (stdout stays empty)',
    () => {
      const dir = tempProject('mlx-confirm-');
      fs.writeFileSync(path.join(dir, 'm.onnx'), imageClassifierOnnx(trainImageClassifier({ seed: 1 })));
      for (let i = 0; i < 2; i++) expect(mlx(dir, ['register', 'm.onnx', '--name', 'pets']).code).toBe(0);
      const said = (args: string[]) => {
        const r = mlx(dir, args);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toBe('');
        return r.stderr;
      };
      expect(said(['models', 'alias', 'pets', '1', 'champion'])).toBe('mlx: pets@champion → version 1 (new alias)\n');
      expect(said(['models', 'alias', 'pets', '2', 'champion'])).toBe('mlx: pets@champion → version 2 (was version 1)\n');
      expect(said(['models', 'alias', '--delete', 'pets', 'champion'])).toBe('mlx: deleted alias pets@champion (it pointed at version 2)\n');
      expect(said(['models', 'tag', 'pets/2', 'validated', 'yes'])).toBe('mlx: tagged pets version 2: validated=yes\n');
      expect(said(['models', 'tag', 'pets', 'team', 'vision'])).toBe('mlx: tagged model pets: team=vision\n');
      expect(said(['models', 'tag', '--delete', 'pets/2', 'validated'])).toBe('mlx: deleted tag validated from pets version 2\n');
      mlxJson(dir, ['experiments', 'create', 'old']);
      expect(said(['experiments', 'delete', 'old'])).toBe('mlx: deleted experiment "old" (id 1) and its runs; `mlx experiments restore 1` brings them back\n');
      expect(said(['experiments', 'restore', '1'])).toBe('mlx: restored experiment "old" (id 1) and its runs\n');
    },
    T,
  );
});
