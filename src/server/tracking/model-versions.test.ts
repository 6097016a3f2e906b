// model-versions/create (model_registry.proto CreateModelVersion) as the contract extends it: the
// server reads the ONNX model at `source` (mlflow-artifacts:/ file or folder, runs:/RUN/PATH),
// takes mlx.labels / mlx.preprocess / mlx.alias / mlx.sha256 input tags, and refuses what is not a
// usable ONNX model with a 400 naming the source.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  expectError,
  IMAGE_LABELS,
  IMAGE_SPEC,
  imageOnnx,
  newRun,
  ok,
  sha256,
  tagsOf,
  trackingFixture,
  upload,
  type TrackingFixture,
} from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
let runId: string;
let onnx: Uint8Array;

beforeAll(async () => {
  f = trackingFixture({ artifactsDestination: true });
  onnx = imageOnnx();
  ok(await upload(f, 'uploads/img/model.onnx', onnx));
  ok(await upload(f, 'uploads/notes/readme.txt', 'no model here'));
  ok(await upload(f, 'uploads/fake/model.onnx', 'this is not protobuf at all'));
  const r = await newRun(f, 'train');
  runId = r.runId;
  ok(await upload(f, `${r.run.info.artifact_uri.replace('mlflow-artifacts:/', '')}/model/classifier.onnx`, onnx));
}, 60_000);
afterAll(() => f.close());

const create = (body: Record<string, unknown>) => f.post(`${API}/model-versions/create`, body);
const kv = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));
const versionsOf = async (name: string) => ok(await f.get(`${API}/model-versions/search`, { filter: `name = '${name}'` })).model_versions;

