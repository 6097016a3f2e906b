// `mlx db upgrade` and `mlx db migrate`, spawned as users run them: a store built by real `mlx run`,
// `mlx log` and `mlx register` commands is copied into PostgreSQL and read back through both the
// CLI (--tracking-uri postgresql://…) and PostgresStore; refusals are one line and write nothing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/sqlite/database.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/sqlite/migrations.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../src/store/postgres/migrations.js';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { T, ok, project, runWithModel, writeFile } from './helpers/models.js';
import { postgresForTests } from './helpers/postgres.js';
import { tabularBytes } from './helpers/serving-fixtures.js';

const pg = await postgresForTests();
const describePg = pg ? describe : describe.skip;
afterAll(async () => pg?.stop());
const freshUrl = async () => pg!.url(await pg!.createDatabase());

/** What a fresh database looks like to `mlx db migrate`: no tables at all. */
async function tableCount(url: string): Promise<number> {
  const { default: pgLib } = await import('pg');
  const c = new pgLib.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'")).rows[0].n);
  } finally {
    await c.end();
  }
}

/** A project whose store holds experiments, runs (one deleted, one nested), metrics with NaN, datasets, artifacts and registered models. */
function realStore(): { dir: string; run: string } {
  const dir = project('mlx-db-');
  ok(dir, ['experiments', 'create', 'cls', '--tag', 'team=vision']);
  const run = runWithModel(dir, 'tabular.onnx');
  writeFile(
    dir,
    'batch.jsonl',
    [
      ...Array.from({ length: 300 }, (_, i) => JSON.stringify({ type: 'metric', key: 'loss', value: 1 / (i + 1), step: i, timestamp: 1_700_000_000_000 + i })),
      JSON.stringify({ type: 'metric', key: 'odd', value: 'NaN', step: 0, timestamp: 5 }),
      JSON.stringify({ type: 'tag', key: 'stage', value: 'batch' }),
    ].join('\n'),
  );
  ok(dir, ['log', 'batch', 'batch.jsonl', '--run', run]);
  writeFile(dir, 'train.csv', 'a,b\n1,2\n3,4\n');
  ok(dir, ['log', 'dataset', 'train.csv', '--run', run, '--context', 'training']);
  ok(dir, ['run', '--experiment', 'cls', '--name', 'wrapped', '--param', 'opt=adam', '--', process.execPath, '-e', 'process.exit(0)']);
  const gone = ok(dir, ['runs', 'start', '--name', 'gone']).stdout.trim();
  ok(dir, ['runs', 'delete', gone]);
  ok(dir, ['register', `runs:/${run}/model/tabular.onnx`, '--name', 'tiers', '--alias', 'champion', '--description', 'tiers v1']);
  ok(dir, ['register', 'image.onnx', '--name', 'pets']);
  ok(dir, ['register', 'tabular.onnx', '--name', 'tiers']);
  ok(dir, ['models', 'tag', 'tiers/2', 'validated', 'yes']);
  ok(dir, ['models', 'tag', 'tiers', 'owner', 'ml-team']);
  return { dir, run };
}

