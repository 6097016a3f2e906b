// The mlx CLI pointed at an MLflow tracking server (--tracking-uri / MLX_TRACKING_URI http://…):
// tracking and registry commands as users run them, spawned, against a recorded MLflow server
// (test/helpers/recorded-mlflow.ts answers as MLflow 2.x's handlers do). What differs from mlx
// server is listed in the README's MLflow section; these tests pin what works.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageClassifierOnnx } from '../src/models/onnx/image-model.js';
import { expectError, mlxSpawn, tempProject, type CliResult } from './helpers/cli.js';
import { startRecordedMlflow, type RecordedMlflow } from './helpers/recorded-mlflow.js';

let server: RecordedMlflow;
let dir: string;
/** `mlx ARGS` without blocking this process: the recorded server answers from it. */
function run(args: string[]): Promise<CliResult> {
  const proc = mlxSpawn(dir, args, { MLX_TRACKING_URI: server.url });
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}
const ok = async (args: string[]) => {
  const r = await run(args);
  expect(r.code, `mlx ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
};
const json = async (args: string[]) => JSON.parse((await ok([...args, '--json'])).stdout);

beforeAll(async () => {
  server = await startRecordedMlflow();
  dir = tempProject('mlx-recorded-mlflow-');
  fs.writeFileSync(path.join(dir, 'model.onnx'), imageClassifierOnnx());
  fs.writeFileSync(path.join(dir, 'notes.md'), '# notes\n');
  fs.mkdirSync(path.join(dir, 'photos'));
  fs.copyFileSync(path.resolve('test/fixtures/seed-pipeline/photo-640x480.jpg'), path.join(dir, 'photos', 'photo.jpg'));
});
afterAll(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('mlx against an MLflow server', () => {
  let runId: string;

  it('experiments and runs: create, log params, metrics, tags and artifacts, list, show, end', async () => {
    await ok(['experiments', 'create', 'seed']);
    expect((await json(['experiments', 'list'])).experiments.map((e: { name: string }) => e.name)).toEqual(['Default', 'seed']);
    runId = (await ok(['runs', 'start', '--experiment', 'seed', '--name', 'baseline', '--param', 'lr=0.01'])).stdout.trim();
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    await ok(['log', 'metric', 'loss', '0.5', '--run', runId, '--step', '1']);
    await ok(['log', 'metric', 'loss', '0.25', '--run', runId, '--step', '2']);
    await ok(['log', 'tag', 'team', 'vision', '--run', runId]);
    await ok(['log', 'artifact', 'notes.md', '--run', runId]);
    expect([...server.artifacts.keys()]).toContain(`1/${runId}/artifacts/notes.md`);
    await ok(['runs', 'end', runId]);
    const shown = await json(['runs', 'show', runId]);
    expect(shown).toMatchObject({
      run_id: runId,
      run_name: 'baseline',
      status: 'FINISHED',
      params: { lr: '0.01' },
      metrics: { loss: 0.25 },
      tags: { team: 'vision' },
    });
    expect((await json(['runs', 'list', '--experiment', 'seed'])).runs.map((r: { run_id: string }) => r.run_id)).toEqual([runId]);
  });

  it('registry: register an ONNX file, alias it, show it, predict with it; the bytes stay where MLflow points', async () => {
    const v = (await json(['register', 'model.onnx', '--name', 'clf', '--run', runId, '--alias', 'champion'])).model_version;
    expect(v).toMatchObject({ name: 'clf', version: 1, run_id: runId });
    // MLflow keeps no copy of its own: the uploaded file is where the version's storage location points.
    const uri = server.requests
      .filter((r) => r.startsWith('PUT '))
      .map((r) => r.slice(4))
      .find((p) => p.endsWith('model.onnx'));
    expect(uri, server.requests.join('\n')).toBeDefined();
    expect(server.artifacts.get(decodeURIComponent(uri!.replace('/api/2.0/mlflow-artifacts/artifacts/', '')))).toBeDefined();
    expect((await json(['models', 'list'])).registered_models.map((m: { name: string }) => m.name)).toEqual(['clf']);
    expect((await json(['models', 'show', 'models:/clf@champion'])).model_version).toMatchObject({ version: 1, aliases: ['champion'] });
    const predicted = await ok(['predict', 'models:/clf@champion', '--input', 'photos']);
    expect(predicted.stdout).toMatch(/photo\.jpg/);
  });

  it('refusals name the resource as MLflow does and write nothing', async () => {
    // MLflow looks the version up directly, and says so.
    expectError(await run(['models', 'show', 'models:/nope/1']), 1, 'Model Version (name=nope, version=1) not found');
    expectError(await run(['models', 'show', 'nope']), 1, 'Registered Model with name=nope not found');
    expectError(await run(['runs', 'show', 'f'.repeat(32)]), 1, `Run with id=${'f'.repeat(32)} not found`);
  });
});