describe('model-versions/create from an uploaded model', () => {
  it('mlflow-artifacts:/ file with mlx.labels, mlx.preprocess, mlx.alias, mlx.sha256: version "1", facts as computed tags', async () => {
    const r = await create({
      name: 'img',
      source: 'mlflow-artifacts:/uploads/img/model.onnx',
      description: 'first cut',
      tags: kv({
        'mlx.labels': JSON.stringify(IMAGE_LABELS),
        'mlx.preprocess': IMAGE_SPEC,
        'mlx.alias': 'champion',
        'mlx.sha256': sha256(onnx),
        team: 'vision',
      }),
    });
    const v = ok(r).model_version;
    expect(v).toMatchObject({
      name: 'img',
      version: '1',
      description: 'first cut',
      source: 'mlflow-artifacts:/uploads/img/model.onnx',
      status: 'READY',
      current_stage: 'None',
      aliases: ['champion'],
    });
    expect(typeof v.creation_timestamp).toBe('number');
    const tags = tagsOf(v.tags);
    expect(tags).toMatchObject({ team: 'vision', 'mlx.sha256': sha256(onnx), 'mlx.size': String(onnx.byteLength), 'mlx.labels': JSON.stringify(IMAGE_LABELS) });
    expect(tags['mlx.preprocess']).toMatch(/^image:32x32/);
    expect(tags['mlx.alias']).toBeUndefined();
    expect(Number(tags['mlx.ir_version'])).toBeGreaterThan(0);
    expect(JSON.parse(tags['mlx.opset'])).toEqual(expect.arrayContaining([expect.objectContaining({ version: expect.any(Number) })]));
    const signature = JSON.parse(tags['mlx.signature']);
    expect(signature.inputs[0].shape).toEqual([-1, 3, 32, 32]);
    expect(signature.outputs[0].shape).toEqual([-1, 5]);
    expect(ok(await f.get(`${API}/registered-models/get`, { name: 'img' })).registered_model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
  });

  it('a folder holding one .onnx file is that model; without mlx.preprocess the image spec is inferred', async () => {
    const v = ok(await create({ name: 'img', source: 'mlflow-artifacts:/uploads/img' })).model_version;
    expect(v.version).toBe('2');
    expect(tagsOf(v.tags)['mlx.sha256']).toBe(sha256(onnx));
    expect(tagsOf(v.tags)['mlx.labels']).toBeUndefined();
  });

  it('runs:/RUN_ID/PATH reads the run artifacts and records the run', async () => {
    const v = ok(await create({ name: 'from-run', source: `runs:/${runId}/model`, run_id: runId })).model_version;
    expect(v).toMatchObject({ version: '1', run_id: runId, source: `runs:/${runId}/model` });
    expect(tagsOf(v.tags)['mlx.sha256']).toBe(sha256(onnx));
    const byRun = ok(await f.get(`${API}/model-versions/search`, { filter: `run_id = '${runId}'` })).model_versions;
    expect(byRun.map((x: { name: string }) => x.name)).toEqual(['from-run']);
  });

  it('the same bytes registered twice are stored once (content-addressed)', async () => {
    const stored = fs.readdirSync(path.join(f.store.uri, 'models', 'sha256'));
    expect(stored).toEqual([`${sha256(onnx)}.onnx`]);
  });
});

describe('model-versions/create refusals: 400, nothing registered', () => {
  const refused = async (body: Record<string, unknown>, status: number, code: string, ...mentions: string[]) => {
    const before = await versionsOf('img');
    expectError(await create({ name: 'img', ...body }), status, code, ...mentions);
    expect(await versionsOf('img')).toEqual(before);
  };

  it('a wrong mlx.sha256 → 400 naming both hashes', async () => {
    await refused(
      { source: 'mlflow-artifacts:/uploads/img/model.onnx', tags: kv({ 'mlx.sha256': '0'.repeat(64) }) },
      400,
      'INVALID_PARAMETER_VALUE',
      sha256(onnx),
      '0'.repeat(64),
    );
  });

  // A client that sends mlx.* input tags (mlx's own REST store always sends mlx.sha256) expects an
  // ONNX model: it is told why there is none. Plain MLflow clients get the version (model-source.test.ts).
  const strict = kv({ 'mlx.sha256': '0'.repeat(64) });

  it('bytes that are not ONNX → 400 naming the source as the client gave it', async () => {
    await refused(
      { source: 'mlflow-artifacts:/uploads/fake/model.onnx', tags: strict },
      400,
      'INVALID_PARAMETER_VALUE',
      'mlflow-artifacts:/uploads/fake/model.onnx',
    );
  });

  it('a folder with no .onnx file, or a missing path → 400 naming the source', async () => {
    await refused({ source: 'mlflow-artifacts:/uploads/notes', tags: strict }, 400, 'INVALID_PARAMETER_VALUE', 'mlflow-artifacts:/uploads/notes');
    await refused(
      { source: 'mlflow-artifacts:/uploads/missing/model.onnx', tags: strict },
      400,
      'INVALID_PARAMETER_VALUE',
      'mlflow-artifacts:/uploads/missing/model.onnx',
    );
  });

  it("error messages never show the server's own folders", async () => {
    for (const source of ['mlflow-artifacts:/uploads/fake/model.onnx', 'mlflow-artifacts:/uploads/notes', 'mlflow-artifacts:/uploads/missing/model.onnx']) {
      const r = await create({ name: 'img', source, tags: strict });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.body.message).not.toContain(f.dir);
    }
  });

  it('sources outside the artifact root, other schemes (for a client expecting ONNX) and the registry prefix → 400', async () => {
    await refused({ source: '/etc/passwd' }, 400, 'INVALID_PARAMETER_VALUE', "Invalid model version source: '/etc/passwd'");
    await refused({ source: 'file:///etc/passwd' }, 400, 'INVALID_PARAMETER_VALUE', 'Invalid model version source');
    await refused({ source: 's3://bucket/model.onnx', tags: strict }, 400, 'INVALID_PARAMETER_VALUE', 's3://bucket');
    await refused({ source: 'mlflow-artifacts:/../../.mlx/mlx.db' }, 400, 'INVALID_PARAMETER_VALUE');
    await refused({ source: 'mlflow-artifacts:/_mlx-registry/img/1/model.onnx' }, 400, 'INVALID_PARAMETER_VALUE', '_mlx-registry');
    await refused({ source: `runs:/${runId}/../../../.mlx` }, 400, 'INVALID_PARAMETER_VALUE');
  });

  it('other mlx.* tags, bad mlx.labels, a bad or unfitting mlx.preprocess, a bad mlx.alias → 400', async () => {
    const source = 'mlflow-artifacts:/uploads/img/model.onnx';
    await refused({ source, tags: kv({ 'mlx.size': '1' }) }, 400, 'INVALID_PARAMETER_VALUE', 'mlx.size');
    await refused({ source, tags: kv({ 'mlx.labels': 'cat,dog' }) }, 400, 'INVALID_PARAMETER_VALUE', 'mlx.labels');
    await refused({ source, tags: kv({ 'mlx.labels': '[1,2]' }) }, 400, 'INVALID_PARAMETER_VALUE', 'mlx.labels');
    await refused({ source, tags: kv({ 'mlx.preprocess': 'resize please' }) }, 400, 'INVALID_PARAMETER_VALUE', 'resize please');
    await refused({ source, tags: kv({ 'mlx.preprocess': 'tabular' }) }, 400, 'INVALID_PARAMETER_VALUE');
    await refused({ source, tags: kv({ 'mlx.alias': 'bad alias!' }) }, 400, 'INVALID_PARAMETER_VALUE', 'bad alias!');
  });

  it('missing name or source, an unknown run → 400 / 404', async () => {
    expectError(await create({ source: 'mlflow-artifacts:/uploads/img' }), 400, 'INVALID_PARAMETER_VALUE', 'name');
    expectError(await f.post(`${API}/model-versions/create`, { name: 'img' }), 400, 'INVALID_PARAMETER_VALUE', 'source');
    expectError(await create({ name: 'img', source: `runs:/${'9'.repeat(32)}/model` }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});
