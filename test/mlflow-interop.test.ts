// The seed's MLflow workflow against a spawned `mlx server`, on SQLite and on PostgreSQL: the
// requests MLflow's Python client sends for mlflow.set_experiment / start_run / log_params /
// log_metrics / log_model / register_model / transition_model_version_stage / set alias
// (mlflow/store/tracking/rest_store.py, mlflow/store/model_registry/rest_store.py, artifact
// uploads through mlflow-artifacts), replayed with fetch; then the mlx CLI on what was registered:
// an ONNX model logged as an MLflow model folder is served, an sklearn one is refused in one line.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageClassifierOnnx } from '../src/models/onnx/image-model.js';
import { expectError, mlx, tempProject } from './helpers/cli.js';
import { call, startTrackingServer, stopServers, type TrackingServer } from './helpers/mlx-server.js';
import { postgresForTests } from './helpers/postgres.js';

const pg = await postgresForTests();
const BACKENDS = ['sqlite', ...(pg ? ['postgresql'] : [])];
const API = '/api/2.0/mlflow';
const dirs: string[] = [];
const PHOTO = path.resolve('test/fixtures/seed-pipeline/photo-640x480.jpg');

afterAll(async () => {
  await stopServers();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  await pg?.stop();
});

const MLMODEL_ONNX = (runId: string) => `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.17.0
  python_function:
    data: model.onnx
    loader_module: mlflow.onnx
mlflow_version: 2.17.0
model_uuid: 9d2e
run_id: ${runId}
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3, 32, 32]}, "name": "image"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 5]}}]'
utc_time_created: '2026-12-07 10:00:00.000000'
`;
const MLMODEL_SKLEARN = `artifact_path: sk
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.5.2
mlflow_version: 2.17.0
utc_time_created: '2026-12-07 10:00:00.000000'
`;

