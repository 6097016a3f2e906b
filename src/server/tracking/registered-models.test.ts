// registered-models/* from model_registry.proto: CreateRegisteredModel, GetRegisteredModel,
// SearchRegisteredModels, RenameRegisteredModel, UpdateRegisteredModel (PATCH),
// DeleteRegisteredModel (DELETE), Set/DeleteRegisteredModelTag, and the RegisteredModel message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AJAX, allPages, API, expectError, ok, tagsOf, trackingFixture, type TrackingFixture } from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
beforeAll(() => {
  f = trackingFixture();
});
afterAll(() => f.close());

const createModel = async (name: string, extra: Record<string, unknown> = {}) =>
  ok(await f.post(`${API}/registered-models/create`, { name, ...extra })).registered_model;
const getModel = async (name: string) => ok(await f.get(`${API}/registered-models/get`, { name })).registered_model;

describe('create, get, update, delete', () => {
  it('create answers the RegisteredModel message; get returns the same', async () => {
    const m = await createModel('fraud-detector', { description: 'gradient boosting', tags: [{ key: 'team', value: 'risk' }] });
    // As MLflow writes it: no versions and no aliases yet, so those lists are left out.
    expect(Object.keys(m).sort()).toEqual(['creation_timestamp', 'description', 'last_updated_timestamp', 'name', 'tags']);
    expect(m).toMatchObject({
      name: 'fraud-detector',
      description: 'gradient boosting',
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(typeof m.creation_timestamp).toBe('number');
    expect(await getModel('fraud-detector')).toEqual(m);
    expect(ok(await f.get(`${AJAX}/registered-models/get`, { name: 'fraud-detector' })).registered_model).toEqual(m);
  });

  it('refuses a duplicate (RESOURCE_ALREADY_EXISTS), a missing or bad name; unknown → 404', async () => {
    await createModel('twice');
    expectError(await f.post(`${API}/registered-models/create`, { name: 'twice' }), 400, 'RESOURCE_ALREADY_EXISTS', 'twice');
    expectError(await f.post(`${API}/registered-models/create`, {}), 400, 'INVALID_PARAMETER_VALUE', 'name');
    expectError(await f.post(`${API}/registered-models/create`, { name: 7.5e3, tags: 'team=x' }), 400, 'INVALID_PARAMETER_VALUE', 'tags');
    expectError(await f.post(`${API}/registered-models/create`, { name: 'a/b' }), 400, 'INVALID_PARAMETER_VALUE', 'a/b');
    expectError(await f.get(`${API}/registered-models/get`, { name: 'never-made' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'never-made');
  });

  it('update (PATCH) sets the description; delete (DELETE with a JSON body) removes the model', async () => {
    await createModel('to-update');
    const updated = ok(await f.patch(`${API}/registered-models/update`, { name: 'to-update', description: 'now described' })).registered_model;
    expect(updated.description).toBe('now described');
    expect((await getModel('to-update')).description).toBe('now described');
    ok(await f.del(`${API}/registered-models/delete`, { name: 'to-update' }));
    expectError(await f.get(`${API}/registered-models/get`, { name: 'to-update' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await f.del(`${API}/registered-models/delete`, { name: 'to-update' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await f.patch(`${API}/registered-models/update`, { name: 'nope', description: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('rename answers the model under its new name; the old name is gone; a taken name is refused', async () => {
    await createModel('old-model', { tags: [{ key: 'k', value: 'v' }] });
    await createModel('taken-model');
    const renamed = ok(await f.post(`${API}/registered-models/rename`, { name: 'old-model', new_name: 'new-model' })).registered_model;
    expect(renamed).toMatchObject({ name: 'new-model', tags: [{ key: 'k', value: 'v' }] });
    expectError(await f.get(`${API}/registered-models/get`, { name: 'old-model' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await f.post(`${API}/registered-models/rename`, { name: 'new-model', new_name: 'taken-model' }), 400, 'RESOURCE_ALREADY_EXISTS', 'taken-model');
    expectError(await f.post(`${API}/registered-models/rename`, { name: 'ghost', new_name: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('set-tag (POST) and delete-tag (DELETE) change the tags', async () => {
    await createModel('tagged-model');
    ok(await f.post(`${API}/registered-models/set-tag`, { name: 'tagged-model', key: 'owner', value: 'ana' }));
    ok(await f.post(`${API}/registered-models/set-tag`, { name: 'tagged-model', key: 'tier', value: 'gold' }));
    ok(await f.del(`${API}/registered-models/delete-tag`, { name: 'tagged-model', key: 'tier' }));
    expect(tagsOf((await getModel('tagged-model')).tags)).toEqual({ owner: 'ana' });
    expectError(await f.post(`${API}/registered-models/set-tag`, { name: 'ghost', key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await f.post(`${API}/registered-models/set-tag`, { name: 'tagged-model', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE', 'key');
  });
});

describe('registered-models/search', () => {
  beforeAll(async () => {
    for (const name of ['cls-alpha', 'cls-beta', 'cls-gamma', 'det-alpha', 'det-beta'])
      await createModel(name, { tags: [{ key: 'kind', value: name.slice(0, 3) }] });
  });

  const names = (body: { registered_models: { name: string }[] }) => body.registered_models.map((m) => m.name);

  it("filters with name = 'x', name LIKE '%x%', ILIKE and tags", async () => {
    expect(names(ok(await f.get(`${API}/registered-models/search`, { filter: "name = 'cls-beta'" })))).toEqual(['cls-beta']);
    expect(names(ok(await f.get(`${API}/registered-models/search`, { filter: "name LIKE '%alpha%'" })))).toEqual(['cls-alpha', 'det-alpha']);
    expect(names(ok(await f.get(`${API}/registered-models/search`, { filter: "name ILIKE 'DET-%'" })))).toEqual(['det-alpha', 'det-beta']);
    expect(names(ok(await f.get(`${API}/registered-models/search`, { filter: "tags.kind = 'cls'" })))).toEqual(['cls-alpha', 'cls-beta', 'cls-gamma']);
  });

  it('orders by name DESC; pages round-trip with max_results and page_token', async () => {
    const filter = "name LIKE '%-%'";
    const whole = names(ok(await f.get(`${API}/registered-models/search`, { filter, order_by: 'name DESC', max_results: 1000 })));
    expect(whole.length).toBeGreaterThanOrEqual(8);
    expect([...whole].sort().reverse()).toEqual(whole);
    const { items, pages } = await allPages(
      (page_token) => f.get(`${API}/registered-models/search`, { filter, order_by: 'name DESC', max_results: 2, ...(page_token ? { page_token } : {}) }),
      'registered_models',
    );
    expect(items.map((m) => m.name)).toEqual(whole);
    expect(pages).toBe(Math.ceil(whole.length / 2));
  });

  it('refuses bad filters, order_by and max_results over 1000 (the proto threshold) with 400', async () => {
    expectError(await f.get(`${API}/registered-models/search`, { filter: 'name >> 3' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await f.get(`${API}/registered-models/search`, { filter: "owner = 'x'" }), 400, 'INVALID_PARAMETER_VALUE', 'owner');
    expectError(await f.get(`${API}/registered-models/search`, { order_by: 'size DESC' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await f.get(`${API}/registered-models/search`, { max_results: 1001 }), 400, 'INVALID_PARAMETER_VALUE', 'max_results');
  });
});
