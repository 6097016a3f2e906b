// Artifact uploads (issue 17, items 6, 13, 14): a body is cut when it stops arriving for the idle
// time (408, nothing left behind), not when it has taken long; uploads in flight live in the
// reserved .mlx-tmp/ folder, so a user's own "x.upload" is an ordinary file; and errors name paths
// as the client knows them (store-relative), never the server's folders.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Listening } from '../../src/server/listen.js';
import { startTrackingServer as startInProcess } from '../../src/server/tracking/start.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { API, artifactServer, MODEL, PROXY, type ArtifactServer } from '../helpers/artifact-servers.js';
import { mlx, tempProject } from '../helpers/cli.js';
import { call, startTrackingServer, stopServers } from '../helpers/mlx-server.js';
import { postgresForTests, type TestPostgres } from '../helpers/postgres.js';
import { rawRequest, readReply, type RawReply } from '../helpers/raw-http.js';

const pg: TestPostgres | null = await postgresForTests();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends a request body in pieces: `pieces` chunks of `size` bytes, `gapMs` apart; with `stallAfter`,
 * stops sending after that many chunks (the connection stays open) and waits for the server's answer.
 */
function trickle(
  base: string,
  p: string,
  o: { method?: string; pieces: number; size: number; gapMs: number; stallAfter?: number; contentType?: string; fill?: (i: number) => Buffer },
): Promise<RawReply> {
  const { hostname, port } = new URL(base);
  const total = o.pieces * o.size;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method: o.method ?? 'PUT',
        path: p,
        headers: { 'content-type': o.contentType ?? 'application/octet-stream', 'content-length': String(total) },
      },
      (res) => readReply(res).then(resolve, reject),
    );
    req.on('error', reject);
    void (async () => {
      for (let i = 0; i < o.pieces; i++) {
        if (o.stallAfter !== undefined && i >= o.stallAfter) return;
        if (req.destroyed) return;
        req.write(o.fill ? o.fill(i) : Buffer.alloc(o.size, i % 256));
        await sleep(o.gapMs);
      }
      req.end();
    })();
  });
}

