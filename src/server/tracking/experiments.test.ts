// experiments/* as service.proto defines them (CreateExperiment, GetExperiment, GetExperimentByName,
// SearchExperiments, UpdateExperiment, DeleteExperiment, RestoreExperiment, SetExperimentTag,
// DeleteExperimentTag), checked in-process against a real SQLite store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AJAX, allPages, API, expectError, ok, tagsOf, trackingFixture, type TrackingFixture } from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
beforeAll(() => {
  f = trackingFixture();
});
afterAll(() => f.close());

const create = async (name: string, tags: Record<string, string> = {}) =>
  ok(await f.post(`${API}/experiments/create`, { name, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) })).experiment_id as string;

describe('experiments/create, get, get-by-name', () => {
  it('creates an experiment and answers the Experiment message', async () => {
    const id = await create('vision-baseline', { team: 'vision' });
    expect(id).toMatch(/^\d+$/);
    const { experiment } = ok(await f.get(`${API}/experiments/get`, { experiment_id: id }));
    expect(Object.keys(experiment).sort()).toEqual([
      'artifact_location',
      'creation_time',
      'experiment_id',
      'last_update_time',
      'lifecycle_stage',
      'name',
      'tags',
    ]);
    expect(experiment).toMatchObject({ experiment_id: id, name: 'vision-baseline', lifecycle_stage: 'active', tags: [{ key: 'team', value: 'vision' }] });
    expect(typeof experiment.creation_time).toBe('number');
    expect(experiment.artifact_location).toMatch(/^mlflow-artifacts:\/|^\//);
    expect(ok(await f.get(`${API}/experiments/get-by-name`, { experiment_name: 'vision-baseline' })).experiment).toEqual(experiment);
    // The ajax-api prefix the MLflow UI uses serves the same thing.
    expect(ok(await f.get(`${AJAX}/experiments/get`, { experiment_id: id })).experiment).toEqual(experiment);
  });

  it('refuses a duplicate name (RESOURCE_ALREADY_EXISTS, 400) and a missing or mistyped name', async () => {
    await create('dup');
    expectError(await f.post(`${API}/experiments/create`, { name: 'dup' }), 400, 'RESOURCE_ALREADY_EXISTS', 'dup');
    expectError(await f.post(`${API}/experiments/create`, {}), 400, 'INVALID_PARAMETER_VALUE', 'name');
    expectError(await f.post(`${API}/experiments/create`, { name: ['a'] }), 400, 'INVALID_PARAMETER_VALUE', 'name');
    expectError(await f.post(`${API}/experiments/create`, { name: 'x', tags: { team: 'a' } }), 400, 'INVALID_PARAMETER_VALUE', 'tags');
  });

  it('answers 404 for unknown ids and names, 400 when the id is missing', async () => {
    expectError(await f.get(`${API}/experiments/get`, { experiment_id: '424242' }), 404, 'RESOURCE_DOES_NOT_EXIST', '424242');
    expectError(await f.get(`${API}/experiments/get-by-name`, { experiment_name: 'no-such' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'no-such');
    expectError(await f.get(`${API}/experiments/get`), 400, 'INVALID_PARAMETER_VALUE', 'experiment_id');
  });
});

describe('experiments/update, delete, restore, tags', () => {
  it('renames; refuses a taken name and an unknown id', async () => {
    const id = await create('old-name');
    await create('taken');
    ok(await f.post(`${API}/experiments/update`, { experiment_id: id, new_name: 'new-name' }));
    expect(ok(await f.get(`${API}/experiments/get`, { experiment_id: id })).experiment.name).toBe('new-name');
    expectError(await f.post(`${API}/experiments/update`, { experiment_id: id, new_name: 'taken' }), 400, 'RESOURCE_ALREADY_EXISTS', 'taken');
    expectError(await f.post(`${API}/experiments/update`, { experiment_id: '99999', new_name: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('delete marks it deleted (runs cannot be created in it); restore brings it back', async () => {
    const id = await create('to-delete');
    ok(await f.post(`${API}/experiments/delete`, { experiment_id: id }));
    expect(ok(await f.get(`${API}/experiments/get`, { experiment_id: id })).experiment.lifecycle_stage).toBe('deleted');
    const refused = await f.post(`${API}/runs/create`, { experiment_id: id });
    expect(refused.status).toBe(400);
    ok(await f.post(`${API}/experiments/restore`, { experiment_id: id }));
    expect(ok(await f.get(`${API}/experiments/get`, { experiment_id: id })).experiment.lifecycle_stage).toBe('active');
    expectError(await f.post(`${API}/experiments/delete`, { experiment_id: '99999' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('set-experiment-tag sets and overwrites a tag; unknown experiment → 404', async () => {
    const id = await create('tagged');
    ok(await f.post(`${API}/experiments/set-experiment-tag`, { experiment_id: id, key: 'owner', value: 'ana' }));
    ok(await f.post(`${API}/experiments/set-experiment-tag`, { experiment_id: id, key: 'owner', value: 'bo' }));
    expect(tagsOf(ok(await f.get(`${API}/experiments/get`, { experiment_id: id })).experiment.tags)).toEqual({ owner: 'bo' });
    expectError(await f.post(`${API}/experiments/set-experiment-tag`, { experiment_id: '99999', key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  // service.proto: rpc deleteExperimentTag, POST /mlflow/experiments/delete-experiment-tag {experiment_id, key}.
  it('delete-experiment-tag removes a tag', async () => {
    const id = await create('untag');
    ok(await f.post(`${API}/experiments/set-experiment-tag`, { experiment_id: id, key: 'gone', value: 'soon' }));
    ok(await f.post(`${API}/experiments/delete-experiment-tag`, { experiment_id: id, key: 'gone' }));
    expect(ok(await f.get(`${API}/experiments/get`, { experiment_id: id })).experiment.tags).toBeUndefined();
  });
});

describe('experiments/search', () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) await create(`search-${i}`, { group: i % 2 ? 'odd' : 'even' });
    const gone = await create('search-deleted');
    ok(await f.post(`${API}/experiments/delete`, { experiment_id: gone }));
  });

  it('filters by name LIKE and by tag, over GET and POST alike', async () => {
    const viaGet = ok(await f.get(`${API}/experiments/search`, { filter: "name LIKE 'search-%' AND tags.group = 'odd'", order_by: 'name ASC' }));
    expect(viaGet.experiments.map((e: { name: string }) => e.name)).toEqual(['search-1', 'search-3', 'search-5']);
    const viaPost = ok(await f.post(`${API}/experiments/search`, { filter: "name LIKE 'search-%' AND tags.group = 'odd'", order_by: ['name ASC'] }));
    expect(viaPost).toEqual(viaGet);
  });

  it('view_type picks active, deleted or all', async () => {
    const names = async (view_type: string) =>
      ok(await f.get(`${API}/experiments/search`, { view_type, filter: "name LIKE 'search-%'" })).experiments.map((e: { name: string }) => e.name);
    expect(await names('ACTIVE_ONLY')).not.toContain('search-deleted');
    expect(await names('DELETED_ONLY')).toEqual(['search-deleted']);
    expect(await names('ALL')).toHaveLength(8);
    expectError(await f.get(`${API}/experiments/search`, { view_type: 'SOMETIMES' }), 400, 'INVALID_PARAMETER_VALUE', 'SOMETIMES');
  });

  it('page tokens round-trip: every experiment once, in the same order as one big page', async () => {
    const filter = "name LIKE 'search-%'";
    const whole = ok(await f.get(`${API}/experiments/search`, { filter, order_by: 'name DESC', max_results: 1000 })).experiments;
    expect(whole).toHaveLength(7);
    const { items, pages } = await allPages(
      (page_token) => f.get(`${API}/experiments/search`, { filter, order_by: 'name DESC', max_results: 2, ...(page_token ? { page_token } : {}) }),
      'experiments',
    );
    expect(pages).toBe(4);
    expect(items).toEqual(whole);
    // POST pages the same way.
    const first = ok(await f.post(`${API}/experiments/search`, { filter, order_by: ['name DESC'], max_results: 3 }));
    const second = ok(await f.post(`${API}/experiments/search`, { filter, order_by: ['name DESC'], max_results: 3, page_token: first.next_page_token }));
    expect([...first.experiments, ...second.experiments]).toEqual(whole.slice(0, 6));
  });

  it('refuses bad max_results, page tokens, filters and order_by with 400', async () => {
    expectError(await f.get(`${API}/experiments/search`, { max_results: 'ten' }), 400, 'INVALID_PARAMETER_VALUE', 'max_results');
    expectError(await f.get(`${API}/experiments/search`, { max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE', 'max_results');
    expectError(await f.get(`${API}/experiments/search`, { page_token: 'not-a-token!' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await f.get(`${API}/experiments/search`, { filter: 'name ~ 1' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await f.get(`${API}/experiments/search`, { order_by: 'colour ASC' }), 400, 'INVALID_PARAMETER_VALUE', 'colour');
  });
});
