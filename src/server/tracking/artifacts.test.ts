// The artifact proxy (/api/2.0/mlflow-artifacts/artifacts/<path>: PUT, GET, DELETE, list) and
// artifacts/list for runs; paths never leave the artifact root; the registry prefix is read-only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, expectError, newRun, ok, PROXY, trackingFixture, upload, type TrackingFixture } from '../../../test/helpers/tracking.js';

let f: TrackingFixture;
beforeAll(() => {
  f = trackingFixture({ artifactsDestination: true, maxUploadBytes: 256 * 1024 });
});
afterAll(() => f.close());

const root = () => f.ctx.artifactRoot;

describe('PUT, GET, list, DELETE', () => {
  it('uploads bytes, downloads them identically, lists them, deletes them', async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
    ok(await upload(f, 'team/data/blob.bin', bytes));
    expect(fs.readFileSync(path.join(root(), 'team/data/blob.bin')).equals(Buffer.from(bytes))).toBe(true);
    const res = await f.app.request(`${PROXY}/team/data/blob.bin`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    ok(await upload(f, 'team/data/notes.txt', 'hello'));
    expect(ok(await f.get(PROXY, { path: 'team/data' })).files).toEqual([
      { path: 'blob.bin', is_dir: false, file_size: 70_000 },
      { path: 'notes.txt', is_dir: false, file_size: 5 },
    ]);
    expect(ok(await f.get(PROXY, { path: 'team' })).files).toEqual([{ path: 'data', is_dir: true }]);
    ok(await f.del(`${PROXY}/team/data/notes.txt`));
    expect(fs.existsSync(path.join(root(), 'team/data/notes.txt'))).toBe(false);
    expectError(await f.raw('GET', `${PROXY}/team/data/notes.txt`), 404, 'RESOURCE_DOES_NOT_EXIST', 'notes.txt');
    expectError(await f.del(`${PROXY}/team/data/notes.txt`), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('an upload replaces the file whole; listing a missing folder is empty', async () => {
    ok(await upload(f, 'replace/me.txt', 'first version, long'));
    ok(await upload(f, 'replace/me.txt', 'second'));
    expect(fs.readFileSync(path.join(root(), 'replace/me.txt'), 'utf8')).toBe('second');
    expect(ok(await f.get(PROXY, { path: 'nowhere/at/all' })).files ?? []).toEqual([]);
  });

  it('downloads are never run as pages of this origin: CSP sandbox and nosniff, text types for text', async () => {
    ok(await upload(f, 'pages/evil.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'));
    ok(await upload(f, 'pages/evil.html', '<script>alert(1)</script>'));
    for (const file of ['evil.svg', 'evil.html']) {
      const r = await f.raw('GET', `${PROXY}/pages/${file}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-security-policy')).toMatch(/sandbox/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('content-type')).not.toMatch(/text\/html/);
    }
    expect((await f.raw('GET', `${PROXY}/replace/me.txt`)).headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('an upload over --max-upload-mb → 413 and no file (declared or streamed)', async () => {
    expectError(await upload(f, 'big/declared.bin', new Uint8Array(300 * 1024)), 413, 'REQUEST_LIMIT_EXCEEDED');
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(64 * 1024));
        c.close();
      },
    });
    const res = await f.app.request(`${PROXY}/big/streamed.bin`, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(fs.existsSync(path.join(root(), 'big/streamed.bin'))).toBe(false);
    expect(fs.existsSync(path.join(root(), 'big/declared.bin'))).toBe(false);
    expect((fs.existsSync(path.join(root(), 'big')) ? fs.readdirSync(path.join(root(), 'big')) : []).filter((n) => n.endsWith('.upload'))).toEqual([]);
  });
});

describe('paths never escape the artifact root', () => {
  const outside = () => path.dirname(root());

  it('PUT with .. (plain or percent-encoded) is refused and writes nothing outside', async () => {
    for (const rel of [
      'a/%2e%2e%2f%2e%2e%2fescape1.txt',
      '..%2fescape2.txt',
      '%2e%2e%2Fescape3.txt',
      'a/..%2F..%2F..%2Fescape4.txt',
      '%2e%2e%2f%2e%2e%2f%2e%2e%2fescape5.txt',
    ]) {
      const r = await upload(f, rel, 'pwned');
      expect(r.status, `${rel}: ${JSON.stringify(r.body)}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    for (const n of [1, 2, 3, 4, 5]) {
      expect(fs.existsSync(path.join(outside(), `escape${n}.txt`))).toBe(false);
      expect(fs.existsSync(path.join(path.dirname(outside()), `escape${n}.txt`))).toBe(false);
    }
  });

  it('an absolute path stays inside the root', async () => {
    const marker = `mlx-abs-${process.pid}-${Date.now()}.txt`;
    const r = await upload(f, `%2F${encodeURIComponent(os.tmpdir().slice(1))}%2F${marker}`, 'pwned');
    expect(r.status).toBeLessThan(500);
    expect(fs.existsSync(path.join(os.tmpdir(), marker))).toBe(false);
  });

  it('GET and DELETE with .. are refused: the store database cannot be read or removed', async () => {
    for (const rel of ['..%2f.mlx%2fmlx.db', '%2e%2e%2f.mlx%2fmlx.db', 'x%2f..%2f..%2f.mlx%2fmlx.db']) {
      expectError(await f.raw('GET', `${PROXY}/${rel}`), 400, 'INVALID_PARAMETER_VALUE', '..');
      expectError(await f.raw('DELETE', `${PROXY}/${rel}`), 400, 'INVALID_PARAMETER_VALUE');
    }
    expect(fs.existsSync(path.join(f.store.uri, 'mlx.db'))).toBe(true);
    const passwd = await f.raw('GET', `${PROXY}/%2Fetc%2Fpasswd`);
    expect(passwd.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(passwd.body)).not.toMatch(/root:/);
  });

  it('listing with .. is refused; an absolute listing path stays inside the root', async () => {
    expectError(await f.get(PROXY, { path: '../..' }), 400, 'INVALID_PARAMETER_VALUE', '..');
    expectError(await f.get(PROXY, { path: 'a/../../..' }), 400, 'INVALID_PARAMETER_VALUE');
    const abs = await f.get(PROXY, { path: '/etc' });
    expect(abs.status).toBeLessThan(500);
    expect(JSON.stringify(abs.body)).not.toMatch(/passwd/);
  });

  it('deleting the root itself is refused', async () => {
    expect((await f.del(`${PROXY}/`)).status).toBeGreaterThanOrEqual(400);
    expect(fs.existsSync(root())).toBe(true);
  });
});

describe('_mlx-registry is read-only', () => {
  it('PUT and DELETE under _mlx-registry/ → 400; GET of an unknown version → 404', async () => {
    expectError(await upload(f, '_mlx-registry/m/1/model.onnx', 'fake'), 400, 'INVALID_PARAMETER_VALUE', '_mlx-registry');
    expectError(await f.del(`${PROXY}/_mlx-registry/m/1/model.onnx`), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await f.raw('GET', `${PROXY}/_mlx-registry/nope/1/model.onnx`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(fs.existsSync(path.join(root(), '_mlx-registry'))).toBe(false);
  });
});

describe('artifacts/list for runs', () => {
  it('lists what was uploaded to the run artifact_uri; FileInfo paths are relative to the run root', async () => {
    const { runId, run } = await newRun(f);
    const base = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
    ok(await upload(f, `${base}/model/model.onnx`, 'not really onnx'));
    ok(await upload(f, `${base}/metrics.json`, '{}'));
    const top = ok(await f.get(`${API}/artifacts/list`, { run_id: runId }));
    expect(top.root_uri).toBe(run.info.artifact_uri);
    expect(top.files).toEqual([
      { path: 'metrics.json', is_dir: false, file_size: 2 },
      { path: 'model', is_dir: true },
    ]);
    expect(ok(await f.get(`${API}/artifacts/list`, { run_id: runId, path: 'model' })).files).toEqual([
      { path: 'model/model.onnx', is_dir: false, file_size: 15 },
    ]);
    // The run's files live under the artifact root, in <experiment>/<run>/artifacts.
    expect(fs.existsSync(path.join(root(), base, 'metrics.json'))).toBe(true);
    expectError(await f.get(`${API}/artifacts/list`, { run_id: runId, path: '../../..' }), 400, 'INVALID_PARAMETER_VALUE', '..');
    expectError(await f.get(`${API}/artifacts/list`, { run_id: '78'.repeat(16) }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('downloads: validators, byte ranges and HEAD, as Flask send_file gives MLflow', () => {
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
  const get = (rel: string, headers: Record<string, string> = {}, method = 'GET') => f.app.request(`${PROXY}/${rel}`, { method, headers });

  it('a whole download carries ETag, Last-Modified and Accept-Ranges; If-None-Match and If-Modified-Since answer 304', async () => {
    ok(await upload(f, 'ranges/blob.bin', bytes));
    const whole = await get('ranges/blob.bin');
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const etag = whole.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-z-]+"$/);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const modified = whole.headers.get('last-modified')!;
    expect(new Date(modified).getTime()).toBe(Math.floor(fs.statSync(path.join(root(), 'ranges/blob.bin')).mtimeMs / 1000) * 1000);
    const current = await get('ranges/blob.bin', { 'If-None-Match': etag });
    expect(current.status).toBe(304);
    expect(await current.text()).toBe('');
    expect(current.headers.get('etag')).toBe(etag);
    expect((await get('ranges/blob.bin', { 'If-Modified-Since': modified })).status).toBe(304);
    expect((await get('ranges/blob.bin', { 'If-None-Match': '"other"' })).status).toBe(200);
    // A new upload is a new tag: the old copy is not current any more.
    ok(await upload(f, 'ranges/blob.bin', bytes.subarray(0, 999)));
    const changed = await get('ranges/blob.bin', { 'If-None-Match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    ok(await upload(f, 'ranges/blob.bin', bytes));
  });

  it('Range: 206 with Content-Range and the bytes asked for; past the end 416; If-Range with an old tag sends it whole', async () => {
    const part = await get('ranges/blob.bin', { Range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(part.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await get('ranges/blob.bin', { Range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(990))).toBe(true);
    const past = await get('ranges/blob.bin', { Range: 'bytes=1000-' });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
    const etag = (await get('ranges/blob.bin')).headers.get('etag')!;
    expect((await get('ranges/blob.bin', { Range: 'bytes=10-', 'If-Range': etag })).status).toBe(206);
    const stale = await get('ranges/blob.bin', { Range: 'bytes=10-', 'If-Range': '"old"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(1000);
  });

  it('HEAD gives the headers of the download and no body; a missing file is 404 either way', async () => {
    const head = await get('ranges/blob.bin', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1000');
    expect(head.headers.get('etag')).toMatch(/^"/);
    expect(await head.text()).toBe('');
    expect((await get('ranges/blob.bin', { Range: 'bytes=0-9' }, 'HEAD')).headers.get('content-range')).toBe('bytes 0-9/1000');
    expect((await get('ranges/missing.bin', {}, 'HEAD')).status).toBe(404);
    expect((await get('ranges/missing.bin', { Range: 'bytes=0-9' })).status).toBe(404);
  });
});
