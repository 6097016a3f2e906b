// The PostgreSQL store runs the shared contract against a real server (test/helpers/postgres.ts),
// a fresh database per test, plus what only it has: schema versions, concurrent registrations
// from two pools, batch atomicity at scale, connection errors without passwords.
import { afterAll, describe, expect, it } from 'vitest';
import { postgresForTests } from '../../../test/helpers/postgres.js';
import type { BatchEntry } from '../../core/entities.js';
import { MlxError } from '../../core/errors.js';
import type { CreateModelVersionInput } from '../store.js';
import { runStoreContract } from '../store.contract.js';
import { redactUri } from '../../core/uri.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './migrations.js';
import { PostgresStore } from './postgres-store.js';

const pg = await postgresForTests();
const describePg = pg ? describe : describe.skip;
afterAll(async () => pg?.stop());

const freshUrl = async () => pg!.url(await pg!.createDatabase());
const open = async (url?: string) => PostgresStore.open(url ?? (await freshUrl()), { create: true });

if (pg) runStoreContract('postgres', () => open());

const errorOf = async (p: Promise<unknown>): Promise<MlxError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MlxError);
  return err as MlxError;
};

const version = (name: string, n: number): CreateModelVersionInput => ({
  name,
  source: `/tmp/m${n}.onnx`,
  runId: null,
  userId: 'u',
  storageLocation: `/store/models/sha256/${'b'.repeat(64)}.onnx`,
  sha256: 'b'.repeat(64),
  size: 1,
  irVersion: 8,
  opset: [{ domain: '', version: 17 }],
  producer: 'mlx',
  signature: { inputs: [], outputs: [] },
  labels: null,
  preprocess: null,
});

