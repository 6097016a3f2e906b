// The REST store runs the same contract as the SQLite store, against real `mlx server` processes
// (one fresh store each test, token required), plus what only a remote store has: requests split
// within MLflow's log-batch limits, prefixes resolved by the server, its errors one line each.
import { afterAll, describe, expect, it } from 'vitest';
import { serverPool, startTrackingServer, stopTrackingServers } from '../../../test/helpers/tracking-server.js';
import type { BatchEntry } from '../../core/entities.js';
import { MlxError } from '../../core/errors.js';
import { modelFiles } from '../../models/open-model-files.js';
import { sha256 } from '../../models/model-storage.js';
import { OnnxGraphBuilder } from '../../models/onnx/builder.js';
import type { CreateModelVersionInput, Store } from '../store.js';
import { runStoreContract } from '../store.contract.js';
import { RestStore } from './rest-store.js';

const TOKEN = 'contract-token-0123456789';
const fresh = serverPool({ token: TOKEN });
afterAll(stopTrackingServers);

/** A real model with the signature the contract's versions claim: x float32 [batch, 5] → y float32 [batch, 3]. */
function contractModel(): Uint8Array {
  return new OnnxGraphBuilder('contract')
    .input('x', 'float32', ['batch', 5])
    .initializer('W', new Float32Array(15).fill(0.1), [5, 3])
    .node('MatMul', ['x', 'W'], ['y'])
    .output('y', 'float32', ['batch', 3])
    .toBytes();
}

/** The server reads and checks the model itself: upload real bytes through the artifact proxy, as `mlx register` does. */
async function placeModel(store: Store, input: CreateModelVersionInput): Promise<CreateModelVersionInput> {
  const bytes = contractModel();
  const hash = sha256(bytes);
  const stored = await (await modelFiles(store)).put(bytes, hash);
  return { ...input, sha256: hash, size: bytes.byteLength, storageLocation: stored.location };
}

runStoreContract('rest (mlx server)', async () => new RestStore((await fresh()).url, { token: TOKEN }), { placeModel, clientFreesModelBytes: false });

describe('RestStore against mlx server', () => {
  const open = async () => new RestStore((await fresh()).url, { token: TOKEN });

  it('splits a batch over the request limits into several log-batch requests, all of it stored', async () => {
    const store = await open();
    const run = await store.createRun({
      experimentId: '0',
      userId: 'u',
      params: Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`p${i}`, String(i)])),
    });
    const entries: BatchEntry[] = [];
    for (let i = 0; i < 2500; i++) entries.push({ type: 'metric', key: `m${i % 2}`, value: i, step: i, timestamp: 1 });
    for (let i = 0; i < 150; i++) entries.push({ type: 'param', key: `q${i}`, value: String(i) });
    for (let i = 0; i < 120; i++) entries.push({ type: 'tag', key: `t${i}`, value: String(i) });
    expect(await store.logBatch(run.run_id, entries)).toEqual({ metrics: 2500, params: 150, tags: 120 });
    const got = await store.getRun(run.run_id);
    expect(Object.keys(got.params)).toHaveLength(280);
    expect(got.tags.t119).toBe('119');
    expect(got.metrics).toEqual({ m0: 2498, m1: 2499 });
    expect(await store.getMetricHistory(run.run_id, 'm1')).toHaveLength(1250);
  });

  it('refuses a param the run already has with another value before sending any of a large batch', async () => {
    const store = await open();
    const run = await store.createRun({ experimentId: '0', userId: 'u', params: { lr: '0.1' } });
    const entries: BatchEntry[] = Array.from({ length: 1500 }, (_, i) => ({ type: 'metric' as const, key: 'loss', value: i, step: i, timestamp: 1 }));
    entries.push({ type: 'param', key: 'lr', value: '0.2' });
    const err = await store.logBatch(run.run_id, entries).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlxError);
    expect((err as MlxError).message).toMatch(/"lr".*"0\.1".*"0\.2"/);
    expect(await store.getMetricHistory(run.run_id, 'loss')).toEqual([]);
  });

  it('pages through runs and metric history larger than one server page', async () => {
    const store = await open();
    for (let i = 0; i < 3; i++) await store.createRun({ experimentId: '0', userId: 'u', runName: `r${i}`, startTime: 1000 + i });
    const all = await store.searchRuns({ experimentIds: ['0'] });
    expect(all.runs.map((r) => r.info.run_name)).toEqual(['r2', 'r1', 'r0']);
    expect(all.nextPageToken).toBeUndefined();
    const first = await store.searchRuns({ experimentIds: ['0'], maxResults: 2 });
    expect(first.runs).toHaveLength(2);
    const rest = await store.searchRuns({ experimentIds: ['0'], maxResults: 2, pageToken: first.nextPageToken });
    expect(rest.runs.map((r) => r.info.run_name)).toEqual(['r0']);
  });

  it("sends nothing for bad input: validation happens in the client, with the local store's messages", async () => {
    // An address nothing listens on: any request would fail with "cannot reach".
    const store = new RestStore('http://127.0.0.1:9', { token: TOKEN });
    const rejects = async (p: Promise<unknown>, re: RegExp) => expect(await p.catch((e: MlxError) => e.message)).toMatch(re);
    await rejects(store.logParam('a'.repeat(32), 'bad*key', 'v'), /bad\*key/);
    await rejects(store.logMetric('a'.repeat(32), { key: 'k', value: 1, step: 1.5, timestamp: 1 }), /step 1\.5/);
    await rejects(store.createExperiment(' '), /must not be empty/);
    await rejects(store.resolveRunId('xyz'), /not a run id/);
    expect(await store.resolveRunId('A'.repeat(32))).toBe('a'.repeat(32));
  });

  it('says which server cannot be reached and which token was refused, in one line', async () => {
    const down = new RestStore('http://127.0.0.1:9');
    const e1 = (await down.listExperiments().catch((e: unknown) => e)) as MlxError;
    expect(e1).toBeInstanceOf(MlxError);
    expect(e1.message).toMatch(/^cannot reach the tracking server at http:\/\/127\.0\.0\.1:9: .*mlx server/);
    const server = await startTrackingServer({ token: TOKEN });
    for (const [env, from] of [
      [{}, /needs a token \(401\)/],
      [{ MLX_TRACKING_TOKEN: 'wrong-token' }, /MLX_TRACKING_TOKEN \(401\)/],
      [{ MLFLOW_TRACKING_TOKEN: 'nope' }, /MLFLOW_TRACKING_TOKEN/],
    ] as const) {
      const e = (await new RestStore(server.url, { env }).listExperiments().catch((x: unknown) => x)) as MlxError;
      expect(e.code).toBe('UNAUTHENTICATED');
      expect(e.message).toMatch(from);
      expect(e.message).not.toMatch(/\n/);
    }
    expect((await new RestStore(server.url, { env: { MLFLOW_TRACKING_TOKEN: TOKEN } }).listExperiments()).map((x) => x.name)).toEqual(['Default']);
  });
});
