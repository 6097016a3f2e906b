/**
 * The shared contract every Store implementation runs (SQLite, REST, PostgreSQL): the tracking
 * half (experiments, runs, logging, search) and the registry half (model registry). Call
 * runStoreContract from the implementation's own test file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchEntry } from '../core/entities.js';
import { MlxError } from '../core/errors.js';
import type { CreateModelVersionInput, Store } from './store.js';

async function rejectsWith(p: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected an MlxError').toBeInstanceOf(MlxError);
  expect((err as MlxError).code).toBe(code);
  if (text) expect((err as MlxError).message).toMatch(text);
}

/** What differs, by design, between stores that keep model bytes themselves and stores behind a server. */
export interface StoreContractOptions {
  /**
   * Runs before every createModelVersion: a store whose server reads the model (REST) stores real
   * bytes matching the input's signature there and returns the input with their location and
   * sha256. Default: the input as it is (the local store records what it is told).
   */
  placeModel?: (store: Store, input: CreateModelVersionInput) => Promise<CreateModelVersionInput>;
  /** False when the server frees model bytes itself: deletes then leave the client nothing to remove. Default true. */
  clientFreesModelBytes?: boolean;
}

export function runStoreContract(name: string, makeStore: () => Promise<Store>, opts: StoreContractOptions = {}): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });
    const newRun = async (extra: Partial<Parameters<Store['createRun']>[0]> = {}) => store.createRun({ experimentId: '0', userId: 'u', ...extra });

    describe('experiments', () => {
      it('has the Default experiment with id "0" from the start', async () => {
        const exps = await store.listExperiments();
        expect(exps.map((e) => [e.experiment_id, e.name])).toEqual([['0', 'Default']]);
      });

      it('creates, renames, deletes and restores', async () => {
        const id = await store.createExperiment('cls', { team: 'vision' });
        expect((await store.getExperiment(id)).tags).toEqual({ team: 'vision' });
        await rejectsWith(store.createExperiment('cls'), 'RESOURCE_ALREADY_EXISTS', /already exists/);
        await store.renameExperiment(id, 'cls-2');
        expect((await store.getExperimentByName('cls-2'))?.experiment_id).toBe(id);
        expect(await store.getExperimentByName('cls')).toBeNull();
        await store.deleteExperiment(id);
        expect((await store.listExperiments('active')).map((e) => e.name)).toEqual(['Default']);
        expect((await store.listExperiments('deleted')).map((e) => e.name)).toEqual(['cls-2']);
        await rejectsWith(store.createExperiment('cls-2'), 'RESOURCE_ALREADY_EXISTS', /deleted/);
        await store.restoreExperiment(id);
        expect((await store.getExperiment(id)).lifecycle_stage).toBe('active');
      });

      it('refuses to delete Default, unknown ids and empty names', async () => {
        await rejectsWith(store.deleteExperiment('0'), 'INVALID_PARAMETER_VALUE');
        await rejectsWith(store.getExperiment('999'), 'RESOURCE_DOES_NOT_EXIST', /^No Experiment with id=999 exists; /);
        await rejectsWith(store.createExperiment('  '), 'INVALID_PARAMETER_VALUE');
      });

      it('deleting an experiment deletes its runs; restoring restores them', async () => {
        const id = await store.createExperiment('gone');
        const run = await newRun({ experimentId: id });
        await store.deleteExperiment(id);
        expect((await store.getRun(run.run_id)).info.lifecycle_stage).toBe('deleted');
        await rejectsWith(newRun({ experimentId: id }), 'INVALID_STATE', /restore/);
        await store.restoreExperiment(id);
        expect((await store.getRun(run.run_id)).info.lifecycle_stage).toBe('active');
      });
    });

    describe('runs', () => {
      it('creates runs with 32-hex ids, names, RUNNING status and system tags', async () => {
        const a = await newRun({ runName: 'resnet50-adamw', tags: { team: 'x' }, params: { lr: '0.1' } });
        const b = await newRun();
        expect(a.run_id).toMatch(/^[0-9a-f]{32}$/);
        expect(a.run_id).not.toBe(b.run_id);
        expect(b.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
        const run = await store.getRun(a.run_id);
        expect(run.info).toMatchObject({ run_name: 'resnet50-adamw', status: 'RUNNING', end_time: null, lifecycle_stage: 'active' });
        expect(run.tags).toMatchObject({ team: 'x', 'mlflow.runName': 'resnet50-adamw', 'mlflow.user': 'u' });
        expect(run.params).toEqual({ lr: '0.1' });
      });

      it('records the parent of nested runs', async () => {
        const parent = await newRun();
        const child = await newRun({ parentRunId: parent.run_id });
        expect((await store.getRun(child.run_id)).tags['mlflow.parentRunId']).toBe(parent.run_id);
      });

      it('resolves unique prefixes of 6+ characters', async () => {
        const r = await newRun();
        expect(await store.resolveRunId(r.run_id.slice(0, 6))).toBe(r.run_id);
        expect(await store.resolveRunId(r.run_id.toUpperCase())).toBe(r.run_id);
        await rejectsWith(store.resolveRunId(r.run_id.slice(0, 5)), 'INVALID_PARAMETER_VALUE', /6 or more/);
        await rejectsWith(store.resolveRunId('ffffffffff'), 'RESOURCE_DOES_NOT_EXIST', /ffffffffff/);
        await rejectsWith(store.resolveRunId('zzzzzzzz'), 'INVALID_PARAMETER_VALUE', /zzzzzzzz/);
      });

      it('ends, renames, deletes and restores runs', async () => {
        const r = await newRun();
        const ended = await store.updateRun(r.run_id, { status: 'FINISHED', endTime: r.start_time + 5 });
        expect(ended).toMatchObject({ status: 'FINISHED', end_time: r.start_time + 5 });
        await store.updateRun(r.run_id, { runName: 'renamed' });
        expect((await store.getRun(r.run_id)).tags['mlflow.runName']).toBe('renamed');
        await store.deleteRun(r.run_id);
        await rejectsWith(store.logParam(r.run_id, 'a', 'b'), 'INVALID_STATE', /deleted/);
        await store.restoreRun(r.run_id);
        await store.logParam(r.run_id, 'a', 'b');
      });
    });

    describe('logging', () => {
      it('keeps params immutable: same value is fine, another is refused', async () => {
        const r = await newRun();
        await store.logParam(r.run_id, 'lr', '0.1');
        await store.logParam(r.run_id, 'lr', '0.1');
        await rejectsWith(store.logParam(r.run_id, 'lr', '0.2'), 'INVALID_PARAMETER_VALUE', /"0\.1".*"0\.2"/);
        expect((await store.getRun(r.run_id)).params).toEqual({ lr: '0.1' });
      });

      it('validates keys and value lengths as MLflow does', async () => {
        const r = await newRun();
        await rejectsWith(store.logParam(r.run_id, 'bad*key', 'v'), 'INVALID_PARAMETER_VALUE', /bad\*key/);
        await rejectsWith(store.logParam(r.run_id, 'k'.repeat(251), 'v'), 'INVALID_PARAMETER_VALUE', /250/);
        await rejectsWith(store.logParam(r.run_id, 'k', 'v'.repeat(6001)), 'INVALID_PARAMETER_VALUE', /6000/);
        await rejectsWith(store.setTag(r.run_id, 't', 'v'.repeat(5001)), 'INVALID_PARAMETER_VALUE', /5000/);
        await rejectsWith(store.logMetric(r.run_id, { key: '../up', value: 1, step: 0, timestamp: 1 }), 'INVALID_PARAMETER_VALUE');
        await store.logParam(r.run_id, 'k'.repeat(250), 'v'.repeat(6000));
        await store.setTag(r.run_id, 'val/acc top-1.x', 'v'.repeat(5000));
      });

      it('keeps every metric point and the latest by step, then timestamp', async () => {
        const r = await newRun();
        const id = r.run_id;
        await store.logMetric(id, { key: 'loss', value: 0.5, step: 2, timestamp: 100 });
        await store.logMetric(id, { key: 'loss', value: 0.9, step: 1, timestamp: 200 });
        expect((await store.getRun(id)).metrics.loss).toBe(0.5);
        await store.logMetric(id, { key: 'loss', value: 0.4, step: 2, timestamp: 300 });
        expect((await store.getRun(id)).metrics.loss).toBe(0.4);
        const hist = await store.getMetricHistory(id, 'loss');
        expect(hist.map((m) => [m.step, m.value])).toEqual([
          [1, 0.9],
          [2, 0.5],
          [2, 0.4],
        ]);
      });

      it('stores NaN and ±Infinity faithfully', async () => {
        const r = await newRun();
        await store.logMetric(r.run_id, { key: 'a', value: NaN, step: 0, timestamp: 1 });
        await store.logMetric(r.run_id, { key: 'b', value: Infinity, step: 0, timestamp: 1 });
        await store.logMetric(r.run_id, { key: 'c', value: -Infinity, step: 0, timestamp: 1 });
        const m = (await store.getRun(r.run_id)).metrics;
        expect(Number.isNaN(m.a)).toBe(true);
        expect(m.b).toBe(Infinity);
        expect(m.c).toBe(-Infinity);
        expect(Number.isNaN((await store.getMetricHistory(r.run_id, 'a'))[0].value)).toBe(true);
      });

      it('writes a batch atomically: a bad entry leaves nothing of the batch', async () => {
        const r = await newRun();
        await store.logParam(r.run_id, 'opt', 'adam');
        const entries: BatchEntry[] = [
          { type: 'metric', key: 'loss', value: 1, step: 0, timestamp: 1 },
          { type: 'tag', key: 'stage', value: 'x' },
          { type: 'param', key: 'opt', value: 'sgd' },
        ];
        await rejectsWith(store.logBatch(r.run_id, entries), 'INVALID_PARAMETER_VALUE', /opt/);
        const run = await store.getRun(r.run_id);
        expect(run.metrics).toEqual({});
        expect(run.tags.stage).toBeUndefined();
        expect(await store.getMetricHistory(r.run_id, 'loss')).toEqual([]);
      });

      it('writes a streamed batch and sets latest values', async () => {
        const r = await newRun();
        async function* gen(): AsyncGenerator<BatchEntry> {
          for (let i = 0; i < 1000; i++) yield { type: 'metric', key: `m${i % 3}`, value: i, step: i, timestamp: 1 };
          yield { type: 'param', key: 'p', value: '1' };
          yield { type: 'tag', key: 't', value: 'v' };
        }
        expect(await store.logBatch(r.run_id, gen())).toEqual({ metrics: 1000, params: 1, tags: 1 });
        const run = await store.getRun(r.run_id);
        expect(run.metrics).toEqual({ m0: 999, m1: 997, m2: 998 });
        expect((await store.getMetricHistory(r.run_id, 'm1')).length).toBe(333);
      });

      it('records dataset inputs', async () => {
        const r = await newRun();
        const d = { name: 'train', digest: 'ab'.repeat(32), source_type: 'local', source: '/x.csv', schema: null, profile: '{"size":3}' };
        await store.logInputs(r.run_id, [{ ...d, context: 'training' }]);
        expect((await store.getRun(r.run_id)).inputs).toEqual([{ ...d, context: 'training' }]);
      });
    });

    describe('model registry', () => {
      // Every version goes through placeModel, so stores that read the model get real bytes.
      const createVersion = async (input: CreateModelVersionInput) => store.createModelVersion(opts.placeModel ? await opts.placeModel(store, input) : input);
      const version = (name: string, extra: Partial<CreateModelVersionInput> = {}): CreateModelVersionInput => ({
        name,
        source: '/tmp/model.onnx',
        runId: null,
        userId: 'u',
        storageLocation: `models/sha256/${'a'.repeat(64)}.onnx`,
        sha256: 'a'.repeat(64),
        size: 123,
        irVersion: 8,
        opset: [{ domain: '', version: 17 }],
        producer: 'mlx',
        signature: { inputs: [{ name: 'x', type: 'float32', shape: [-1, 5] }], outputs: [{ name: 'y', type: 'float32', shape: [-1, 3] }] },
        labels: ['a', 'b', 'c'],
        preprocess: 'tabular',
        ...extra,
      });

      it('creates the model on first use and numbers versions N+1, never reusing a number', async () => {
        const run = await newRun();
        const v1 = await createVersion(version('clf', { runId: run.run_id, description: 'first', tags: { k: 'v' } }));
        expect(v1).toMatchObject({ name: 'clf', version: 1, run_id: run.run_id, description: 'first', tags: { k: 'v' }, status: 'READY' });
        expect(v1.signature.inputs[0].shape).toEqual([-1, 5]);
        expect(v1.labels).toEqual(['a', 'b', 'c']);
        expect((await createVersion(version('clf'))).version).toBe(2);
        await store.deleteModelVersion('clf', 2);
        expect((await createVersion(version('clf'))).version).toBe(3);
        const model = await store.getRegisteredModel('clf');
        expect(model.latest_version).toBe(3);
        expect((await store.searchModelVersions({ name: 'clf' })).map((v) => v.version)).toEqual([3, 1]);
        expect((await store.searchModelVersions({ runId: run.run_id })).map((v) => `${v.name}/${v.version}`)).toEqual(['clf/1']);
        expect((await store.getLatestModelVersion('clf')).version).toBe(3);
      });

      it("moves versions between MLflow's stages; archiveExisting archives the others in that stage", async () => {
        for (let i = 0; i < 3; i++) await createVersion(version('staged'));
        expect((await store.getModelVersion('staged', 1)).current_stage).toBe('None');
        expect(await store.transitionModelVersionStage('staged', 1, 'Production', false)).toMatchObject({ version: 1, current_stage: 'Production' });
        await store.transitionModelVersionStage('staged', 2, 'Production', false);
        await store.transitionModelVersionStage('staged', 3, 'Production', true);
        const stages = async () => (await store.searchModelVersions({ name: 'staged' })).map((v) => `${v.version}:${v.current_stage}`);
        expect(await stages()).toEqual(['3:Production', '2:Archived', '1:Archived']);
        await store.transitionModelVersionStage('staged', 2, 'Staging', true);
        expect(await stages()).toEqual(['3:Production', '2:Staging', '1:Archived']);
        await rejectsWith(store.transitionModelVersionStage('staged', 9, 'Staging', false), 'RESOURCE_DOES_NOT_EXIST', /version=9/);
      });

      it('sets, moves and deletes aliases; reserved ones are refused', async () => {
        await createVersion(version('m', { alias: 'champion' }));
        await createVersion(version('m'));
        expect((await store.getModelVersionByAlias('m', 'champion')).version).toBe(1);
        await store.setRegisteredModelAlias('m', 'champion', 2);
        expect((await store.getModelVersionByAlias('m', 'champion')).version).toBe(2);
        expect((await store.getRegisteredModel('m')).aliases).toEqual({ champion: 2 });
        expect((await store.getModelVersion('m', 2)).aliases).toEqual(['champion']);
        await rejectsWith(store.setRegisteredModelAlias('m', 'latest', 1), 'INVALID_PARAMETER_VALUE', /reserved/);
        await rejectsWith(store.setRegisteredModelAlias('m', 'v3', 1), 'INVALID_PARAMETER_VALUE', /reserved/);
        await rejectsWith(store.setRegisteredModelAlias('m', 'prod', 9), 'RESOURCE_DOES_NOT_EXIST', /^Model Version \(name=m, version=9\) not found; /);
        await store.deleteRegisteredModelAlias('m', 'champion');
        await rejectsWith(store.getModelVersionByAlias('m', 'champion'), 'RESOURCE_DOES_NOT_EXIST', /champion/);
        await rejectsWith(createVersion(version('m', { alias: 'latest' })), 'INVALID_PARAMETER_VALUE', /reserved/);
        expect((await store.getRegisteredModel('m')).latest_version).toBe(2);
      });

      it('tags and descriptions on models and versions', async () => {
        await store.createRegisteredModel('t', 'desc', { team: 'vision' });
        await rejectsWith(store.createRegisteredModel('t'), 'RESOURCE_ALREADY_EXISTS', /"t"/);
        await createVersion(version('t'));
        await store.setRegisteredModelTag('t', 'owner', 'me');
        await store.setModelVersionTag('t', 1, 'validated', 'yes');
        await store.updateModelVersion('t', 1, { description: 'v1 notes' });
        await store.updateRegisteredModel('t', { description: 'new' });
        expect(await store.getRegisteredModel('t')).toMatchObject({ description: 'new', tags: { team: 'vision', owner: 'me' } });
        expect(await store.getModelVersion('t', 1)).toMatchObject({ description: 'v1 notes', tags: { validated: 'yes' } });
        await store.deleteModelVersionTag('t', 1, 'validated');
        await store.deleteRegisteredModelTag('t', 'owner');
        await rejectsWith(store.deleteRegisteredModelTag('t', 'owner'), 'RESOURCE_DOES_NOT_EXIST');
        expect((await store.listRegisteredModels()).map((m) => m.name)).toEqual(['t']);
      });

      it('renames a model with its versions, tags and aliases', async () => {
        await store.createRegisteredModel('old', 'd', { team: 'vision' });
        await createVersion(version('old', { alias: 'champion', tags: { k: 'v' } }));
        await store.createRegisteredModel('taken');
        await rejectsWith(store.renameRegisteredModel('old', 'taken'), 'RESOURCE_ALREADY_EXISTS', /"taken"/);
        await rejectsWith(store.renameRegisteredModel('old', 'bad/name'), 'INVALID_PARAMETER_VALUE', /bad\/name/);
        await rejectsWith(store.renameRegisteredModel('nope', 'x'), 'RESOURCE_DOES_NOT_EXIST', /^Registered Model with name=nope not found; /);
        expect(await store.renameRegisteredModel('old', 'new')).toMatchObject({ name: 'new', tags: { team: 'vision' }, aliases: { champion: 1 } });
        expect(await store.getModelVersionByAlias('new', 'champion')).toMatchObject({ name: 'new', version: 1, tags: { k: 'v' } });
        await rejectsWith(store.getRegisteredModel('old'), 'RESOURCE_DOES_NOT_EXIST', /name=old not found/);
      });

      it('reports storage no version uses any more when versions and models are deleted', async () => {
        const frees = opts.clientFreesModelBytes ?? true;
        const shared = version('a');
        await createVersion(shared);
        await createVersion(shared);
        expect(await store.deleteModelVersion('a', 1)).toEqual([]);
        const freed = await store.deleteModelVersion('a', 2);
        if (frees) {
          expect(freed).toHaveLength(1);
          expect(freed[0]).toMatch(/models\/sha256\/a{64}\.onnx$/);
        } else expect(freed).toEqual([]);
        await rejectsWith(store.getModelVersion('a', 2), 'RESOURCE_DOES_NOT_EXIST', /^Model Version \(name=a, version=2\) not found/);
        await createVersion(version('b'));
        expect(await store.deleteRegisteredModel('b')).toHaveLength(frees ? 1 : 0);
        await rejectsWith(store.getRegisteredModel('b'), 'RESOURCE_DOES_NOT_EXIST', /name=b not found/);
      });

      it('refuses invalid names and unknown models or versions', async () => {
        await rejectsWith(createVersion(version('bad/name')), 'INVALID_PARAMETER_VALUE', /bad\/name/);
        await rejectsWith(store.createRegisteredModel(''), 'INVALID_PARAMETER_VALUE');
        await rejectsWith(
          store.getRegisteredModel('nope'),
          'RESOURCE_DOES_NOT_EXIST',
          /^Registered Model with name=nope not found; list models with: mlx models list$/,
        );
        await createVersion(version('x'));
        await rejectsWith(store.getModelVersion('x', 7), 'RESOURCE_DOES_NOT_EXIST', /version=7\) not found/);
        await rejectsWith(store.getModelVersion('nope', 1), 'RESOURCE_DOES_NOT_EXIST', /name=nope/);
      });
    });

    describe('search', () => {
      it('filters with AND / OR, orders, pages', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await newRun({ runName: `r${i}`, startTime: 1000 + i, params: { opt: i % 2 ? 'sgd' : 'adam' } });
          await store.logMetric(r.run_id, { key: 'acc', value: i / 10, step: 0, timestamp: 1 });
          ids.push(r.run_id);
        }
        const names = async (filter: string, orderBy?: string[]) =>
          (await store.searchRuns({ experimentIds: ['0'], filter, orderBy })).runs.map((r) => r.info.run_name);
        expect(await names("metrics.acc >= 0.2 and params.opt = 'adam'")).toEqual(['r4', 'r2']);
        expect(await names("metrics.acc < 0.1 OR (params.opt = 'sgd' AND metrics.acc > 0.2)", ['metrics.acc ASC'])).toEqual(['r0', 'r3']);
        expect(await names("attributes.run_name LIKE 'r%'", ['metrics.acc DESC'])).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
        const page1 = await store.searchRuns({ experimentIds: ['0'], maxResults: 2 });
        expect(page1.runs.map((r) => r.info.run_name)).toEqual(['r4', 'r3']);
        const page2 = await store.searchRuns({ experimentIds: ['0'], maxResults: 2, pageToken: page1.nextPageToken });
        expect(page2.runs.map((r) => r.info.run_name)).toEqual(['r2', 'r1']);
        await store.deleteRun(ids[4]);
        expect(await names('')).toEqual(['r3', 'r2', 'r1', 'r0']);
        expect((await store.searchRuns({ experimentIds: ['0'], viewType: 'deleted' })).runs.map((r) => r.info.run_name)).toEqual(['r4']);
      });

      it('counts what a search returns, where the store counts in its database (countRuns)', async () => {
        if (!store.countRuns) return;
        for (let i = 0; i < 4; i++) {
          const r = await newRun({ runName: `c${i}`, params: { opt: i % 2 ? 'sgd' : 'adam' } });
          if (i === 3) await store.deleteRun(r.run_id);
        }
        const count = (filter?: string, viewType?: 'active' | 'deleted' | 'all') => store.countRuns!({ experimentIds: ['0'], filter, viewType });
        const searched = async (filter?: string) => (await store.searchRuns({ experimentIds: ['0'], filter })).runs.length;
        expect(await count()).toBe(await searched());
        expect(await count("params.opt = 'adam'")).toBe(await searched("params.opt = 'adam'"));
        expect(await count("params.opt = 'adam'")).toBe(2);
        expect(await count(undefined, 'deleted')).toBe(1);
        expect(await count(undefined, 'all')).toBe((await searched()) + 1);
        expect(await store.countRuns({ experimentIds: [] })).toBe(0);
        await rejectsWith(count('metrics.acc >> 1'), 'INVALID_PARAMETER_VALUE', /position/);
      });

      it('counts matching runs per tag value in one call (countRunsByTag: the children of each parent)', async () => {
        if (!store.countRunsByTag) return;
        const parent = await newRun({ runName: 'p' });
        const other = await newRun({ runName: 'q' });
        for (let i = 0; i < 3; i++) {
          const c = await newRun({ runName: `k${i}`, params: { opt: i ? 'sgd' : 'adam' } });
          await store.setTag(c.run_id, 'mlflow.parentRunId', parent.run_id);
          if (i === 2) await store.deleteRun(c.run_id);
        }
        const ids = [parent.run_id, other.run_id];
        expect(await store.countRunsByTag({ experimentIds: ['0'] }, 'mlflow.parentRunId', ids)).toEqual({ [parent.run_id]: 2, [other.run_id]: 0 });
        expect(await store.countRunsByTag({ experimentIds: ['0'], viewType: 'all' }, 'mlflow.parentRunId', ids)).toEqual({
          [parent.run_id]: 3,
          [other.run_id]: 0,
        });
        expect(await store.countRunsByTag({ experimentIds: ['0'], filter: "params.opt = 'sgd'" }, 'mlflow.parentRunId', ids)).toEqual({
          [parent.run_id]: 1,
          [other.run_id]: 0,
        });
        expect(await store.countRunsByTag({ experimentIds: ['0'] }, 'mlflow.parentRunId', [])).toEqual({});
      });

      it('rejects a malformed filter with its position', async () => {
        await rejectsWith(store.searchRuns({ experimentIds: ['0'], filter: 'metrics.acc >> 1' }), 'INVALID_PARAMETER_VALUE', /position/);
      });
    });
  });
}
