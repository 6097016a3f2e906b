// Model versions after creation (model_registry.proto GetModelVersion, SearchModelVersions,
// UpdateModelVersion, DeleteModelVersion, Set/DeleteModelVersionTag, GetModelVersionDownloadUri,
// Set/Get/DeleteRegisteredModelAlias, GetLatestVersions), the download of a registered model through
// the artifact proxy, renames that carry versions along, and mlx's model card endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  expectError,
  IMAGE_LABELS,
  imageOnnx,
  MLX_API,
  ok,
  PROXY,
  sha256,
  tagsOf,
  trackingFixture,
  upload,
  type TrackingFixture,
} from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
let onnx: Uint8Array;
const SOURCE = 'mlflow-artifacts:/uploads/model.onnx';

beforeAll(async () => {
  f = trackingFixture({ maxBodyBytes: 4 * 1024 * 1024 });
  onnx = imageOnnx();
  ok(await upload(f, 'uploads/model.onnx', onnx));
  for (let i = 0; i < 3; i++)
    ok(await f.post(`${API}/model-versions/create`, { name: 'clf', source: SOURCE, tags: [{ key: 'mlx.labels', value: JSON.stringify(IMAGE_LABELS) }] }));
}, 60_000);
afterAll(() => f.close());

const version = async (name: string, v: string | number) => ok(await f.get(`${API}/model-versions/get`, { name, version: String(v) })).model_version;

