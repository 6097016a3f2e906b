// The ordinary MLflow workflows, with requests shaped as MLflow's Python client sends them
// (mlflow/store/tracking/rest_store.py, mlflow/store/model_registry/rest_store.py) and answers
// checked against MLflow's handlers: log a model and register it whatever its flavor, stages,
// the 1.x list endpoints, answers without mlx's facts unless asked, MLflow's wording for errors.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject } from '../../../test/helpers/cli.js';
import { startTrackingServer, stopServers } from '../../../test/helpers/mlx-server.js';
import { postgresForTests } from '../../../test/helpers/postgres.js';
import { API, expectError, imageOnnx, newRun, ok, remoteClient, tagsOf, trackingFixture, upload, type TrackingClient } from '../../../test/helpers/tracking.js';

// Every request below runs in-process (quick to debug) and against a spawned `mlx server` on
// SQLite and on PostgreSQL, each with an artifact destination of its own.
const pg = await postgresForTests();
const TARGETS = ['in-process', 'sqlite', 'postgresql'].filter((t) => t !== 'postgresql' || pg);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
  await stopServers();
  await pg?.stop();
});

describe.each(TARGETS)('MLflow compatibility (%s)', (target) => {
  let f: TrackingClient; // a plain MLflow client: no X-MLX-Model-Facts header
  let run: { experimentId: string; runId: string; artifacts: string };

  const kv = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));
  const IMAGE_SIGNATURE = {
    inputs: JSON.stringify([{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 3, 32, 32] }, name: 'image' }]),
    outputs: JSON.stringify([{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 5] } }]),
  };
  const mlmodel = (flavors: string, signature?: { inputs: string; outputs: string }) =>
    [
      'artifact_path: model',
      'flavors:',
      flavors,
      'mlflow_version: 2.17.0',
      'model_uuid: 4f1c',
      `run_id: ${run.runId}`,
      ...(signature ? ['signature:', `  inputs: '${signature.inputs}'`, `  outputs: '${signature.outputs}'`] : []),
      "utc_time_created: '2026-12-07 10:00:00.000000'",
      '',
    ].join('\n');
  const ONNX_FLAVOR =
    '  onnx:\n    code: null\n    data: model.onnx\n    onnx_version: 1.17.0\n  python_function:\n    data: model.onnx\n    loader_module: mlflow.onnx';
  const SKLEARN_FLAVOR =
    '  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle';
  const PYTORCH_FLAVOR = '  python_function:\n    loader_module: mlflow.pytorch\n  pytorch:\n    model_data: data\n    pytorch_version: 2.5.1';

  beforeAll(async () => {
    if (target === 'in-process') {
      const fixture = trackingFixture({ artifactsDestination: true, facts: false });
      cleanups.push(() => fixture.close());
      f = fixture;
    } else {
      const dir = tempProject('mlx-compat-');
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const store = target === 'sqlite' ? path.join(dir, '.mlx') : pg!.url(await pg!.createDatabase());
      const server = await startTrackingServer(dir, ['--backend-store-uri', store, '--artifacts-destination', path.join(dir, 'artifacts')]);
      f = remoteClient(server.base, { facts: false });
    }
    const r = await newRun(f, 'seed-classifier');
    run = { ...r, artifacts: r.run.info.artifact_uri as string };
    const at = (p: string) => `${run.artifacts.replace('mlflow-artifacts:/', '')}/${p}`;
    // What log_model uploads before it registers: the MLmodel file beside the model's files.
    ok(await upload(f, at('onnx-model/MLmodel'), mlmodel(ONNX_FLAVOR, IMAGE_SIGNATURE)));
    ok(await upload(f, at('onnx-model/model.onnx'), imageOnnx()));
    const wrong = { ...IMAGE_SIGNATURE, inputs: IMAGE_SIGNATURE.inputs.replace('float32', 'float64') };
    ok(await upload(f, at('onnx-wrong-sig/MLmodel'), mlmodel(ONNX_FLAVOR, wrong)));
    ok(await upload(f, at('onnx-wrong-sig/model.onnx'), imageOnnx()));
    ok(await upload(f, at('sk-model/MLmodel'), mlmodel(SKLEARN_FLAVOR)));
    ok(await upload(f, at('sk-model/model.pkl'), 'pickled bytes'));
    ok(await upload(f, at('pt-model/MLmodel'), mlmodel(PYTORCH_FLAVOR)));
    ok(await upload(f, at('pt-model/data/model.pth'), 'torch bytes'));
  }, 60_000);

  /** model_registry rest_store.create_model_version's body. */
  const createVersion = (name: string, source: string, extra: Record<string, unknown> = {}) =>
    f.post(`${API}/model-versions/create`, { name, source, run_id: run.runId, tags: [], run_link: null, description: null, ...extra });

  describe('model-versions/create takes every source MLflow takes', () => {
    it('an MLflow model folder with an onnx flavor is read: the ONNX file it names is the model, its signature checked', async () => {
      ok(await f.post(`${API}/registered-models/create`, { name: 'onnx-clf' }));
      const v = ok(await createVersion('onnx-clf', `${run.artifacts}/onnx-model`)).model_version;
      expect(v).toMatchObject({
        name: 'onnx-clf',
        version: '1',
        source: `${run.artifacts}/onnx-model`,
        run_id: run.runId,
        current_stage: 'None',
        status: 'READY',
      });
      // A plain client sees its own tags only: no mlx.* facts, and none here.
      expect(v.tags).toBeUndefined();
      const withFacts = await f.raw('GET', `${API}/model-versions/get?name=onnx-clf&version=1`, undefined, { 'X-MLX-Model-Facts': 'true' });
      const facts = tagsOf(ok(withFacts).model_version.tags);
      expect(JSON.parse(facts['mlx.signature']).inputs[0]).toMatchObject({ name: 'image', type: 'float32' });
      expect(facts['mlx.sha256']).toMatch(/^[0-9a-f]{64}$/);
      // What MLflow answers: where the source's files are (a client downloads the MLflow model folder).
      expect(ok(await f.get(`${API}/model-versions/get-download-uri`, { name: 'onnx-clf', version: '1' }))).toEqual({
        artifact_uri: `${run.artifacts}/onnx-model`,
      });
    });

    it("get-download-uri of a version the mlx CLI uploaded points at the registry's copy (the upload is removed once copied)", async () => {
      const { createHash } = await import('node:crypto');
      const bytes = imageOnnx();
      ok(await upload(f, '_mlx/uploads/abc-1/model.onnx', bytes));
      const hash = createHash('sha256').update(bytes).digest('hex');
      ok(await createVersion('uploaded', 'mlflow-artifacts:/_mlx/uploads/abc-1/model.onnx', { tags: kv({ 'mlx.sha256': hash }) }));
      expect(ok(await f.get(`${API}/model-versions/get-download-uri`, { name: 'uploaded', version: '1' }))).toEqual({
        artifact_uri: 'mlflow-artifacts:/_mlx-registry/uploaded/1/model.onnx',
      });
    });

    it('an MLflow sklearn / pytorch model is registered and marked not servable, saying what to do', async () => {
      const sk = ok(await createVersion('churn', `${run.artifacts}/sk-model`)).model_version;
      expect(tagsOf(sk.tags)).toEqual({ 'mlx.not_servable': 'is an MLflow sklearn model; mlx serves ONNX: convert it with skl2onnx and register the .onnx' });
      const pt = ok(await createVersion('churn', `runs:/${run.runId}/pt-model`)).model_version;
      expect(pt.version).toBe('2');
      expect(tagsOf(pt.tags)['mlx.not_servable']).toBe('is an MLflow pytorch model; mlx serves ONNX: export it with torch.onnx.export and register the .onnx');
      expect(ok(await f.get(`${API}/model-versions/get-download-uri`, { name: 'churn', version: '2' }))).toEqual({ artifact_uri: `${run.artifacts}/pt-model` });
    });

    it('s3:// and other remote sources are kept as given (opaque), as are paths with nothing uploaded yet', async () => {
      const s3 = ok(await createVersion('remote', 's3://models-bucket/churn/1', { description: 'from S3' })).model_version;
      expect(s3).toMatchObject({ source: 's3://models-bucket/churn/1', description: 'from S3' });
      expect(tagsOf(s3.tags)['mlx.not_servable']).toMatch(/^has its files at s3:\/\/models-bucket\/churn\/1, which mlx does not read/);
      expect(ok(await f.get(`${API}/model-versions/get-download-uri`, { name: 'remote', version: '1' }))).toEqual({
        artifact_uri: 's3://models-bucket/churn/1',
      });
      const later = ok(await createVersion('remote', `${run.artifacts}/not-yet`)).model_version;
      expect(tagsOf(later.tags)['mlx.not_servable']).toMatch(/^had no files at .*not-yet when it was registered/);
      const gcs = ok(await createVersion('remote', 'gs://b/m', { tags: kv({ team: 'risk' }) })).model_version;
      expect(Object.keys(tagsOf(gcs.tags)).sort()).toEqual(['mlx.not_servable', 'team']);
    });

    it('an onnx flavor whose MLflow signature disagrees with the ONNX model is registered but not servable, naming the difference', async () => {
      const v = ok(await createVersion('sig', `${run.artifacts}/onnx-wrong-sig`)).model_version;
      expect(tagsOf(v.tags)['mlx.not_servable']).toMatch(/input "image" is float64 in its MLflow signature but float32 in the ONNX model/);
    });

    it('refuses what MLflow refuses: a local path outside the artifact root, ".." in a path, and keeps the not-servable tag', async () => {
      expectError(await createVersion('bad', '/etc'), 400, 'INVALID_PARAMETER_VALUE', "Invalid model version source: '/etc'");
      expectError(await createVersion('bad', 'mlflow-artifacts:/../../x'), 400, 'INVALID_PARAMETER_VALUE', '..');
      expectError(await f.get(`${API}/registered-models/get`, { name: 'bad' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=bad not found');
      expectError(
        await f.del(`${API}/model-versions/delete-tag`, { name: 'churn', version: '1', key: 'mlx.not_servable' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'mlx.not_servable',
      );
    });
  });

  describe('runs/log-model (log_model records the model on its run)', () => {
    const modelJson = (extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        artifact_path: 'model',
        flavors: { sklearn: { pickled_model: 'model.pkl' } },
        run_id: run.runId,
        utc_time_created: '2026-12-07 10:00:00.000000',
        model_uuid: 'abc',
        signature: { inputs: '[]' },
        ...extra,
      });

    it('appends to the mlflow.log-model.history tag, without the signature, as MLflow does', async () => {
      ok(await f.post(`${API}/runs/log-model`, { run_id: run.runId, model_json: modelJson() }));
      ok(await f.post(`${API}/runs/log-model`, { run_id: run.runId, model_json: modelJson({ artifact_path: 'model2' }) }));
      const tags = tagsOf(ok(await f.get(`${API}/runs/get`, { run_id: run.runId })).run.data.tags);
      const history = JSON.parse(tags['mlflow.log-model.history']);
      expect(history.map((m: { artifact_path: string }) => m.artifact_path)).toEqual(['model', 'model2']);
      expect(history[0]).toEqual({
        artifact_path: 'model',
        flavors: { sklearn: { pickled_model: 'model.pkl' } },
        run_id: run.runId,
        utc_time_created: '2026-12-07 10:00:00.000000',
        model_uuid: 'abc',
      });
    });

    it("refuses bad model_json with MLflow's messages, writing nothing; unknown runs are 404", async () => {
      const before = tagsOf(ok(await f.get(`${API}/runs/get`, { run_id: run.runId })).run.data.tags)['mlflow.log-model.history'];
      expectError(
        await f.post(`${API}/runs/log-model`, { run_id: run.runId, model_json: '{not json' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'Malformed model info.',
      );
      expectError(
        await f.post(`${API}/runs/log-model`, { run_id: run.runId, model_json: JSON.stringify({ artifact_path: 'm' }) }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Model json is missing mandatory fields: {'flavors', 'run_id', 'utc_time_created'}",
      );
      expectError(await f.post(`${API}/runs/log-model`, { model_json: modelJson() }), 400, 'INVALID_PARAMETER_VALUE', 'run_id');
      expectError(
        await f.post(`${API}/runs/log-model`, { run_id: 'f'.repeat(32), model_json: modelJson() }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Run with id=${'f'.repeat(32)} not found`,
      );
      expect(tagsOf(ok(await f.get(`${API}/runs/get`, { run_id: run.runId })).run.data.tags)['mlflow.log-model.history']).toBe(before);
    });
  });

  describe('stages (deprecated by MLflow, still served)', () => {
    const stageOf = async (v: string) => ok(await f.get(`${API}/model-versions/get`, { name: 'staged', version: v })).model_version.current_stage;
    const transition = (version: string, stage: string, archive?: boolean) =>
      f.post(`${API}/model-versions/transition-stage`, {
        name: 'staged',
        version,
        stage,
        ...(archive === undefined ? {} : { archive_existing_versions: archive }),
      });

    it('transition-stage moves a version (any case), archive_existing_versions archives the others in that stage', async () => {
      for (let i = 0; i < 3; i++) ok(await createVersion('staged', `${run.artifacts}/onnx-model`));
      expect(ok(await transition('1', 'production')).model_version).toMatchObject({ version: '1', current_stage: 'Production' });
      ok(await transition('2', 'Production', false));
      expect([await stageOf('1'), await stageOf('2')]).toEqual(['Production', 'Production']);
      ok(await transition('3', 'Production', true));
      expect([await stageOf('1'), await stageOf('2'), await stageOf('3')]).toEqual(['Archived', 'Archived', 'Production']);
      ok(await transition('2', 'Staging'));
    });

    it('get-latest-versions and latest_versions answer the newest version of each stage', async () => {
      const latest = async (stages?: string[]) =>
        (ok(await f.post(`${API}/registered-models/get-latest-versions`, { name: 'staged', ...(stages ? { stages } : {}) })).model_versions ?? []).map(
          (v: { version: string; current_stage: string }) => `${v.version}:${v.current_stage}`,
        );
      expect(await latest()).toEqual(['1:Archived', '2:Staging', '3:Production']);
      expect(await latest(['Production'])).toEqual(['3:Production']);
      expect(await latest(['None'])).toEqual([]);
      const model = ok(await f.get(`${API}/registered-models/get`, { name: 'staged' })).registered_model;
      expect(model.latest_versions.map((v: { version: string }) => v.version)).toEqual(['1', '2', '3']);
    });

    it("refuses an unknown stage, and archiving for a stage that is not active, in MLflow's words", async () => {
      expectError(
        await transition('1', 'Prod'),
        400,
        'INVALID_PARAMETER_VALUE',
        'Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.',
      );
      expectError(await transition('1', 'Archived', true), 400, 'INVALID_PARAMETER_VALUE', "because 'Archived' is not an Active stage");
      expectError(await transition('9', 'Staging'), 404, 'RESOURCE_DOES_NOT_EXIST', 'Model Version (name=staged, version=9) not found');
      expect(await stageOf('1')).toBe('Archived');
    });
  });

  describe('answers and errors as MLflow gives them', () => {
    it('registered-models/list (MLflow 1.x) pages like registered-models/search', async () => {
      const page = ok(await f.get(`${API}/registered-models/list`, { max_results: 2 }));
      expect(page.registered_models).toHaveLength(2);
      const rest = ok(await f.get(`${API}/registered-models/list`, { max_results: 100, page_token: page.next_page_token }));
      const all = [...page.registered_models, ...rest.registered_models].map((m: { name: string }) => m.name);
      expect(all).toEqual(ok(await f.get(`${API}/registered-models/search`, { max_results: 100 })).registered_models.map((m: { name: string }) => m.name));
    });

    it('leaves out empty lists and unset descriptions: a search with no match is {}', async () => {
      expect(ok(await f.post(`${API}/experiments/search`, { filter: "name = 'no such experiment'", max_results: 10 }))).toEqual({});
      expect(ok(await f.post(`${API}/runs/search`, { experiment_ids: [run.experimentId], filter: "params.x = 'none'" }))).toEqual({});
      const m = ok(await f.post(`${API}/registered-models/create`, { name: 'bare' })).registered_model;
      expect(Object.keys(m).sort()).toEqual(['creation_timestamp', 'last_updated_timestamp', 'name']);
      expect(ok(await f.post(`${API}/registered-models/get-latest-versions`, { name: 'bare' }))).toEqual({});
    });

    it('a search over unknown experiment ids finds no runs; runs of known ones are still found', async () => {
      expect(ok(await f.post(`${API}/runs/search`, { experiment_ids: ['424242'] }))).toEqual({});
      const found = ok(await f.post(`${API}/runs/search`, { experiment_ids: ['424242', run.experimentId] })).runs;
      expect(found.map((r: { info: { run_id: string } }) => r.info.run_id)).toContain(run.runId);
    });

    it('reads bare attribute names in filters and order_by (start_time, status, run_name, created)', async () => {
      const search = (body: Record<string, unknown>) => f.post(`${API}/runs/search`, { experiment_ids: [run.experimentId], ...body });
      expect(ok(await search({ filter: "status = 'RUNNING' and run_name != 'x' and start_time > 0", order_by: ['start_time DESC'] })).runs).toHaveLength(1);
      expect(ok(await search({ filter: 'created > 0', order_by: ['created ASC'] })).runs).toHaveLength(1);
      expectError(await search({ filter: "colour = 'red'" }), 400, 'INVALID_PARAMETER_VALUE', "Invalid attribute key 'colour' specified");
    });

    it('deleting a deleted run is an error, as for experiments; missing resources say "not found" first', async () => {
      const { runId } = await newRun(f, 'to-delete');
      ok(await f.post(`${API}/runs/delete`, { run_id: runId }));
      expectError(await f.post(`${API}/runs/delete`, { run_id: runId }), 400, 'INVALID_STATE', `run ${runId} is already deleted`);
      ok(await f.post(`${API}/runs/restore`, { run_id: runId }));
      expectError(await f.get(`${API}/runs/get`, { run_id: 'a'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST', /^Run with id=a{32} not found; /);
      expectError(await f.get(`${API}/experiments/get`, { experiment_id: '31337' }), 404, 'RESOURCE_DOES_NOT_EXIST', /^No Experiment with id=31337 exists; /);
      expectError(
        await f.get(`${API}/model-versions/get`, { name: 'churn', version: '7' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /^Model Version \(name=churn, version=7\) not found; /,
      );
      expectError(
        await f.get(`${API}/registered-models/alias`, { name: 'churn', alias: 'gone' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /^Registered model alias gone not found/,
      );
    });
  });
});
