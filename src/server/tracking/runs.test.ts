// runs/* except metrics (see metrics.test.ts), from service.proto's CreateRun, GetRun, UpdateRun,
// DeleteRun, RestoreRun, LogParam, SetTag, DeleteTag, LogInputs and the Run/RunInfo messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, expectError, newRun, ok, tagsOf, trackingFixture, type TrackingFixture } from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
beforeAll(() => {
  f = trackingFixture();
});
afterAll(() => f.close());

const getRun = async (run_id: string) => ok(await f.get(`${API}/runs/get`, { run_id })).run;

describe('runs/create and runs/get', () => {
  it('answers the Run message: info, data, inputs; artifact_uri under mlflow-artifacts:/', async () => {
    const { experimentId, runId, run } = await newRun(f, 'shape', {
      run_name: 'first',
      start_time: 1_700_000_000_000,
      user_id: 'ana',
      tags: [{ key: 'team', value: 'vision' }],
    });
    expect(Object.keys(run).sort()).toEqual(['data', 'info', 'inputs']);
    expect(run.info).toMatchObject({
      run_id: runId,
      run_uuid: runId,
      run_name: 'first',
      experiment_id: experimentId,
      user_id: 'ana',
      status: 'RUNNING',
      start_time: 1_700_000_000_000,
      artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      lifecycle_stage: 'active',
    });
    expect(run.info.end_time).toBeUndefined();
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    // As MLflow writes them: empty lists are left out.
    expect(run.data.metrics).toBeUndefined();
    expect(run.data.params).toBeUndefined();
    expect(tagsOf(run.data.tags)).toMatchObject({ team: 'vision', 'mlflow.runName': 'first' });
    expect(run.inputs).toEqual({});
    expect(await getRun(runId)).toEqual(run);
  });

  it('without experiment_id the run goes to the Default experiment (id 0)', async () => {
    const { run } = ok(await f.post(`${API}/runs/create`, {}));
    expect(run.info.experiment_id).toBe('0');
  });

  it('runs/get takes run_uuid and a unique prefix of 6+ characters, answering the full id', async () => {
    const { runId } = await newRun(f);
    expect(ok(await f.get(`${API}/runs/get`, { run_uuid: runId })).run.info.run_id).toBe(runId);
    expect((await getRun(runId.slice(0, 8))).info.run_id).toBe(runId);
  });

  it('unknown experiment or run → 404; a malformed id or mistyped field → 400', async () => {
    expectError(await f.post(`${API}/runs/create`, { experiment_id: '98765' }), 404, 'RESOURCE_DOES_NOT_EXIST', '98765');
    expectError(await f.get(`${API}/runs/get`, { run_id: 'ab'.repeat(16) }), 404, 'RESOURCE_DOES_NOT_EXIST', 'ab'.repeat(16));
    expectError(await f.get(`${API}/runs/get`, { run_id: 'not-hex' }), 400, 'INVALID_PARAMETER_VALUE', 'not-hex');
    expectError(await f.post(`${API}/runs/create`, { experiment_id: '0', start_time: 'yesterday' }), 400, 'INVALID_PARAMETER_VALUE', 'start_time');
    expectError(
      await f.post(`${API}/runs/create`, { experiment_id: '0', tags: [{ key: 'k', value: { nested: 1 } }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      'value',
    );
  });
});

// The proto's required field is run_id; run_uuid is only its deprecated alias.
it('a request without run_id is refused naming run_id, not the deprecated run_uuid', async () => {
  expectError(await f.get(`${API}/runs/get`), 400, 'INVALID_PARAMETER_VALUE', "'run_id'");
  for (const endpoint of ['runs/update', 'runs/log-metric', 'runs/log-parameter', 'runs/set-tag'])
    expectError(await f.post(`${API}/${endpoint}`, { key: 'k', value: '1', timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE', "'run_id'");
});

describe('runs/update, delete, restore', () => {
  it('update sets status, end_time and run_name and answers run_info', async () => {
    const { runId } = await newRun(f);
    const { run_info } = ok(await f.post(`${API}/runs/update`, { run_id: runId, status: 'FINISHED', end_time: 1_700_000_100_000, run_name: 'renamed' }));
    expect(run_info).toMatchObject({ run_id: runId, status: 'FINISHED', end_time: 1_700_000_100_000, run_name: 'renamed' });
    const run = await getRun(runId);
    expect(run.info).toEqual(run_info);
    expect(tagsOf(run.data.tags)['mlflow.runName']).toBe('renamed');
    // The deprecated run_uuid field still names the run (UpdateRun.run_uuid).
    expect(ok(await f.post(`${API}/runs/update`, { run_uuid: runId, status: 'KILLED' })).run_info.status).toBe('KILLED');
  });

  // proto3 JSON mapping (which MLflow's parse_dict follows): an enum field accepts its name or its number.
  it('update takes RunStatus as its number too (3 = FINISHED)', async () => {
    const { runId } = await newRun(f);
    expect(ok(await f.post(`${API}/runs/update`, { run_id: runId, status: 3 })).run_info.status).toBe('FINISHED');
  });

  it('update refuses an unknown status, a non-integer end_time and an unknown run', async () => {
    const { runId } = await newRun(f);
    expectError(await f.post(`${API}/runs/update`, { run_id: runId, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE', 'DONE');
    expectError(await f.post(`${API}/runs/update`, { run_id: runId, end_time: '5pm' }), 400, 'INVALID_PARAMETER_VALUE', 'end_time');
    expectError(await f.post(`${API}/runs/update`, { run_id: 'cd'.repeat(16), status: 'FINISHED' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('delete marks the run deleted and refuses logging to it; restore reverses it', async () => {
    const { runId } = await newRun(f);
    ok(await f.post(`${API}/runs/delete`, { run_id: runId }));
    expect((await getRun(runId)).info.lifecycle_stage).toBe('deleted');
    const refused = await f.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.1' });
    expect(refused.status).toBe(400);
    ok(await f.post(`${API}/runs/restore`, { run_id: runId }));
    expect((await getRun(runId)).info.lifecycle_stage).toBe('active');
    expectError(await f.post(`${API}/runs/delete`, { run_id: 'ef'.repeat(16) }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await f.post(`${API}/runs/delete`, {}), 400, 'INVALID_PARAMETER_VALUE', 'run_id');
  });
});

describe('params, tags and inputs', () => {
  it('log-parameter stores a param; the same value again is fine, a different one is refused', async () => {
    const { runId } = await newRun(f);
    ok(await f.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.01' }));
    ok(await f.post(`${API}/runs/log-parameter`, { run_uuid: runId, key: 'lr', value: '0.01' }));
    expectError(await f.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.02' }), 400, 'INVALID_PARAMETER_VALUE', 'lr');
    expect((await getRun(runId)).data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expectError(await f.post(`${API}/runs/log-parameter`, { run_id: runId, value: '1' }), 400, 'INVALID_PARAMETER_VALUE', 'key');
    expectError(await f.post(`${API}/runs/log-parameter`, { run_id: runId, key: 'bad key!', value: '1' }), 400, 'INVALID_PARAMETER_VALUE', 'bad key!');
    expectError(await f.post(`${API}/runs/log-parameter`, { run_id: 'aa'.repeat(16), key: 'k', value: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('set-tag overwrites, delete-tag removes; deleting a missing tag → 404', async () => {
    const { runId } = await newRun(f);
    ok(await f.post(`${API}/runs/set-tag`, { run_id: runId, key: 'stage', value: 'dev' }));
    ok(await f.post(`${API}/runs/set-tag`, { run_id: runId, key: 'stage', value: 'prod' }));
    expect(tagsOf((await getRun(runId)).data.tags).stage).toBe('prod');
    ok(await f.post(`${API}/runs/delete-tag`, { run_id: runId, key: 'stage' }));
    expect(tagsOf((await getRun(runId)).data.tags).stage).toBeUndefined();
    expectError(await f.post(`${API}/runs/delete-tag`, { run_id: runId, key: 'stage' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'stage');
    expectError(await f.post(`${API}/runs/set-tag`, { run_id: runId, key: 'k', value: { a: 1 } }), 400, 'INVALID_PARAMETER_VALUE', 'value');
  });

  it('log-inputs records datasets with their context tag; a dataset without its required fields → 400', async () => {
    const { runId } = await newRun(f);
    const dataset = { name: 'images', digest: 'abc123', source_type: 'local', source: '/data/images', schema: '{"x":1}', profile: '{"rows":10}' };
    ok(await f.post(`${API}/runs/log-inputs`, { run_id: runId, datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }] }));
    expect((await getRun(runId)).inputs.dataset_inputs).toEqual([{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }]);
    expectError(await f.post(`${API}/runs/log-inputs`, { run_id: runId, datasets: [{ dataset: { name: 'x' } }] }), 400, 'INVALID_PARAMETER_VALUE', 'digest');
    expectError(await f.post(`${API}/runs/log-inputs`, { run_id: runId, datasets: [{}] }), 400, 'INVALID_PARAMETER_VALUE', 'dataset');
    expectError(await f.post(`${API}/runs/log-inputs`, { run_id: runId, datasets: { dataset } }), 400, 'INVALID_PARAMETER_VALUE', 'datasets');
  });
});