describe.each(BACKENDS)('MLflow Python client workflows against mlx server on %s', (backend) => {
  let server: TrackingServer;
  let dir: string;
  const ok = async (method: string, endpoint: string, body?: Record<string, unknown>) => {
    const r = await call(server.base, method, `${API}/${endpoint}`, body);
    expect(r.status, `${endpoint}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body;
  };
  const put = async (uri: string, bytes: Uint8Array | string) => {
    const res = await fetch(`${server.base}/api/2.0/mlflow-artifacts/artifacts/${uri.replace(/^mlflow-artifacts:\/+/, '')}`, { method: 'PUT', body: bytes });
    expect(res.status).toBe(200);
  };
  const env = () => ({ MLX_TRACKING_URI: server.base });
  let runId: string;
  let artifactUri: string;

  it('starts on an empty store; the Default experiment keeps artifacts through the proxy', async () => {
    dir = tempProject('mlx-interop-');
    dirs.push(dir);
    // Both with an artifact destination of their own: the case where a server-local Default folder would leak.
    const store = backend === 'sqlite' ? path.join(dir, '.mlx') : pg!.url(await pg!.createDatabase());
    server = await startTrackingServer(dir, ['--backend-store-uri', store, '--artifacts-destination', path.join(dir, 'artifacts')]);
    expect((await ok('GET', 'experiments/get', { experiment_id: '0' })).experiment.artifact_location).toBe('mlflow-artifacts:/0');
    const { run } = await ok('POST', 'runs/create', { experiment_id: '0', start_time: Date.now(), tags: [] });
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/0/${run.info.run_id}/artifacts`);
  }, 60_000);

  it('mlflow.set_experiment + start_run + log_params/log_metrics + log_model + register_model', async () => {
    // set_experiment: get-by-name (404 for a new one, in MLflow's words), then create.
    const missing = await call(server.base, 'GET', `${API}/experiments/get-by-name`, { experiment_name: 'seed-classifier' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Could not find experiment with name 'seed-classifier'" });
    const { experiment_id } = await ok('POST', 'experiments/create', { name: 'seed-classifier', artifact_location: '', tags: [] });
    const { run } = await ok('POST', 'runs/create', {
      experiment_id,
      user_id: 'ana',
      start_time: 1_765_000_000_000,
      tags: [
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.user', value: 'ana' },
      ],
      run_name: 'resnet-finetune',
    });
    runId = run.info.run_id;
    artifactUri = run.info.artifact_uri;
    expect(artifactUri).toBe(`mlflow-artifacts:/${experiment_id}/${runId}/artifacts`);
    await ok('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'val_acc', value: 0.91, timestamp: 1_765_000_000_500, step: 3 }],
      params: [{ key: 'lr', value: '0.001' }],
      tags: [],
    });
    // log_model: the model folder is uploaded, then recorded on the run.
    await put(`${artifactUri}/model/MLmodel`, MLMODEL_ONNX(runId));
    await put(`${artifactUri}/model/model.onnx`, imageClassifierOnnx());
    await put(`${artifactUri}/sk/MLmodel`, MLMODEL_SKLEARN);
    await put(`${artifactUri}/sk/model.pkl`, 'cloudpickle bytes');
    await ok('POST', 'runs/log-model', {
      run_id: runId,
      model_json: JSON.stringify({
        artifact_path: 'model',
        flavors: { onnx: { data: 'model.onnx' } },
        run_id: runId,
        utc_time_created: '2026-12-07 10:00:00.000000',
      }),
    });
    // register_model: create the model (RESOURCE_ALREADY_EXISTS is fine), then the version from the run's folder.
    await ok('POST', 'registered-models/create', { name: 'seed-clf', tags: [], description: null });
    const again = await call(server.base, 'POST', `${API}/registered-models/create`, { name: 'seed-clf' });
    expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    const { model_version: v } = await ok('POST', 'model-versions/create', { name: 'seed-clf', source: `${artifactUri}/model`, run_id: runId, tags: [] });
    expect(v).toMatchObject({ name: 'seed-clf', version: '1', status: 'READY', current_stage: 'None', source: `${artifactUri}/model`, run_id: runId });
    expect(v.tags).toBeUndefined();
    // The Python client waits for READY with model-versions/get.
    expect((await ok('GET', 'model-versions/get', { name: 'seed-clf', version: '1' })).model_version.status).toBe('READY');
    const { model_version: sk } = await ok('POST', 'model-versions/create', { name: 'churn', source: `runs:/${runId}/sk`, run_id: runId });
    expect(sk.tags).toEqual([
      { key: 'mlx.not_servable', value: 'is an MLflow sklearn model; mlx serves ONNX: convert it with skl2onnx and register the .onnx' },
    ]);
    const s3 = await ok('POST', 'model-versions/create', { name: 'churn', source: 's3://bucket/churn/model', run_id: runId });
    expect(s3.model_version.version).toBe('2');
  });

  it('stages and aliases: transition_model_version_stage(archive_existing_versions), set_registered_model_alias', async () => {
    await ok('POST', 'model-versions/create', { name: 'seed-clf', source: `${artifactUri}/model`, run_id: runId });
    await ok('POST', 'model-versions/transition-stage', { name: 'seed-clf', version: '1', stage: 'Production', archive_existing_versions: false });
    const { model_version } = await ok('POST', 'model-versions/transition-stage', {
      name: 'seed-clf',
      version: '2',
      stage: 'Production',
      archive_existing_versions: true,
    });
    expect(model_version.current_stage).toBe('Production');
    expect((await ok('GET', 'model-versions/get', { name: 'seed-clf', version: '1' })).model_version.current_stage).toBe('Archived');
    await ok('POST', 'registered-models/alias', { name: 'seed-clf', alias: 'champion', version: '2' });
    const latest = await ok('POST', 'registered-models/get-latest-versions', { name: 'seed-clf', stages: ['Production'] });
    expect(latest.model_versions.map((x: { version: string; aliases: string[] }) => [x.version, x.aliases])).toEqual([['2', ['champion']]]);
  });

  it('mlx models show lists stages beside aliases, and what is not servable; models:/ URIs name versions', async () => {
    const shown = mlx(dir, ['models', 'show', 'models:/seed-clf'], { env: env() });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/@champion stage Production/);
    expect(shown.stdout).toMatch(/stage Archived/);
    const sk = mlx(dir, ['models', 'show', 'models:/churn/1'], { env: env() });
    expect(sk.code, sk.stderr).toBe(0);
    expect(sk.stdout).toMatch(/servable\s+no: is an MLflow sklearn model; mlx serves ONNX: convert it with skl2onnx/);
    // Its model card says what it is instead of "An ONNX model" with empty facts.
    const card = mlx(dir, ['models', 'card', 'churn/1'], { env: env() });
    expect(card.code, card.stderr).toBe(0);
    expect(card.stdout).toContain(`Registered from \`runs:/${runId}/sk\`. mlx cannot serve it: this version is an MLflow sklearn model; mlx serves ONNX`);
    expect(card.stdout).not.toContain('An ONNX model registered with mlx');
    expect(card.stdout).toMatch(/\| SHA-256 \| `-` \|/);
    const json = JSON.parse(mlx(dir, ['models', 'show', 'models:/seed-clf@champion', '--json'], { env: env() }).stdout);
    expect(json.model_version).toMatchObject({ version: 2, current_stage: 'Production', aliases: ['champion'] });
    expect(mlx(dir, ['models', 'alias', 'models:/seed-clf/1', 'previous'], { env: env() }).code).toBe(0);
    expect(JSON.parse(mlx(dir, ['models', 'show', 'seed-clf@previous', '--json'], { env: env() }).stdout).model_version.version).toBe(1);
  });

  it('mlx predict serves the ONNX model of an MLflow model folder; serve / containerize refuse an sklearn one in one line', async () => {
    fs.mkdirSync(path.join(dir, 'photos'), { recursive: true });
    fs.copyFileSync(PHOTO, path.join(dir, 'photos', 'photo.jpg'));
    const r = mlx(dir, ['predict', 'models:/seed-clf@champion', '--input', 'photos'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/photo\.jpg/);
    const line = 'version 1 of churn is an MLflow sklearn model; mlx serves ONNX: convert it with skl2onnx and register the .onnx';
    expectError(mlx(dir, ['serve', 'models:/churn/1', '--port', '0'], { env: env() }), 1, line);
    expectError(mlx(dir, ['containerize', 'models:/churn/1', '--out', 'image'], { env: env() }), 1, line);
    expect(fs.existsSync(path.join(dir, 'image'))).toBe(false);
    expectError(
      mlx(dir, ['predict', 'models:/churn/2', '--input', 'photos'], { env: env() }),
      1,
      'version 2 of churn has its files at s3://bucket/churn/model',
    );
  });
});

