// Data schemas kept by a tracking server (issue 23, stretch): `mlx register --schema` through
// `mlx server`, `mlx models show` and `mlx serve models:/…` reading the schema back through it, and
// the server's mlx/model-versions/schema endpoints refusing what is not a schema, too large, or for
// a version that does not exist, storing nothing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDriftData, tabularDataCsv } from '../src/models/onnx/tabular-model.js';
import { expectError, mlx, tempProject } from './helpers/cli.js';
import { postJson, startServe, stopAll } from './helpers/serve.js';
import { json, tabularBytes, tabularRows } from './helpers/serving-fixtures.js';
import { startTrackingServer, stopTrackingServers, type TrackingServer } from './helpers/tracking-server.js';

const MLX = '/api/2.0/mlx/model-versions/schema';
let dir: string;
let server: TrackingServer;
let env: Record<string, string>;
let schemaText: string;

beforeAll(async () => {
  dir = tempProject('mlx-server-schema-');
  fs.writeFileSync(path.join(dir, 'train.csv'), tabularDataCsv(seedDriftData(300, 3), { label: false }));
  const r = mlx(dir, ['data', 'profile', 'train.csv', '--out', 'schema.json']);
  expect(r.code, r.stderr).toBe(0);
  schemaText = fs.readFileSync(path.join(dir, 'schema.json'), 'utf8');
  fs.writeFileSync(path.join(dir, 'tabular.onnx'), tabularBytes());
  server = await startTrackingServer({ args: ['--max-body-mb', '0.5'] });
  env = { MLX_TRACKING_URI: server.url, MLX_MODEL_CACHE: path.join(dir, 'cache') };
}, 60_000);

afterAll(async () => {
  await stopAll();
  await stopTrackingServers();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const getSchema = async (name: string, version: string) => {
  const res = await fetch(`${server.url}${MLX}?${new URLSearchParams({ name, version })}`);
  return { status: res.status, body: JSON.parse(await res.text()) };
};
const row = (age: number) => tabularRows(1, 5).map((r) => [age, ...r.slice(1)]);

describe('data schemas through mlx server', () => {
  it('mlx register --schema through the server keeps it; models show and serve read it back', async () => {
    const r = mlx(dir, ['register', 'tabular.onnx', '--name', 'tab', '--schema', 'schema.json', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).data_schema).toBe(`${server.url}${MLX}?name=tab&version=1`);
    // Kept beside the card in the server's store, as written.
    expect(fs.readFileSync(path.join(server.dir, '.mlx', 'models', 'schemas', 'tab', 'v1.json'), 'utf8')).toBe(schemaText);
    expect((await getSchema('tab', '1')).body.schema).toBe(schemaText);

    const text = mlx(dir, ['models', 'show', 'tab/1'], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/schema\s+\d+ expectations \(\d+ checked per row by mlx serve\), inferred from train\.csv \(300 rows\)/);
    const shown = JSON.parse(mlx(dir, ['models', 'show', 'tab/1', '--json'], { env }).stdout);
    expect(shown.model_version.data_schema.expectations).toEqual(JSON.parse(schemaText).expectations);

    const served = await startServe(dir, 'models:/tab/1', [], { env });
    expect(served.stderr()).toContain('checking requests against the schema registered with models:/tab/1');
    const refused = await postJson(`${served.base}/invocations`, { instances: row(500) });
    expect(refused.status).toBe(400);
    expect((await json(refused)).message).toContain('row 0, column "age": 500 is outside [');
    expect((await postJson(`${served.base}/invocations`, { instances: tabularRows(2, 5) })).status).toBe(200);

    // The image built from the version carries the schema too.
    const c = mlx(dir, ['containerize', 'models:/tab/1', '--out', 'ctx'], { env });
    expect(c.code, c.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'ctx', 'model', 'schema.json'), 'utf8')).toBe(schemaText);
  }, 60_000);

  it('a version without a schema has none: the field is absent, models show says -', async () => {
    expect(mlx(dir, ['register', 'tabular.onnx', '--name', 'tab'], { env }).code).toBe(0);
    const got = await getSchema('tab', '2');
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ name: 'tab', version: '2' });
    expect(mlx(dir, ['models', 'show', 'tab/2'], { env }).stdout).toMatch(/schema\s+-/);
  }, 60_000);

  it('POST refuses what is not a schema, a body over the limit, a version that does not exist; nothing is stored', async () => {
    const file = path.join(server.dir, '.mlx', 'models', 'schemas', 'tab', 'v2.json');
    const post = (body: unknown) => postJson(`${server.url}${MLX}`, body);
    let r = await post({ name: 'tab', version: '2', schema: '{"version": 1, "expectations": [{"expect": "nonsense"}]}' });
    let body = await json(r);
    expect(r.status).toBe(400);
    expect(body.message).toContain('the data schema for models:/tab/2');
    r = await post({ name: 'tab', version: '2', schema: 'not json' });
    expect(r.status).toBe(400);
    expect((await json(r)).message).toContain('the data schema for models:/tab/2');
    r = await post({ name: 'tab', version: '2', schema: 'x'.repeat(600 * 1024) });
    expect(r.status).toBe(413);
    r = await post({ name: 'tab', version: '9', schema: schemaText });
    body = await json(r);
    expect(r.status).toBe(404);
    expect(body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(fs.existsSync(file)).toBe(false);
    // And a good one is stored whole.
    expect((await post({ name: 'tab', version: '2', schema: schemaText })).status).toBe(200);
    expect(fs.readFileSync(file, 'utf8')).toBe(schemaText);
  }, 60_000);

  it('a bad --schema file through the server: one line, exit 1, nothing registered', () => {
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"version": 1, "expectations": [{"expect": "range"}]}');
    const before = JSON.parse(mlx(dir, ['models', 'show', 'tab', '--json'], { env }).stdout).model_versions.length;
    expectError(mlx(dir, ['register', 'tabular.onnx', '--name', 'tab', '--schema', 'bad.json'], { env }), 1, 'bad.json');
    expect(JSON.parse(mlx(dir, ['models', 'show', 'tab', '--json'], { env }).stdout).model_versions.length).toBe(before);
  }, 60_000);

  it('renaming the model moves its schemas; deleting a version deletes its schema', async () => {
    const r = await postJson(`${server.url}/api/2.0/mlflow/registered-models/rename`, { name: 'tab', new_name: 'tabular' });
    expect(r.status).toBe(200);
    expect((await getSchema('tabular', '1')).body.schema).toBe(schemaText);
    expect(mlx(dir, ['models', 'delete', 'tabular/1'], { env }).code).toBe(0);
    expect(fs.existsSync(path.join(server.dir, '.mlx', 'models', 'schemas', 'tabular', 'v1.json'))).toBe(false);
    expect(fs.existsSync(path.join(server.dir, '.mlx', 'models', 'schemas', 'tab'))).toBe(false);
  }, 60_000);
});