describePg('mlx db migrate', () => {
  it(
    'copies a real store into PostgreSQL; the CLI and PostgresStore read back exactly what the local store has',
    async () => {
      const { dir, run } = realStore();
      const url = await freshUrl();
      const r = mlxJson(dir, ['db', 'migrate', '--from', '.mlx', '--to', url]);
      const store = fs.realpathSync(path.join(dir, '.mlx'));
      expect(r).toMatchObject({ from: store, to: url, uses_source_folder: true });
      expect(r.counts).toMatchObject({ experiments: 2, runs: 3, registered_models: 2, model_versions: 3, registered_model_aliases: 1, inputs: 1 });
      expect(r.counts.metrics).toBe(303);

      const remote = { env: { MLX_TRACKING_URI: url } };
      for (const args of [
        ['experiments', 'list', '--view', 'all'],
        ['runs', 'list', '--view', 'all'],
        ['runs', 'list', '--filter', "metrics.loss < 0.01 and params.lr = '0.05'"],
        ['runs', 'show', run],
        ['models', 'list'],
        ['models', 'show', 'tiers'],
        ['models', 'show', 'tiers@champion'],
        ['models', 'show', 'pets/1'],
      ])
        expect(mlxJson(dir, args, remote), args.join(' ')).toEqual(mlxJson(dir, args));

      // Every point of every metric, with steps, timestamps and NaN.
      const local = new SqliteStore(store, { create: false });
      const copy = await PostgresStore.open(url, { create: false });
      try {
        for (const key of ['loss', 'accuracy', 'odd']) expect(await copy.getMetricHistory(run, key)).toEqual(await local.getMetricHistory(run, key));
        expect(await copy.getRun(run)).toEqual(await local.getRun(run));
        const v = await copy.getModelVersion('tiers', 1);
        expect(v.storage_location.startsWith(store)).toBe(true);
        expect(fs.existsSync(v.storage_location)).toBe(true);
        // New writes continue the numbering.
        expect((await copy.createExperiment('after')).toString()).toBe('2');
      } finally {
        await local.close();
        await copy.close();
      }
      const human = ok(dir, ['db', 'migrate', '--from', '.mlx', '--to', await freshUrl()]).stdout;
      expect(human).toMatch(/303 metric points/);
      expect(human).toMatch(/--artifacts-destination .*\.mlx\/artifacts/);
    },
    4 * T,
  );

  it(
    'refuses bad input in one line each, writing nothing',
    async () => {
      const { dir } = { dir: project('mlx-db-bad-') };
      ok(dir, ['experiments', 'create', 'x']);
      const url = await freshUrl();
      // unreachable target, password never shown
      const down = expectError(
        mlx(dir, ['db', 'migrate', '--from', '.mlx', '--to', 'postgresql://mlx:s3cret@127.0.0.1:9/mlx']),
        1,
        /cannot connect to postgresql:\/\/mlx@127\.0\.0\.1:9\/mlx: connection refused/,
      );
      expect(down).not.toContain('s3cret');
      // missing source, wrong schemes
      expectError(mlx(dir, ['db', 'migrate', '--from', 'nowhere', '--to', url]), 1, /no mlx store at .*nowhere/);
      expectError(mlx(dir, ['db', 'migrate', '--from', '.mlx', '--to', 'http://127.0.0.1:5000']), 1, /not a PostgreSQL URI/);
      expectError(mlx(dir, ['db', 'migrate', '--from', url, '--to', url]), 1, /is not a local store/);
      expectError(mlx(dir, ['db', 'migrate', '--from', '.mlx']), 2, /--to/);
      expect(await tableCount(url)).toBe(0);
      // non-empty target: the first copy lands, the second is refused and changes nothing
      ok(dir, ['db', 'migrate', '--from', '.mlx', '--to', url]);
      ok(dir, ['experiments', 'create', 'later']);
      expectError(mlx(dir, ['db', 'migrate', '--from', '.mlx', '--to', url]), 1, /already holds/);
      expect(mlxJson(dir, ['experiments', 'list'], { env: { MLX_TRACKING_URI: url } }).experiments.map((e: { name: string }) => e.name)).toEqual([
        'Default',
        'x',
      ]);
    },
    2 * T,
  );
});

describePg('inference logging on PostgreSQL', () => {
  it(
    'is refused in one line for an empty database too: mlx serve --log-inputs writes no SQLite file under ./postgresql:/',
    async () => {
      const dir = tempProject('mlx-db-serve-');
      fs.writeFileSync(path.join(dir, 'tab.onnx'), tabularBytes());
      const url = await freshUrl();
      expectError(
        mlx(dir, ['--tracking-uri', url, 'serve', 'tab.onnx', '--log-inputs', '--port', '0']),
        1,
        'inference logging needs a local store',
        'is a database server',
      );
      expect(fs.readdirSync(dir)).toEqual(['tab.onnx']);
      expect(await tableCount(url)).toBe(0);
    },
    T,
  );
});

describe('mlx db upgrade', () => {
  it('upgrades an older SQLite store, keeping its runs, and says when there is nothing to do', () => {
    const dir = tempProject('mlx-db-up-');
    const store = path.join(dir, '.mlx');
    const v1 = openDatabase(path.join(store, 'mlx.db'), { create: true, migrations: MIGRATIONS.slice(0, 1) });
    v1.prepare(
      "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, artifact_uri) VALUES ('r', 'old', 0, 'u', 'FINISHED', 1, 'a')",
    ).run();
    v1.close();
    expect(mlxJson(dir, ['db', 'upgrade'])).toEqual({ store, from: 1, to: SCHEMA_VERSION });
    expect(ok(dir, ['db', 'upgrade', store]).stdout).toMatch(new RegExp(`at schema version ${SCHEMA_VERSION}: nothing to do`));
    expectError(mlx(dir, ['db', 'upgrade', path.join(dir, 'none')]), 1, /no mlx store at/);
    expect(fs.existsSync(path.join(dir, 'none'))).toBe(false);
  });

  it.runIf(!!pg)(
    'refuses an older PostgreSQL store with the command to run, then upgrades it',
    async () => {
      const url = await freshUrl();
      await (await PostgresStore.open(url, { create: true, migrations: PG_MIGRATIONS.slice(0, 1) })).close();
      const dir = tempProject('mlx-db-up-pg-');
      const env = { env: { MLX_TRACKING_URI: url } };
      expectError(mlx(dir, ['runs', 'list'], env), 1, `has schema version 1, older than this mlx (${PG_SCHEMA_VERSION}); run \`mlx db upgrade ${url}\``);
      expect(mlxJson(dir, ['db', 'upgrade', url])).toEqual({ store: url, from: 1, to: PG_SCHEMA_VERSION });
      expect(mlxJson(dir, ['models', 'list'], env)).toEqual({ registered_models: [] });
      expect(mlxJson(dir, ['db', 'upgrade'], env)).toEqual({ store: url, from: PG_SCHEMA_VERSION, to: PG_SCHEMA_VERSION });
    },
    T,
  );
});