describe('MLflow model folders in the mlx CLI (local store)', () => {
  let dir: string;
  const write = (rel: string, content: string | Uint8Array) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  };

  it('mlx register DIR reads an MLmodel folder: its onnx flavor is registered, its signature checked; other flavors refused in one line', () => {
    dir = tempProject('mlx-mlmodel-');
    dirs.push(dir);
    write('exported/MLmodel', MLMODEL_ONNX('0'.repeat(32)).replace('data: model.onnx\n    onnx_version', 'data: weights/clf.onnx\n    onnx_version'));
    write('exported/weights/clf.onnx', imageClassifierOnnx());
    write('exported/model.onnx', 'a decoy the onnx flavor does not name');
    const r = mlx(dir, ['register', 'exported', '--name', 'clf', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).model_version).toMatchObject({ version: 1, source: path.join(fs.realpathSync(dir), 'exported/weights/clf.onnx') });

    write('sk/MLmodel', MLMODEL_SKLEARN);
    write('sk/model.pkl', 'pickle');
    expectError(
      mlx(dir, ['register', 'sk', '--name', 'churn']),
      1,
      'model file "sk" is an MLflow sklearn model; mlx serves ONNX: convert it with skl2onnx and register the .onnx',
    );
    write('wrong/MLmodel', MLMODEL_ONNX('0'.repeat(32)).replace('[-1, 5]', '[-1, 7]'));
    write('wrong/model.onnx', imageClassifierOnnx());
    expectError(
      mlx(dir, ['register', 'wrong', '--name', 'churn']),
      1,
      'output "logits" has shape [-1, 7] in its MLflow signature but [-1, 5] in the ONNX model',
    );
    write('escape/MLmodel', 'flavors:\n  onnx:\n    data: ../exported/weights/clf.onnx\n');
    expectError(mlx(dir, ['register', 'escape', '--name', 'churn']), 1, 'which is not a file inside the model folder');
    // Nothing of the refused registrations was written.
    expect(JSON.parse(mlx(dir, ['models', 'list', '--json']).stdout).registered_models.map((m: { name: string }) => m.name)).toEqual(['clf']);
  });

  it('mlx models stage moves a version between MLflow stages; bad stages are usage errors', () => {
    expect(mlx(dir, ['register', 'exported', '--name', 'clf']).code).toBe(0);
    const moved = JSON.parse(mlx(dir, ['models', 'stage', 'models:/clf/1', 'production', '--json']).stdout);
    expect(moved.model_version).toMatchObject({ version: 1, current_stage: 'Production' });
    expect(mlx(dir, ['models', 'stage', 'clf/2', 'Production', '--archive-existing']).stdout).toBe('clf version 2 is in stage Production\n');
    expect(JSON.parse(mlx(dir, ['models', 'show', 'clf/1', '--json']).stdout).model_version.current_stage).toBe('Archived');
    expect(mlx(dir, ['models', 'show', 'clf']).stdout).toMatch(/stage Production/);
    expectError(mlx(dir, ['models', 'stage', 'clf/2', 'Prod']), 2, 'stage "Prod" is not one of None, Staging, Production, Archived');
    expectError(mlx(dir, ['models', 'stage', 'clf/2', 'Archived', '--archive-existing']), 2, '--archive-existing');
    expectError(mlx(dir, ['models', 'stage', 'clf', 'Staging']), 2, 'name a version: clf/3');
    expect(JSON.parse(mlx(dir, ['models', 'show', 'clf/2', '--json']).stdout).model_version.current_stage).toBe('Production');
  });

  it('mlx serve runs:/RUN/model serves the ONNX file of an MLflow model folder logged to a run', async () => {
    const run = mlx(dir, ['runs', 'start', '--name', 'export']).stdout.trim();
    expect(run).toMatch(/^[0-9a-f]{32}$/);
    // The folder lands as model/exported in the run's artifacts.
    expect(mlx(dir, ['log', 'artifact', 'exported', '--run', run, '--artifact-path', 'model']).code).toBe(0);
    const { startServe, stopAll } = await import('./helpers/serve.js');
    try {
      const s = await startServe(dir, `runs:/${run}/model/exported`);
      // The file the onnx flavor names (weights/clf.onnx), not the decoy model.onnx beside MLmodel.
      expect(s.stderr()).toMatch(/mlx: serving clf /);
    } finally {
      await stopAll();
    }
  }, 60_000);
});
