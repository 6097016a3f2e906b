// An independent MLflow client against a spawned `mlx server`: the npm package `mlflow` (2.0.7,
// github.com/Yuhsak/mlflow, "MLflow api client for Node.js"), used exactly as its README shows.
// It covers experiments (create, get, list, update, delete, restore), runs (create, get, update,
// delete, restore, log-metric, log-parameter, set/delete-tag, log-batch, search), metric history
// and artifact listing, on SQLite and on PostgreSQL. Its setExperimentTag() builds a broken URL (".../experimentsset-experiment-tag",
// no slash), so experiment tags are not exercised through it.
import fs from 'node:fs';
import path from 'node:path';
import MLflowModule from 'mlflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempProject } from './helpers/cli.js';
import { startTrackingServer, stopServers, type TrackingServer } from './helpers/mlx-server.js';
import { postgresForTests } from './helpers/postgres.js';

const TOKEN = 'npm-client-token-42';
// The same calls against both stores behind the server: a local SQLite folder, and PostgreSQL (with
// a shared artifact destination, as replicas run it).
const pg = await postgresForTests();
const BACKENDS = ['sqlite', ...(pg ? ['postgresql'] : [])];
const dirs: string[] = [];

beforeAll(() => {
  // The client console.logs every POST body it sends.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await stopServers();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  await pg?.stop();
});

/** The client throws Error(JSON {status, statusText, data}) for non-200 answers. */
async function failure(p: Promise<unknown>): Promise<{ status: number; data: any }> {
  const err = (await p.then(
    () => null,
    (e: Error) => e,
  )) as Error | null;
  expect(err, 'the call should have failed').not.toBeNull();
  return JSON.parse(err!.message.replace(/^Error: /, ''));
}