describe('model-versions/get, search, update, tags, delete', () => {
  it('get answers the ModelVersion message with version as a string', async () => {
    const v = await version('clf', 2);
    expect(v).toMatchObject({ name: 'clf', version: '2', source: SOURCE, status: 'READY', current_stage: 'None' });
    expect(v.aliases).toBeUndefined();
    for (const k of ['creation_timestamp', 'last_updated_timestamp', 'user_id', 'tags']) expect(v).toHaveProperty(k);
    expectError(await f.get(`${API}/model-versions/get`, { name: 'clf', version: '99' }), 404, 'RESOURCE_DOES_NOT_EXIST', '99');
    expectError(await f.get(`${API}/model-versions/get`, { name: 'clf', version: 'two' }), 400, 'INVALID_PARAMETER_VALUE', 'two');
    expectError(await f.get(`${API}/model-versions/get`, { name: 'nope', version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('search filters by name and answers every version', async () => {
    const all = ok(await f.get(`${API}/model-versions/search`, { filter: "name = 'clf'" })).model_versions;
    expect(all.map((v: { version: string }) => v.version).sort()).toEqual(['1', '2', '3']);
    expect(ok(await f.get(`${API}/model-versions/search`, { filter: "name = 'other'" }))).toEqual({});
    expectError(await f.get(`${API}/model-versions/search`, { filter: "stage = 'x'" }), 400, 'INVALID_PARAMETER_VALUE', 'stage');
  });

  it('update (PATCH) sets the description; set-tag / delete-tag (DELETE) change user tags; mlx.* tags are computed', async () => {
    expect(ok(await f.patch(`${API}/model-versions/update`, { name: 'clf', version: '1', description: 'baseline' })).model_version.description).toBe(
      'baseline',
    );
    ok(await f.post(`${API}/model-versions/set-tag`, { name: 'clf', version: '1', key: 'validated', value: 'yes' }));
    expect(tagsOf((await version('clf', 1)).tags).validated).toBe('yes');
    ok(await f.del(`${API}/model-versions/delete-tag`, { name: 'clf', version: '1', key: 'validated' }));
    expect(tagsOf((await version('clf', 1)).tags).validated).toBeUndefined();
    expectError(
      await f.post(`${API}/model-versions/set-tag`, { name: 'clf', version: '1', key: 'mlx.sha256', value: 'x' }),
      400,
      'INVALID_PARAMETER_VALUE',
      'mlx.sha256',
    );
    expect(tagsOf((await version('clf', 1)).tags)['mlx.sha256']).toBe(sha256(onnx));
    expectError(await f.patch(`${API}/model-versions/update`, { name: 'clf', version: '77', description: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('aliases and latest versions', () => {
  it('alias POST sets, GET resolves, DELETE removes; the model and the version list it', async () => {
    ok(await f.post(`${API}/registered-models/alias`, { name: 'clf', alias: 'champion', version: '2' }));
    expect(ok(await f.get(`${API}/registered-models/alias`, { name: 'clf', alias: 'champion' })).model_version.version).toBe('2');
    expect((await version('clf', 2)).aliases).toEqual(['champion']);
    expect(ok(await f.get(`${API}/registered-models/get`, { name: 'clf' })).registered_model.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    ok(await f.post(`${API}/registered-models/alias`, { name: 'clf', alias: 'champion', version: '3' }));
    expect((await version('clf', 2)).aliases).toBeUndefined();
    ok(await f.del(`${API}/registered-models/alias`, { name: 'clf', alias: 'champion' }));
    expectError(await f.get(`${API}/registered-models/alias`, { name: 'clf', alias: 'champion' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'champion');
    expectError(await f.post(`${API}/registered-models/alias`, { name: 'clf', alias: 'x', version: '42' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await f.post(`${API}/registered-models/alias`, { name: 'clf', alias: 'x' }), 400, 'INVALID_PARAMETER_VALUE', 'version');
  });

  it('get-latest-versions (POST and GET): the newest version; stage None matches, other stages are empty', async () => {
    const viaPost = ok(await f.post(`${API}/registered-models/get-latest-versions`, { name: 'clf' })).model_versions;
    expect(viaPost.map((v: { version: string }) => v.version)).toEqual(['3']);
    expect(ok(await f.get(`${API}/registered-models/get-latest-versions`, { name: 'clf' })).model_versions).toEqual(viaPost);
    expect(ok(await f.post(`${API}/registered-models/get-latest-versions`, { name: 'clf', stages: ['None'] })).model_versions).toEqual(viaPost);
    expect(ok(await f.post(`${API}/registered-models/get-latest-versions`, { name: 'clf', stages: ['Production'] }))).toEqual({});
    expect(
      ok(await f.get(`${API}/registered-models/get`, { name: 'clf' })).registered_model.latest_versions.map((v: { version: string }) => v.version),
    ).toEqual(['3']);
    expectError(await f.post(`${API}/registered-models/get-latest-versions`, { name: 'ghost' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('download through get-download-uri', () => {
  const download = async (name: string, v: string) => {
    const { artifact_uri } = ok(await f.get(`${API}/model-versions/get-download-uri`, { name, version: v }));
    expect(artifact_uri).toMatch(/^mlflow-artifacts:\/_mlx-registry\//);
    const res = await f.app.request(`${PROXY}/${artifact_uri.slice('mlflow-artifacts:/'.length)}`);
    expect(res.status).toBe(200);
    return new Uint8Array(await res.arrayBuffer());
  };

  it('answers bytes identical to what was registered, matching the mlx.sha256 tag', async () => {
    const bytes = await download('clf', '1');
    expect(Buffer.from(bytes).equals(Buffer.from(onnx))).toBe(true);
    expect(sha256(bytes)).toBe(tagsOf((await version('clf', 1)).tags)['mlx.sha256']);
    expectError(await f.get(`${API}/model-versions/get-download-uri`, { name: 'clf', version: '9' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('after a rename, the versions and the download follow the new name; the old name is gone', async () => {
    ok(await f.post(`${API}/model-versions/create`, { name: 'to-rename', source: SOURCE }));
    ok(await f.post(`${API}/registered-models/alias`, { name: 'to-rename', alias: 'live', version: '1' }));
    const renamed = ok(await f.post(`${API}/registered-models/rename`, { name: 'to-rename', new_name: 'renamed' })).registered_model;
    expect(renamed.latest_versions.map((v: { name: string }) => v.name)).toEqual(['renamed']);
    expect(renamed.aliases).toEqual([{ alias: 'live', version: '1' }]);
    expect((await version('renamed', 1)).name).toBe('renamed');
    expect(Buffer.from(await download('renamed', '1')).equals(Buffer.from(onnx))).toBe(true);
    expectError(await f.get(`${API}/model-versions/get`, { name: 'to-rename', version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('delete removes a version (its number is not reused); deleting the model removes everything', async () => {
    ok(await f.post(`${API}/model-versions/create`, { name: 'short-lived', source: SOURCE }));
    ok(await f.post(`${API}/model-versions/create`, { name: 'short-lived', source: SOURCE }));
    ok(await f.del(`${API}/model-versions/delete`, { name: 'short-lived', version: '2' }));
    expectError(await f.get(`${API}/model-versions/get`, { name: 'short-lived', version: '2' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(ok(await f.post(`${API}/model-versions/create`, { name: 'short-lived', source: SOURCE })).model_version.version).toBe('3');
    ok(await f.del(`${API}/registered-models/delete`, { name: 'short-lived' }));
    expect(ok(await f.get(`${API}/model-versions/search`, { filter: "name = 'short-lived'" }))).toEqual({});
    expect((await f.raw('GET', `${PROXY}/_mlx-registry/short-lived/1/model.onnx`)).status).toBe(404);
    // Other versions with the same bytes are untouched.
    expect(Buffer.from(await download('clf', '3')).equals(Buffer.from(onnx))).toBe(true);
  });
});

describe('mlx model card (GET/POST /api/2.0/mlx/model-versions/card)', () => {
  it('GET answers the card written at registration; POST replaces it; 404 for an unknown version', async () => {
    const card = ok(await f.get(`${MLX_API}/model-versions/card`, { name: 'clf', version: '1' }));
    expect(card).toMatchObject({ name: 'clf', version: '1' });
    expect(card.markdown).toMatch(/clf/);
    expect(card.markdown).toContain(sha256(onnx));
    ok(await f.post(`${MLX_API}/model-versions/card`, { name: 'clf', version: '1', markdown: '# clf v1\n\nHand-written.' }));
    expect(ok(await f.get(`${MLX_API}/model-versions/card`, { name: 'clf', version: '1' })).markdown).toBe('# clf v1\n\nHand-written.');
    expect(ok(await f.get('/ajax-api/2.0/mlx/model-versions/card', { name: 'clf', version: '1' })).markdown).toBe('# clf v1\n\nHand-written.');
    expectError(await f.get(`${MLX_API}/model-versions/card`, { name: 'clf', version: '50' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('after a rename, the generated model card of a version names the model by its new name', async () => {
    ok(await f.post(`${API}/model-versions/create`, { name: 'card-before', source: SOURCE }));
    expect(ok(await f.get(`${MLX_API}/model-versions/card`, { name: 'card-before', version: '1' })).markdown).toContain('card-before');
    ok(await f.post(`${API}/registered-models/rename`, { name: 'card-before', new_name: 'card-after' }));
    const { markdown } = ok(await f.get(`${MLX_API}/model-versions/card`, { name: 'card-after', version: '1' }));
    expect(markdown).toContain('card-after');
    expect(markdown).not.toContain('card-before');
  });

  it('POST refuses a missing or non-string markdown and cards over 1 MB', async () => {
    expectError(await f.post(`${MLX_API}/model-versions/card`, { name: 'clf', version: '2' }), 400, 'INVALID_PARAMETER_VALUE', 'markdown');
    expectError(await f.post(`${MLX_API}/model-versions/card`, { name: 'clf', version: '2', markdown: ['# x'] }), 400, 'INVALID_PARAMETER_VALUE', 'markdown');
    expectError(
      await f.post(`${MLX_API}/model-versions/card`, { name: 'clf', version: '2', markdown: 'x'.repeat(1024 * 1024 + 1) }),
      400,
      'INVALID_PARAMETER_VALUE',
      '1 MB',
    );
    expectError(await f.post(`${MLX_API}/model-versions/card`, { name: 'clf', version: '88', markdown: '#' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});
