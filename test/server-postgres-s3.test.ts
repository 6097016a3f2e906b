// Issue 23's headline case: `mlx server` replicas on one PostgreSQL database with
// `--artifacts-destination s3://…` (s3rver on 127.0.0.1), sharing no disk. Registered model files,
// cards and schemas live in the bucket under <destination>/_mlx-registry/; every replica reads what
// another wrote; downloads are checked against the version's sha256; deleting the last version using
// some bytes removes them from the bucket; nothing half-written is ever visible.
import fs from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDriftData, tabularDataCsv } from '../src/models/onnx/tabular-model.js';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';
import { call, killServer, startTrackingServer, stopServers, type TrackingServer } from './helpers/mlx-server.js';
import { sha256 } from './helpers/models.js';
import { postgresForTests, type TestPostgres } from './helpers/postgres.js';
import { bucketKeys, s3Client, startS3, type TestS3 } from './helpers/s3.js';
import { startServe, stopAll } from './helpers/serve.js';
import { imageBytes, tabularBytes, tabularExpected, tabularRows } from './helpers/serving-fixtures.js';

const API = '/api/2.0/mlflow';
const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const DEST = 's3://mlx/team';
const REG = 'team/_mlx-registry';

const pg: TestPostgres | null = await postgresForTests();
const describePg = pg ? describe : describe.skip;
let s3: TestS3;
let client: S3Client;
let dir: string;
let url: string;
let servers: TrackingServer[] = [];
/** Each replica's model cache (emptied to make it fetch from the bucket again) and temporary folder. */
const cacheOf = (i: number) => path.join(dir, `cache-${i}`);
const tmpOf = (i: number) => path.join(dir, `tmp-${i}`);

beforeAll(async () => {
  if (!pg) return;
  dir = tempProject('mlx-pg-s3-');
  s3 = await startS3(['mlx']);
  client = s3Client(s3);
  url = pg.url(await pg.createDatabase());
  const start = (i: number) => {
    fs.mkdirSync(tmpOf(i), { recursive: true });
    return startTrackingServer(dir, ['--backend-store-uri', url, '--artifacts-destination', DEST], {
      ...s3.env,
      MLX_MODEL_CACHE: cacheOf(i),
      TMPDIR: tmpOf(i),
    });
  };
  servers = await Promise.all([start(0), start(1)]);
}, 120_000);

