// GET mlx/experiments/run-counts (the web UI's experiments list), in-process against a real SQLite store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, expectError, MLX_API, newRun, ok, trackingFixture, type TrackingFixture } from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
beforeAll(() => {
  f = trackingFixture();
});
afterAll(() => f.close());

describe('experiments/run-counts', () => {
  it('counts the active runs of each experiment asked for, and the deleted ones with view_type', async () => {
    const { experimentId: a, runId } = await newRun(f, 'counted-a');
    for (let i = 0; i < 2; i++) ok(await f.post(`${API}/runs/create`, { experiment_id: a }));
    const b = ok(await f.post(`${API}/experiments/create`, { name: 'counted-empty' })).experiment_id as string;
    ok(await f.post(`${API}/runs/delete`, { run_id: runId }));
    const { counts } = ok(await f.get(`${MLX_API}/experiments/run-counts`, { experiment_ids: [a, b] }));
    expect(counts).toEqual({ [a]: { runs: 2, capped: false }, [b]: { runs: 0, capped: false } });
    const deleted = ok(await f.get(`${MLX_API}/experiments/run-counts`, { experiment_ids: [a], view_type: 'DELETED_ONLY' }));
    expect(deleted.counts[a]).toEqual({ runs: 1, capped: false });
  });

  it('counts the children of each run asked for (the trials of a sweep), refusing what is not a run id', async () => {
    const { experimentId, runId: parent } = await newRun(f, 'counted-sweep');
    for (let i = 0; i < 3; i++) ok(await f.post(`${API}/runs/create`, { experiment_id: experimentId, tags: [{ key: 'mlflow.parentRunId', value: parent }] }));
    const { runId: lonely } = await newRun(f, 'counted-lonely');
    const { counts } = ok(await f.get(`${MLX_API}/runs/child-counts`, { experiment_ids: experimentId, run_ids: [parent, lonely] }));
    expect(counts).toEqual({ [parent]: { runs: 3, capped: false }, [lonely]: { runs: 0, capped: false } });
    expectError(
      await f.get(`${MLX_API}/runs/child-counts`, { experiment_ids: experimentId, run_ids: "x' OR 1=1 --" }),
      400,
      'INVALID_PARAMETER_VALUE',
      "x' OR 1=1 --",
    );
    expectError(await f.get(`${MLX_API}/runs/child-counts`, { run_ids: parent }), 400, 'INVALID_PARAMETER_VALUE', 'experiment_ids');
  });

  it('counts past one page of the store (1,000 runs)', async () => {
    const { experimentId } = await newRun(f, 'counted-many');
    await Promise.all(Array.from({ length: 1004 }, () => f.post(`${API}/runs/create`, { experiment_id: experimentId })));
    const { counts } = ok(await f.get(`${MLX_API}/experiments/run-counts`, { experiment_ids: experimentId }));
    expect(counts[experimentId]).toEqual({ runs: 1005, capped: false });
  });

  it('refuses more than 1,000 experiments at once and a bad view type, naming the value', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => String(i));
    expectError(await f.get(`${MLX_API}/experiments/run-counts`, { experiment_ids: ids }), 400, 'INVALID_PARAMETER_VALUE', '1001');
    expectError(await f.get(`${MLX_API}/experiments/run-counts`, { experiment_ids: '0', view_type: 'SOME' }), 400, 'INVALID_PARAMETER_VALUE', 'SOME');
  });
});