/** Every file under dir, relative. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => !d.isDirectory())
    .map((d) => path.relative(dir, path.join(d.parentPath ?? (d as { path?: string }).path ?? dir, d.name)))
    .sort();
}

describe('idle timeout, not a total one, for uploads (in-process server on 127.0.0.1, limits scaled down)', () => {
  let dir: string;
  let root: string;
  let store: SqliteStore;
  let listening: Listening;
  let base: string;
  const logged: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-sec-idle-'));
    root = path.join(dir, 'artifact-root');
    store = new SqliteStore(path.join(dir, '.mlx'));
    // requestTimeoutMs: Node's 300 s total, scaled down to 1.5 s; the idle time: 1 s instead of 60 s.
    const started = await startInProcess(store, {
      host: '127.0.0.1',
      port: 0,
      artifactsDestination: root,
      maxBodyBytes: 1024 * 1024,
      maxUploadBytes: 64 * 1024 * 1024,
      mlxVersion: 'test',
      log: (line) => logged.push(line),
      requestTimeoutMs: 1500,
      uploadIdleTimeoutMs: 1000,
    } as Parameters<typeof startInProcess>[1]);
    listening = started.listening;
    base = listening.url;
  });

  afterAll(async () => {
    await listening?.close(100);
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a slow but steady upload that takes longer than the total limit is stored whole', async () => {
    // 24 × 8 KB, 200 ms apart: about 4.8 s, three times the (scaled) total limit, never idle for 1 s.
    const fill = (i: number) => Buffer.alloc(8192, (i * 7) % 256);
    const r = await trickle(base, `${PROXY}/slow/steady.bin`, { pieces: 24, size: 8192, gapMs: 200, fill });
    expect(r.status, r.text).toBe(200);
    const want = Buffer.concat(Array.from({ length: 24 }, (_, i) => fill(i)));
    expect(fs.readFileSync(path.join(root, 'slow', 'steady.bin')).equals(want)).toBe(true);
  });

  it('an upload that stops sending is cut with 408 after the idle time, in the error shape, and leaves nothing behind', async () => {
    const r = await trickle(base, `${PROXY}/stalled/part.bin`, { pieces: 10, size: 4096, gapMs: 50, stallAfter: 3 });
    expect(r.status, r.text).toBe(408);
    expect(Object.keys(r.json).sort()).toEqual(['error_code', 'message']);
    expect(r.json.message).toMatch(/no bytes for 1 s/);
    expect(r.json.message).toMatch(/--upload-idle-timeout/);
    // The handler notices the cut connection a moment later: wait for its clean-up, then look.
    for (let i = 0; i < 100 && filesUnder(root).some((f) => !f.startsWith('slow')); i++) await sleep(50);
    expect(filesUnder(root)).toEqual(['slow/steady.bin']);
    expect(logged.filter((l) => /internal error/.test(l))).toEqual([]);
  });

  it('a JSON body that stops sending is cut the same way; one that trickles past the total limit too (only uploads are exempt)', async () => {
    const body = Buffer.from(JSON.stringify({ name: 'x'.repeat(399) }));
    expect(body.length).toBe(410);
    const stalled = await trickle(base, `${API}/experiments/create`, {
      method: 'POST',
      contentType: 'application/json',
      pieces: 41,
      size: 10,
      gapMs: 10,
      stallAfter: 2,
      fill: (i) => body.subarray(i * 10, i * 10 + 10),
    });
    expect(stalled.status, stalled.text).toBe(408);
    const slow = await trickle(base, `${API}/experiments/create`, {
      method: 'POST',
      contentType: 'application/json',
      pieces: 41,
      size: 10,
      gapMs: 100,
      fill: (i) => body.subarray(i * 10, i * 10 + 10),
    });
    expect(slow.status, slow.text).toBe(408);
    expect(slow.json.message).toMatch(/1\.5 s|2 s/);
    expect(logged.filter((l) => /internal error/.test(l))).toEqual([]);
  });

  it('a server still answers after cutting bodies, and headers still have a time limit', async () => {
    expect((await rawRequest(base, `${PROXY}/slow/steady.bin`)).status).toBe(200);
    expect(listening.server.headersTimeout).toBeGreaterThan(0);
    expect(listening.server.headersTimeout).toBeLessThanOrEqual(60_000);
  });
});

describe('mlx server --upload-idle-timeout', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempProject('mlx-sec-flag-');
  });
  afterAll(async () => {
    await stopServers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a spawned server cuts a stalled upload after the given seconds: 408 naming them, no file, no temporary file', async () => {
    const s = await startTrackingServer(dir, ['--backend-store-uri', path.join(dir, '.mlx'), '--upload-idle-timeout', '1']);
    const r = await trickle(s.base, `${PROXY}/team/model.onnx`, { pieces: 8, size: 1024, gapMs: 20, stallAfter: 2 });
    expect(r.status, r.text).toBe(408);
    expect(r.json.message).toMatch(/no bytes for 1 s.*--upload-idle-timeout/);
    const artifacts = path.join(dir, '.mlx', 'artifacts');
    for (let i = 0; i < 100 && filesUnder(artifacts).length > 0; i++) await sleep(50);
    expect(filesUnder(artifacts)).toEqual([]);
    expect(s.stderr()).not.toMatch(/internal error/);
  });

  it('a .mlx-tmp planted in the artifact root as a link: the server refuses to start (one line, exit 1) and touches nothing behind it', () => {
    const project = tempProject('mlx-sec-tmplink-');
    try {
      const elsewhere = path.join(project, 'elsewhere');
      fs.mkdirSync(elsewhere);
      fs.writeFileSync(path.join(elsewhere, 'old.part'), 'keep');
      fs.utimesSync(path.join(elsewhere, 'old.part'), new Date(2000, 0, 1), new Date(2000, 0, 1));
      fs.mkdirSync(path.join(project, 'root'));
      fs.symlinkSync(elsewhere, path.join(project, 'root', '.mlx-tmp'));
      const r = mlx(project, [
        'server',
        '--port',
        '0',
        '--backend-store-uri',
        path.join(project, '.mlx'),
        '--artifacts-destination',
        path.join(project, 'root'),
      ]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/\.mlx-tmp .*not a folder/);
      expect(fs.readdirSync(elsewhere)).toEqual(['old.part']);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it('bad values are usage errors naming the flag', () => {
    for (const v of ['0', '-1', 'soon', '100000']) {
      const r = mlx(dir, ['server', '--port', '0', '--upload-idle-timeout', v]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--upload-idle-timeout/);
    }
  });
});

describe('uploads in flight are not in the artifact tree', () => {
  let s: ArtifactServer;
  beforeAll(async () => {
    s = await artifactServer('sqlite', null, ['--upload-idle-timeout', '2']);
  }, 60_000);
  afterAll(async () => {
    await stopServers();
    fs.rmSync(s.dir, { recursive: true, force: true });
  });

  it('files named *.upload are ordinary artifacts: listed, downloaded, deleted', async () => {
    const names = ['x.upload', 'weights.bin.upload', `model.onnx.${process.pid}.${Date.now()}.upload`];
    for (const n of names) expect((await rawRequest(s.server.base, `${PROXY}/${s.runBase}/user/${n}`, { method: 'PUT', body: n })).status).toBe(200);
    const listed = await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(`${s.runBase}/user`)}`);
    expect(listed.json.files.map((f: { path: string }) => f.path)).toEqual([...names].sort());
    const runs = await call(s.server.base, 'GET', `${API}/artifacts/list`, { run_id: s.runId, path: 'user' });
    expect(runs.body.files.map((f: { path: string }) => f.path)).toEqual([...names].sort().map((n) => `user/${n}`));
    for (const n of names) expect((await rawRequest(s.server.base, `${PROXY}/${s.runBase}/user/${n}`)).text).toBe(n);
    expect((await rawRequest(s.server.base, `${PROXY}/${s.runBase}/user/x.upload`, { method: 'DELETE' })).status).toBe(200);
  });

  it('while an upload streams, its bytes are in .mlx-tmp/ (reserved, not listed), not beside the destination', async () => {
    const folder = path.join(s.root, s.runBase, 'inflight');
    fs.mkdirSync(folder, { recursive: true });
    const pending = trickle(s.server.base, `${PROXY}/${s.runBase}/inflight/big.bin`, { pieces: 20, size: 4096, gapMs: 100 });
    let seen: string[] = [];
    for (let i = 0; i < 100 && seen.length === 0; i++) {
      await sleep(20);
      seen = filesUnder(path.join(s.root, '.mlx-tmp'));
    }
    expect(seen).toHaveLength(1);
    expect(fs.readdirSync(folder)).toEqual([]);
    expect((await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(`${s.runBase}/inflight`)}`)).json.files ?? []).toEqual([]);
    expect((await rawRequest(s.server.base, PROXY)).json.files.map((f: { path: string }) => f.path)).not.toContain('.mlx-tmp');
    expect((await pending).status).toBe(200);
    expect(fs.readdirSync(folder)).toEqual(['big.bin']);
    expect(filesUnder(path.join(s.root, '.mlx-tmp'))).toEqual([]);
  });
});

describe.each([['sqlite'], ...(pg ? [['postgresql']] : [])] as ['sqlite' | 'postgresql'][])(
  '%s: errors name store-relative paths, never the server folders',
  (backend) => {
    let s: ArtifactServer;
    beforeAll(async () => {
      s = await artifactServer(backend, pg);
    }, 60_000);
    afterAll(async () => {
      await stopServers();
      fs.rmSync(s.dir, { recursive: true, force: true });
    });
    const noPath = (text: string) => {
      expect(text).not.toContain(s.dir);
      expect(text).not.toContain(fs.realpathSync(s.dir));
      expect(text).not.toMatch(/internal error/);
    };

    it('a registered model whose file was changed or removed: 400 / 404 naming models/sha256/<hash>.onnx', async () => {
      const file = path.join(s.registry, 'models', 'sha256', `${s.hash}.onnx`);
      const saved = fs.readFileSync(file);
      fs.writeFileSync(file, Buffer.concat([saved, Buffer.from('x')]));
      const changed = await rawRequest(s.server.base, `${PROXY}/_mlx-registry/${MODEL}/1/model.onnx`);
      expect(changed.status, changed.text).toBe(400);
      expect(changed.json.message).toContain(`models/sha256/${s.hash}.onnx`);
      noPath(changed.text);
      fs.rmSync(file);
      const gone = await rawRequest(s.server.base, `${PROXY}/_mlx-registry/${MODEL}/1/model.onnx`);
      expect(gone.status, gone.text).toBe(404);
      expect(gone.json.message).toContain(`models/sha256/${s.hash}.onnx`);
      noPath(gone.text);
      const fromRegistry = await call(s.server.base, 'POST', `${API}/model-versions/create`, { name: 'copy', source: `models:/${MODEL}/1` });
      expect(fromRegistry.status, JSON.stringify(fromRegistry.body)).toBe(404);
      noPath(JSON.stringify(fromRegistry.body));
      fs.writeFileSync(file, saved);
    });

    it('an upload onto a folder, or under a file: 400 saying so, with the artifact path', async () => {
      const onFolder = await rawRequest(s.server.base, `${PROXY}/${s.runBase}/model`, { method: 'PUT', body: 'x' });
      expect(onFolder.status, onFolder.text).toBe(400);
      expect(onFolder.json.message).toContain(`${s.runBase}/model`);
      expect(onFolder.json.message).toMatch(/folder/);
      noPath(onFolder.text);
      const underFile = await rawRequest(s.server.base, `${PROXY}/${s.runBase}/model/model.onnx/inner.txt`, { method: 'PUT', body: 'x' });
      expect(underFile.status, underFile.text).toBe(400);
      expect(underFile.json.message).toMatch(/is a file/);
      noPath(underFile.text);
      expect(fs.statSync(path.join(s.root, s.runBase, 'model', 'model.onnx')).size).toBe(s.onnx.byteLength);
    });
  },
);