describe.each(BACKENDS)('the npm mlflow client against mlx server on %s', (backend) => {
  let server: TrackingServer;
  let client: any;

  beforeAll(async () => {
    const dir = tempProject('mlx-server-npm-');
    dirs.push(dir);
    const store =
      backend === 'sqlite'
        ? ['--backend-store-uri', path.join(dir, '.mlx')]
        : ['--backend-store-uri', pg!.url(await pg!.createDatabase()), '--artifacts-destination', path.join(dir, 'artifacts')];
    server = await startTrackingServer(dir, [...store, '--token', TOKEN]);
    // The package is CommonJS (module.exports = the class); its typings declare an ES default export.
    const MLflow = ((MLflowModule as any).default ?? MLflowModule) as new (o: { endpoint: string; headers?: Record<string, string> }) => any;
    client = new MLflow({ endpoint: server.base, headers: { Authorization: `Bearer ${TOKEN}` } });
  }, 60_000);

  let experimentId: string;
  let runId: string;

  it('Experiments: create, get, update, delete, restore', async () => {
    const { Experiments } = client;
    ({ experiment_id: experimentId } = await Experiments.create({ name: 'npm-client' }));
    expect(experimentId).toMatch(/^\d+$/);
    const { experiment } = await Experiments.get({ experiment_id: experimentId });
    expect(experiment).toMatchObject({ experiment_id: experimentId, name: 'npm-client', lifecycle_stage: 'active' });
    await Experiments.update({ experiment_id: experimentId, new_name: 'npm-client-renamed' });
    expect((await Experiments.get({ experiment_id: experimentId })).experiment.name).toBe('npm-client-renamed');
    const scratch = (await Experiments.create({ name: 'npm-scratch' })).experiment_id;
    await Experiments.delete({ experiment_id: scratch });
    expect((await Experiments.get({ experiment_id: scratch })).experiment.lifecycle_stage).toBe('deleted');
    await Experiments.restore({ experiment_id: scratch });
    expect((await Experiments.get({ experiment_id: scratch })).experiment.lifecycle_stage).toBe('active');
    const dup = await failure(Experiments.create({ name: 'npm-scratch' }));
    expect(dup.status).toBe(400);
    expect(dup.data.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  // The client's only way to list experiments is GET experiments/list (MLflow 1.x, replaced by
  // experiments/search in MLflow 2.0). The issue asks for this client's calls to work.
  it('Experiments.list (GET experiments/list) answers every active experiment', async () => {
    const { experiments } = await client.Experiments.list();
    expect(experiments.map((e: { name: string }) => e.name).sort()).toEqual(['Default', 'npm-client-renamed', 'npm-scratch']);
  });

  it('Runs: create, logMetric, logParameter, setTag, deleteTag, get', async () => {
    const { Runs } = client;
    const { run } = await Runs.create({ experiment_id: experimentId, user_id: 'npm', start_time: 1_700_000_000_000, tags: [{ key: 'source', value: 'npm' }] });
    runId = run.info.run_id;
    expect(run.info).toMatchObject({ experiment_id: experimentId, user_id: 'npm', status: 'RUNNING', start_time: 1_700_000_000_000 });
    for (let step = 0; step < 5; step++) await Runs.logMetric({ run_id: runId, key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step });
    await Runs.logParameter({ run_id: runId, key: 'lr', value: '0.001' });
    await Runs.setTag({ run_id: runId, key: 'stage', value: 'dev' });
    await Runs.setTag({ run_id: runId, key: 'temp', value: 'x' });
    await Runs.deleteTag({ run_id: runId, key: 'temp' });
    const { run: got } = await Runs.get({ run_id: runId });
    expect(got.data.metrics).toEqual([{ key: 'loss', value: 0.2, timestamp: 1_700_000_000_004, step: 4 }]);
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.001' }]);
    const tags = Object.fromEntries(got.data.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
    expect(tags).toMatchObject({ source: 'npm', stage: 'dev' });
    expect(tags.temp).toBeUndefined();
    const changed = await failure(Runs.logParameter({ run_id: runId, key: 'lr', value: '0.1' }));
    expect(changed.status).toBe(400);
  });

  it('Runs.logBatch and Metrics.getHistory: every point back, in order', async () => {
    const metrics = Array.from({ length: 200 }, (_, step) => ({ key: 'acc', value: step / 200, timestamp: 1_700_000_000_000 + step, step }));
    await client.Runs.logBatch({ run_id: runId, metrics, params: [{ key: 'epochs', value: '200' }], tags: [{ key: 'batched', value: 'yes' }] });
    const { metrics: history } = await client.Metrics.getHistory({ run_id: runId, metric_key: 'acc' });
    expect(history).toEqual(metrics);
    expect((await client.Metrics.getHistory({ run_id: runId, metric_key: 'loss' })).metrics).toHaveLength(5);
    const tooMany = await failure(
      client.Runs.logBatch({ run_id: runId, metrics: Array.from({ length: 1001 }, (_, step) => ({ key: 'x', value: 1, timestamp: 1, step })) }),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.data.message).toMatch(/at most 1000 metrics/);
  });

  it('Runs.search with filter, order_by, max_results and page_token; run_view_type', async () => {
    const { Runs } = client;
    for (let i = 0; i < 6; i++) {
      const { run } = await Runs.create({ experiment_id: experimentId, user_id: 'npm', start_time: 1_700_000_100_000 + i });
      await Runs.logMetric({ run_id: run.info.run_id, key: 'score', value: i, timestamp: 1, step: 0 });
    }
    const first = await Runs.search({ experiment_ids: [experimentId], filter: 'metrics.score >= 1', order_by: ['metrics.score DESC'], max_results: 3 });
    expect(first.runs.map((r: any) => r.data.metrics[0].value)).toEqual([5, 4, 3]);
    const second = await Runs.search({
      experiment_ids: [experimentId],
      filter: 'metrics.score >= 1',
      order_by: ['metrics.score DESC'],
      max_results: 3,
      page_token: first.next_page_token,
    });
    expect(second.runs.map((r: any) => r.data.metrics[0].value)).toEqual([2, 1]);
    expect(second.next_page_token).toBeUndefined();
    const all = await Runs.search({ experiment_ids: [experimentId], run_view_type: 'ALL' });
    expect(all.runs).toHaveLength(7);
  });

  it('Runs.update, delete, restore; Artifacts.list', async () => {
    const { Runs } = client;
    const { run_info } = await Runs.update({ run_id: runId, status: 'FINISHED', end_time: 1_700_000_200_000 });
    expect(run_info).toMatchObject({ run_id: runId, status: 'FINISHED', end_time: 1_700_000_200_000 });
    await Runs.delete({ run_id: runId });
    expect((await Runs.get({ run_id: runId })).run.info.lifecycle_stage).toBe('deleted');
    await Runs.restore({ run_id: runId });
    expect((await Runs.get({ run_id: runId })).run.info.lifecycle_stage).toBe('active');
    const put = await fetch(
      `${server.base}/api/2.0/mlflow-artifacts/artifacts/${(await Runs.get({ run_id: runId })).run.info.artifact_uri.replace('mlflow-artifacts:/', '')}/notes.txt`,
      {
        method: 'PUT',
        body: 'hello',
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    );
    expect(put.status).toBe(200);
    const listed = await client.Artifacts.list({ run_id: runId });
    expect(listed.files).toEqual([{ path: 'notes.txt', is_dir: false, file_size: 5 }]);
  });

  it('without the token, the client gets 401 UNAUTHENTICATED', async () => {
    const MLflow = client.constructor;
    const anonymous = new MLflow({ endpoint: server.base });
    const e = await failure(anonymous.Runs.get({ run_id: runId }));
    expect(e.status).toBe(401);
    expect(e.data.error_code).toBe('UNAUTHENTICATED');
  });
});
