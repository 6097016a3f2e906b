// Store URIs as MLflow users write them, on `mlx server` and every command: sqlite:///DIR/mlx.db
// (SQLAlchemy's spelling), file:./rel and file:///abs; MLflow's own database and file store are
// refused in one line. Spawned servers on 127.0.0.1, real SQLite files.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { expectError, filesUnder, mlx, runsOf, tempProjects } from './helpers/cli.js';
import { startTrackingServer, stopServers } from './helpers/mlx-server.js';

const T = 90_000;
const { project, removeAll } = tempProjects('mlx-store-uris-');

afterAll(async () => {
  await stopServers();
  removeAll();
});

describe('sqlite:/// and file: store URIs', () => {
  it(
    'sqlite:///DIR/mlx.db (relative) and sqlite:////ABS/DIR/mlx.db are the mlx store in DIR; files beside mlx.db',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, ['--backend-store-uri', 'sqlite:///mlflow/mlx.db']);
      const env = { MLX_TRACKING_URI: s.base };
      expect(mlx(dir, ['run', '--experiment', 'e', '--', process.execPath, '-e', 'console.log(1)'], { env }).code).toBe(0);
      const [run] = runsOf(dir, env, 'e');
      expect(fs.existsSync(path.join(dir, 'mlflow/mlx.db'))).toBe(true);
      expect(filesUnder(path.join(dir, 'mlflow/artifacts'))).toContain(path.join(run.experiment_id, run.run_id, 'artifacts/logs/output.txt'));
      // The same store through the CLI, spelled both ways.
      expect(runsOf(dir, { MLX_TRACKING_URI: `sqlite:///${path.join(dir, 'mlflow/mlx.db')}` }, 'e')[0].run_id).toBe(run.run_id);
      expect(runsOf(dir, { MLX_TRACKING_URI: 'sqlite:///mlflow/mlx.db' }, 'e')[0].run_id).toBe(run.run_id);
    },
    T,
  );

  it(
    'file:./rel and file:///abs stores, and --artifacts-destination file:./rel stays under the working folder',
    async () => {
      const dir = project();
      const s = await startTrackingServer(dir, ['--backend-store-uri', 'file:./rel-store', '--artifacts-destination', 'file:./mlruns/artifacts']);
      expect(s.stderr()).toContain(`store ${path.join(dir, 'rel-store')}, artifacts ${path.join(dir, 'mlruns/artifacts')}`);
      const t = await startTrackingServer(dir, ['--backend-store-uri', `file://${path.join(dir, 'abs-store')}`]);
      expect(t.stderr()).toContain(`store ${path.join(dir, 'abs-store')}`);
      expect(fs.existsSync(path.join(dir, 'rel-store/mlx.db')) && fs.existsSync(path.join(dir, 'abs-store/mlx.db'))).toBe(true);
    },
    T,
  );

  it('MLflow’s database, a missing other name, a non-SQLite file, :memory: — one line each, exit 2, nothing created', () => {
    const dir = project();
    const db = new Database(path.join(dir, 'mlflow.db'));
    db.exec(
      "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL); INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1'); CREATE TABLE experiments (x)",
    );
    db.close();
    fs.writeFileSync(path.join(dir, 'notes.db'), 'not a database');
    const before = fs.readdirSync(dir).sort();
    expectError(
      mlx(dir, ['server', '--port', '0', '--backend-store-uri', 'sqlite:///mlflow.db']),
      2,
      '"sqlite:///mlflow.db" is an MLflow database (it has MLflow\'s alembic_version table), which mlx cannot read',
      'sqlite:///mlflow/mlx.db',
    );
    expectError(
      mlx(dir, ['server', '--port', '0', '--backend-store-uri', 'sqlite:////data/new.db']),
      2,
      'mlx keeps its SQLite store as a folder holding mlx.db',
      'give sqlite:////data/new/mlx.db (the store folder "/data/new")',
    );
    expectError(mlx(dir, ['server', '--port', '0', '--backend-store-uri', 'sqlite:///notes.db']), 2, 'which is not a SQLite database');
    expectError(mlx(dir, ['server', '--port', '0', '--backend-store-uri', 'sqlite:///:memory:']), 2, 'is not a SQLite file URI mlx can keep a store at');
    expectError(mlx(dir, ['runs', 'list', '--tracking-uri', 'sqlite:///mlflow.db']), 2, 'is an MLflow database');
    // MLflow's file store (mlflow server's default ./mlruns): refused, not mixed with mlx's files.
    fs.mkdirSync(path.join(dir, 'mlruns/0'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'mlruns/0/meta.yaml'), 'artifact_location: mlflow-artifacts:/0\nexperiment_id: "0"\nname: Default\n');
    const mlruns = fs.readdirSync(path.join(dir, 'mlruns'));
    expectError(
      mlx(dir, ['server', '--port', '0', '--backend-store-uri', 'file:./mlruns']),
      2,
      `"${path.join(dir, 'mlruns')}" is an MLflow file store (mlruns: it has 0/meta.yaml), which mlx cannot read`,
    );
    expectError(mlx(dir, ['runs', 'list', '--tracking-uri', './mlruns']), 2, 'is an MLflow file store');
    expect(fs.readdirSync(path.join(dir, 'mlruns'))).toEqual(mlruns);
    expect(fs.readdirSync(dir).sort()).toEqual([...before, 'mlruns'].sort());
  });
});