describePg('PostgresStore', () => {
  it('numbers 50 concurrent registrations of a new model from two pools 1..50, no duplicates', async () => {
    const url = await freshUrl();
    const [a, b] = [await open(url), await open(url)];
    try {
      const made = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).createModelVersion(version('race', i))));
      expect(made.map((v) => v.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect((await a.getRegisteredModel('race')).latest_version).toBe(50);
      expect(await a.searchModelVersions({ name: 'race' })).toHaveLength(50);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('answers name races with RESOURCE_ALREADY_EXISTS, never an internal error', async () => {
    const url = await freshUrl();
    const [a, b] = [await open(url), await open(url)];
    try {
      const settled = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).createRegisteredModel('same')).concat(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).createExperiment('exp')) as never[],
        ),
      );
      const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect(failed).toHaveLength(18);
      for (const f of failed) expect((f.reason as MlxError).code).toBe('RESOURCE_ALREADY_EXISTS');
      expect((await a.listExperiments()).map((e) => e.experiment_id)).toEqual(['0', '1']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('writes 200,000 streamed points in one batch, or nothing when the last entry is bad', async () => {
    const store = await open();
    try {
      const run = await store.createRun({ experimentId: '0', userId: 'u' });
      async function* points(bad: boolean): AsyncGenerator<BatchEntry> {
        for (let i = 0; i < 200_000; i++) yield { type: 'metric', key: `m${i % 4}`, value: i, step: i, timestamp: 1 };
        if (bad) yield { type: 'metric', key: 'bad*key', value: 1, step: 0, timestamp: 1 };
      }
      expect((await errorOf(store.logBatch(run.run_id, points(true)))).message).toMatch(/bad\*key/);
      expect(await store.getMetricHistory(run.run_id, 'm0')).toEqual([]);
      expect((await store.getRun(run.run_id)).metrics).toEqual({});
      expect(await store.logBatch(run.run_id, points(false))).toEqual({ metrics: 200_000, params: 0, tags: 0 });
      expect((await store.getMetricHistory(run.run_id, 'm3')).length).toBe(50_000);
      expect((await store.getRun(run.run_id)).metrics).toEqual({ m0: 199_996, m1: 199_997, m2: 199_998, m3: 199_999 });
    } finally {
      await store.close();
    }
  }, 120_000);

  it('refuses a database at an older schema version, naming `mlx db upgrade`, and a newer one', async () => {
    const url = await freshUrl();
    await (await PostgresStore.open(url, { create: true, migrations: PG_MIGRATIONS.slice(0, 1) })).close();
    const older = await errorOf(PostgresStore.open(url, { create: true }));
    expect(older.message).toBe(
      `the store ${redactUri(url)} has schema version 1, older than this mlx (${PG_SCHEMA_VERSION}); run \`mlx db upgrade ${redactUri(url)}\``,
    );
    const next = [...PG_MIGRATIONS, { version: PG_SCHEMA_VERSION + 1, name: 'test', sql: 'ALTER TABLE experiments ADD COLUMN note TEXT;' }];
    const { applyMigrations } = await import('./schema.js');
    const { openPool } = await import('./connection.js');
    const pool = await openPool(url);
    expect(await applyMigrations(pool, url, { migrations: next, defaultArtifactRoot: 'x' })).toEqual({ from: 1, to: PG_SCHEMA_VERSION + 1 });
    await pool.end();
    const newer = await errorOf(PostgresStore.open(url, { create: true }));
    expect(newer.message).toMatch(
      new RegExp(`schema version ${PG_SCHEMA_VERSION + 1}, newer than this mlx understands \\(${PG_SCHEMA_VERSION}\\); upgrade mlx`),
    );
  });

  it('opens an empty database without create as an empty store that writes nothing there', async () => {
    const url = await freshUrl();
    const look = await PostgresStore.open(url, { create: false });
    expect(look.ephemeral).toBe(true);
    expect((await look.listExperiments()).map((e) => e.name)).toEqual(['Default']);
    await look.createExperiment('only-in-this-session');
    await look.close();
    const real = await PostgresStore.open(url, { create: true });
    expect(real.ephemeral).toBe(false);
    expect((await real.listExperiments()).map((e) => e.name)).toEqual(['Default']);
    expect((await real.getExperiment('0')).artifact_location).toBe('mlflow-artifacts:/0');
    await real.close();
  });

  it("refuses a database holding another program's tables of the same names", async () => {
    const url = await freshUrl();
    const pgMod = (await import('pg')).default;
    const c = new pgMod.Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE runs (id int)');
    await c.end();
    expect((await errorOf(PostgresStore.open(url, { create: true }))).message).toMatch(/not an mlx store/);
  });
});

describePg('single metric points logged at once (group commit)', () => {
  it('are all stored with the right latest values; a point for a deleted or unknown run fails alone', async () => {
    const store = await open();
    try {
      const exp = await store.createExperiment('burst');
      const [a, b, gone] = await Promise.all([0, 1, 2].map(() => store.createRun({ experimentId: exp, userId: 'u' })));
      await store.deleteRun(gone.run_id);
      const point = (step: number) => ({ key: 'loss', value: step === 7 ? NaN : 1 / (step + 1), timestamp: 1000 + step, step });
      const results = await Promise.allSettled([
        ...Array.from({ length: 300 }, (_, i) => store.logMetric(i % 2 ? a.run_id : b.run_id, point(i))),
        store.logMetric(gone.run_id, point(1)),
        store.logMetric('f'.repeat(32), point(1)),
      ]);
      expect(results.slice(0, 300).every((r) => r.status === 'fulfilled')).toBe(true);
      const [deleted, unknown] = results.slice(300).map((r) => (r as PromiseRejectedResult).reason as MlxError);
      expect(deleted).toBeInstanceOf(MlxError);
      expect(deleted.message).toContain(gone.run_id);
      expect(unknown.code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect((await store.getMetricHistory(a.run_id, 'loss')).map((m) => m.step).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 150 }, (_, i) => 2 * i + 1),
      );
      const ra = await store.getRun(a.run_id);
      expect(ra.metrics).toEqual({ loss: 1 / 300 });
      expect(ra.metric_steps?.loss.step ?? 299).toBe(299);
      expect((await store.getRun(b.run_id)).metrics).toEqual({ loss: 1 / 299 });
      expect(await store.getMetricHistory(gone.run_id, 'loss')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL connection errors', () => {
  it('says which server cannot be reached, in one line, without the password', async () => {
    const err = await errorOf(PostgresStore.open('postgresql://mlx:s3cret-pw@127.0.0.1:9/mlx', { create: true }));
    expect(err.message).toBe('cannot connect to postgresql://mlx@127.0.0.1:9/mlx: connection refused; is PostgreSQL running?');
  });

  it('redacts passwords from URIs in every form', () => {
    expect(redactUri('postgresql://u:pw@h:5432/db?sslmode=require&password=pw')).toBe('postgresql://u@h:5432/db');
    expect(redactUri('postgres://h/db')).toBe('postgres://h/db');
    expect(redactUri('postgresql://u:p%40ss@h/db')).toBe('postgresql://u@h/db');
    expect(redactUri('postgresql://u:pw@[bad')).not.toContain('pw');
    // Folder paths (SQLite stores) and http URIs without credentials pass through.
    expect(redactUri('/home/me/project/.mlx')).toBe('/home/me/project/.mlx');
    expect(redactUri('http://127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
  });

  it.runIf(!!pg)('names a wrong password or a missing database without showing the password', async () => {
    const missing = new URL(pg!.url('no_such_db'));
    missing.password = 'hunter22';
    const err = await errorOf(PostgresStore.open(missing.toString(), { create: true }));
    expect(err.message).toMatch(/^cannot connect to postgresql:\/\/postgres@127\.0\.0\.1:\d+\/no_such_db: .*does not exist/);
    expect(err.message).not.toContain('hunter22');
  });
});