afterAll(async () => {
  await stopAll();
  await stopServers();
  client?.destroy();
  await s3?.close();
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every key in the bucket under prefix. */
const keys = (prefix: string) => bucketKeys(client, 'mlx', prefix);

const envOf = (s: TrackingServer) => ({ ...s3.env, MLX_TRACKING_URI: s.base, MLX_MODEL_CACHE: path.join(dir, 'client-cache') });

async function post(base: string, endpoint: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${API}/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

describePg('mlx server on PostgreSQL with --artifacts-destination s3://…', () => {
  it('two replicas start on one database and one bucket, and keep nothing in the working folder', () => {
    for (const s of servers) expect(s.stderr()).toMatch(/tracking server listening on .*\(store postgresql:\/\/.*, artifacts s3:\/\/mlx\/team\)/);
    expect(fs.readdirSync(dir).sort()).toEqual(['tmp-0', 'tmp-1']);
  });

  it('mlx register through one replica stores the bytes and card in the bucket; the other shows, renders and downloads them', async () => {
    const [a, b] = servers;
    const bytes = tabularBytes();
    fs.writeFileSync(path.join(dir, 'clf.onnx'), bytes);
    const reg = mlxJson(dir, ['register', 'clf.onnx', '--name', 'clf', '--alias', 'champion'], { env: envOf(a) });
    expect(reg.model_version).toMatchObject({ name: 'clf', version: 1 });
    const hash = sha256(bytes);
    // The bytes by sha256 and the card in the registry prefix; the CLI's upload is gone once copied.
    expect(await keys(`${REG}/`)).toEqual([`${REG}/models/cards/clf/v1.md`, `${REG}/models/sha256/${hash}.onnx`]);
    expect(await keys('team/_mlx/')).toEqual([]);

    const shown = mlxJson(dir, ['models', 'show', 'clf/1'], { env: envOf(b) });
    expect(JSON.stringify(shown)).toContain(hash);
    const card = mlx(dir, ['models', 'card', 'clf/1'], { env: envOf(b) });
    expect(card.code, card.stderr).toBe(0);
    expect(card.stdout).toContain('clf');
    // An edited card written through B is read through A.
    expect((await post(b.base, '../mlx/model-versions/card', { name: 'clf', version: '1', markdown: '# edited card\n' })).status).toBe(200);
    expect((await call(a.base, 'GET', '/api/2.0/mlx/model-versions/card', { name: 'clf', version: '1' })).body.markdown).toBe('# edited card\n');

    const down = await fetch(`${b.base}${PROXY}/_mlx-registry/clf/1/model.onnx`);
    expect(down.status).toBe(200);
    expect(sha256(new Uint8Array(await down.arrayBuffer()))).toBe(hash);
  }, 120_000);

  it("MLflow's Python-client flow: an upload to the proxy lands in the bucket, model-versions/create copies it into the registry prefix", async () => {
    const [a, b] = servers;
    const bytes = imageBytes();
    expect((await fetch(`${a.base}${PROXY}/uploads/img/model.onnx`, { method: 'PUT', body: bytes })).status).toBe(200);
    expect(await keys('team/uploads/')).toEqual(['team/uploads/img/model.onnx']);
    const created = await post(b.base, 'model-versions/create', { name: 'img', source: 'mlflow-artifacts:/uploads/img' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.model_version).toMatchObject({ name: 'img', version: '1', source: 'mlflow-artifacts:/uploads/img' });
    expect(await keys(`${REG}/models/sha256/`)).toContain(`${REG}/models/sha256/${sha256(bytes)}.onnx`);
    // The version is there for the other replica at once.
    const got = await call(a.base, 'GET', `${API}/model-versions/get-download-uri`, { name: 'img', version: '1' });
    expect(got.body.artifact_uri).toBe('mlflow-artifacts:/uploads/img');
    const ours = await fetch(`${a.base}${PROXY}/_mlx-registry/img/1/model.onnx`);
    expect(sha256(new Uint8Array(await ours.arrayBuffer()))).toBe(sha256(bytes));
  }, 120_000);

  it('12 registrations of one new model at once over both replicas: versions 1..12, one object, each readable through either', async () => {
    const bytes = tabularBytes({ logits: true });
    expect((await fetch(`${servers[0].base}${PROXY}/uploads/many.onnx`, { method: 'PUT', body: bytes })).status).toBe(200);
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post(servers[i % 2].base, 'model-versions/create', { name: 'many', source: 'mlflow-artifacts:/uploads/many.onnx' })),
    );
    for (const c of created) expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(created.map((c) => Number(c.body.model_version.version)).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await keys(`${REG}/models/sha256/${sha256(bytes)}`)).toEqual([`${REG}/models/sha256/${sha256(bytes)}.onnx`]);
    for (const v of [1, 12]) {
      const res = await fetch(`${servers[v % 2].base}${PROXY}/_mlx-registry/many/${v}/model.onnx`);
      expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(bytes));
    }
    const del = await fetch(`${servers[1].base}${API}/registered-models/delete`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'many' }),
    });
    expect(del.status).toBe(200);
    expect(await keys(`${REG}/models/sha256/${sha256(bytes)}`)).toEqual([]);
    expect(await keys(`${REG}/models/cards/many/`)).toEqual([]);
  }, 120_000);

  it('mlx serve models:/clf/1 and mlx containerize models:/clf@champion against a replica', async () => {
    const [, b] = servers;
    const serve = await startServe(dir, 'models:/clf/1', [], { env: envOf(b) });
    const rows = tabularRows(3);
    const res = await fetch(`${serve.base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: rows }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(res.headers.get('x-mlx-model-version')).toBe('1');
    const { predictions } = JSON.parse(text) as { predictions: number[][] };
    const expected = tabularExpected(rows);
    expect(predictions).toHaveLength(expected.length);
    predictions.forEach((p, i) => p.forEach((x, j) => expect(x).toBeCloseTo(expected[i][j], 5)));

    const c = mlx(dir, ['containerize', 'models:/clf@champion', '--out', 'ctx', '--json'], { env: envOf(b) });
    expect(c.code, c.stderr).toBe(0);
    const onnx = (fs.readdirSync(path.join(dir, 'ctx'), { recursive: true }) as string[]).filter((f) => f.endsWith('.onnx'));
    expect(onnx).toHaveLength(1);
    expect(sha256(fs.readFileSync(path.join(dir, 'ctx', onnx[0])))).toBe(sha256(tabularBytes()));
  }, 120_000);

  it('a tampered object in the bucket is refused on download, naming the version; registering the bytes again repairs it', async () => {
    const [a] = servers;
    const hash = sha256(tabularBytes());
    const key = `${REG}/models/sha256/${hash}.onnx`;
    const damaged = Buffer.from(tabularBytes());
    damaged[damaged.length - 1] ^= 0xff;
    await client.send(new PutObjectCommand({ Bucket: 'mlx', Key: key, Body: damaged }));
    fs.rmSync(cacheOf(0), { recursive: true, force: true });
    const res = await fetch(`${a.base}${PROXY}/_mlx-registry/clf/1/model.onnx`);
    const body = await res.text();
    expect(res.status).toBe(400);
    expect(body).toContain(`the model file of models:/clf/1 (${DEST}/_mlx-registry/models/sha256/${hash}.onnx) does not match its recorded sha256`);
    // A client serving it is told the same, in one line, exit 1.
    const p = mlx(dir, ['predict', 'models:/clf/1', '--input', writeRows()], { env: { ...envOf(a), MLX_MODEL_CACHE: path.join(dir, 'fresh-cache') } });
    expectError(p, 1, 'models:/clf/1', 'does not match its recorded sha256');
    fs.writeFileSync(path.join(dir, 'clf.onnx'), tabularBytes());
    expect(mlx(dir, ['register', 'clf.onnx', '--name', 'clf'], { env: envOf(a) }).code).toBe(0);
    const again = await fetch(`${a.base}${PROXY}/_mlx-registry/clf/1/model.onnx`);
    expect(again.status).toBe(200);
    expect(sha256(new Uint8Array(await again.arrayBuffer()))).toBe(hash);
  }, 120_000);

  it('refused or cut registrations leave no object in the bucket', async () => {
    const [a, b] = servers;
    const before = await keys('team/');
    // A wrong sha256 from the client: refused before anything is stored.
    const bytes = imageBytes();
    expect((await fetch(`${a.base}${PROXY}/cut/ok.onnx`, { method: 'PUT', body: bytes })).status).toBe(200);
    const refusedSha = await post(b.base, 'model-versions/create', {
      name: 'bad',
      source: 'mlflow-artifacts:/cut/ok.onnx',
      tags: [{ key: 'mlx.sha256', value: 'ab'.repeat(32) }],
    });
    expect(refusedSha.status).toBe(400);
    expect(refusedSha.body.message).toMatch(/not abab.* as the client said/);
    // Not an ONNX model, and the client said it expects one.
    expect((await fetch(`${a.base}${PROXY}/cut/junk.onnx`, { method: 'PUT', body: 'not a model' })).status).toBe(200);
    const junk = await post(b.base, 'model-versions/create', {
      name: 'bad',
      source: 'mlflow-artifacts:/cut/junk.onnx',
      tags: [{ key: 'mlx.labels', value: '["a"]' }],
    });
    expect(junk.status).toBe(400);
    // An upload cut midway: no object appears.
    const ac = new AbortController();
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(64 * 1024));
      },
      pull() {
        ac.abort();
      },
    });
    await fetch(`${a.base}${PROXY}/cut/half.onnx`, { method: 'PUT', body, signal: ac.signal, duplex: 'half' } as RequestInit).catch(() => undefined);
    const after = await keys('team/');
    expect(after.filter((k) => !before.includes(k))).toEqual(['team/cut/junk.onnx', 'team/cut/ok.onnx']);
    expect((await call(a.base, 'GET', `${API}/registered-models/get`, { name: 'bad' })).status).toBe(404);
  }, 60_000);

  it('renaming a model moves its cards in the bucket; deleting the last version using some bytes removes them', async () => {
    const [a, b] = servers;
    const renamed = await post(a.base, 'registered-models/rename', { name: 'img', new_name: 'images' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(await keys(`${REG}/models/cards/`)).toEqual([`${REG}/models/cards/clf/v1.md`, `${REG}/models/cards/clf/v2.md`, `${REG}/models/cards/images/v1.md`]);
    const card = await call(b.base, 'GET', '/api/2.0/mlx/model-versions/card', { name: 'images', version: '1' });
    expect(card.body.markdown).toContain('images');

    const imgKey = `${REG}/models/sha256/${sha256(imageBytes())}.onnx`;
    expect(await keys(imgKey)).toEqual([imgKey]);
    const del = mlx(dir, ['models', 'delete', 'images/1'], { env: envOf(b) });
    expect(del.code, del.stderr).toBe(0);
    expect(await keys(imgKey)).toEqual([]);
    expect(await keys(`${REG}/models/cards/images/`)).toEqual([]);
    // Bytes another version still uses stay: clf/1 and clf/2 share them.
    const clfKey = `${REG}/models/sha256/${sha256(tabularBytes())}.onnx`;
    expect(mlx(dir, ['models', 'delete', 'clf/2'], { env: envOf(a) }).code).toBe(0);
    expect(await keys(clfKey)).toEqual([clfKey]);
    expect(mlx(dir, ['models', 'delete', 'clf', '--force'], { env: envOf(a) }).code).toBe(0);
    expect(await keys(`${REG}/`)).toEqual([]);
  }, 60_000);

  it('a version whose object is gone says so, naming the version', async () => {
    const [a] = servers;
    fs.writeFileSync(path.join(dir, 'gone.onnx'), tabularBytes());
    expect(mlx(dir, ['register', 'gone.onnx', '--name', 'gone'], { env: envOf(a) }).code).toBe(0);
    await client.send(new DeleteObjectCommand({ Bucket: 'mlx', Key: `${REG}/models/sha256/${sha256(tabularBytes())}.onnx` }));
    fs.rmSync(cacheOf(0), { recursive: true, force: true });
    const res = await fetch(`${a.base}${PROXY}/_mlx-registry/gone/1/model.onnx`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('the model file of models:/gone/1');
  }, 60_000);

  it('mlx register --schema through one replica keeps the schema in the bucket; the other shows it; deleting the model removes it', async () => {
    const [a, b] = servers;
    fs.writeFileSync(path.join(dir, 'train.csv'), tabularDataCsv(seedDriftData(100, 3), { label: false }));
    expect(mlx(dir, ['data', 'profile', 'train.csv', '--out', 'schema.json']).code).toBe(0);
    fs.writeFileSync(path.join(dir, 'sch.onnx'), tabularBytes());
    const r = mlx(dir, ['register', 'sch.onnx', '--name', 'sch', '--schema', 'schema.json'], { env: envOf(a) });
    expect(r.code, r.stderr).toBe(0);
    expect(await keys(`${REG}/models/schemas/`)).toEqual([`${REG}/models/schemas/sch/v1.json`]);
    const shown = mlxJson(dir, ['models', 'show', 'sch/1'], { env: envOf(b) });
    expect(shown.model_version.data_schema.expectations).toEqual(JSON.parse(fs.readFileSync(path.join(dir, 'schema.json'), 'utf8')).expectations);
    expect(mlx(dir, ['models', 'delete', 'sch', '--force'], { env: envOf(b) }).code).toBe(0);
    expect(await keys(`${REG}/models/schemas/`)).toEqual([]);
  }, 60_000);

  it('wrong credentials or a missing bucket stop the start in one line, exit 1, leaving no temporary folder', () => {
    const tmp = path.join(dir, 'tmp-refused');
    fs.mkdirSync(tmp);
    const args = ['server', '--port', '0', '--backend-store-uri', url];
    expectError(
      mlx(dir, [...args, '--artifacts-destination', 's3://no-such-bucket/x'], { env: { ...s3.env, TMPDIR: tmp } }),
      1,
      'the bucket of s3://no-such-bucket/x does not exist',
    );
    expectError(
      mlx(dir, [...args, '--artifacts-destination', DEST], { env: { ...s3.env, AWS_ACCESS_KEY_ID: 'NOPE', TMPDIR: tmp } }),
      1,
      `refused access to ${DEST} (InvalidAccessKeyId`,
    );
    expect(fs.readdirSync(tmp)).toEqual([]);
  }, 60_000);
});

function writeRows(): string {
  const file = path.join(dir, 'rows.jsonl');
  fs.writeFileSync(file, `${JSON.stringify(tabularRows(1)[0])}\n`);
  return file;
}

describePg('a registry kept in a shared folder, moved to the bucket', () => {
  it('versions recorded store-relative find their files after `aws s3 sync <dir>/_mlx-registry s3://…/_mlx-registry`', async () => {
    const db = pg!.url(await pg!.createDatabase());
    const shared = path.join(dir, 'shared');
    const folder = await startTrackingServer(dir, ['--backend-store-uri', db, '--artifacts-destination', shared]);
    fs.writeFileSync(path.join(dir, 'moved.onnx'), imageBytes());
    expect(mlx(dir, ['register', 'moved.onnx', '--name', 'moved'], { env: envOf(folder) }).code).toBe(0);
    await killServer(folder);
    // What `aws s3 sync` does: plain PUTs, without mlx's sha256 metadata.
    const root = path.join(shared, '_mlx-registry');
    for (const rel of fs.readdirSync(root, { recursive: true }) as string[]) {
      const file = path.join(root, rel);
      if (fs.statSync(file).isFile())
        await client.send(new PutObjectCommand({ Bucket: 'mlx', Key: `moved/_mlx-registry/${rel.split(path.sep).join('/')}`, Body: fs.readFileSync(file) }));
    }
    fs.rmSync(shared, { recursive: true, force: true });
    const bucket = await startTrackingServer(dir, ['--backend-store-uri', db, '--artifacts-destination', 's3://mlx/moved'], {
      ...s3.env,
      MLX_MODEL_CACHE: path.join(dir, 'cache-moved'),
    });
    const res = await fetch(`${bucket.base}${PROXY}/_mlx-registry/moved/1/model.onnx`);
    expect(res.status).toBe(200);
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(imageBytes()));
    const card = await call(bucket.base, 'GET', '/api/2.0/mlx/model-versions/card', { name: 'moved', version: '1' });
    expect(card.body.markdown).toContain('moved');
    // Deleting the version frees its object in the bucket.
    expect(mlx(dir, ['models', 'delete', 'moved/1'], { env: envOf(bucket) }).code).toBe(0);
    expect(await keys('moved/_mlx-registry/models/sha256/')).toEqual([]);
    await killServer(bucket);
  }, 120_000);
});
