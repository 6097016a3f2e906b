// The artifact proxy's paths (issue 17, item 1): a path is decoded once, then every segment is
// checked (no "", ".", "..", "\", NUL) before anything else, and the reserved top-level names
// (_mlx-registry/, the server's .mlx-tmp/) are matched on what the path names, in any case, not
// on its spelling. Run against a PostgreSQL-backed server (the registry's files live under the
// artifact root, in _mlx-registry/) and a SQLite-backed one (they live in the store folder).
// Requests go out with node:http so "./", "x/../" and "//" reach the server as written; literal
// "./" and "../" are then resolved by the URL parser before routing (RFC 3986, as nginx and every
// client do), so what is checked is what is used; encoded ones (%2e, %2f) are refused.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactServer, MODEL, PROXY, snapshot, type ArtifactServer } from '../helpers/artifact-servers.js';
import { stopServers } from '../helpers/mlx-server.js';
import { postgresForTests, type TestPostgres } from '../helpers/postgres.js';
import { rawRequest, type RawReply } from '../helpers/raw-http.js';

const pg: TestPostgres | null = await postgresForTests();
const servers: Partial<Record<'sqlite' | 'postgresql', ArtifactServer>> = {};

beforeAll(async () => {
  const [s, p] = await Promise.all([artifactServer('sqlite', null), pg ? artifactServer('postgresql', pg) : Promise.resolve(undefined)]);
  servers.sqlite = s;
  servers.postgresql = p;
}, 90_000);

afterAll(async () => {
  await stopServers();
  await pg?.stop();
  for (const s of Object.values(servers)) if (s) fs.rmSync(s.dir, { recursive: true, force: true });
});

/** A refusal: 4xx in MLflow's error shape, one line, no absolute path of the server, nothing of the registry's. */
function expectRefused(r: RawReply, s: ArtifactServer, what: string, status = 400): void {
  expect(r.status, `${what}: ${r.text}`).toBe(status);
  expect(Object.keys(r.json ?? {}).sort(), `${what}: ${r.text}`).toEqual(['error_code', 'message']);
  expect(r.json.message).not.toContain('\n');
  expect(r.json.message, what).not.toContain(s.dir);
}

const backends = [['sqlite', () => servers.sqlite!] as const, ...(pg ? [['postgresql', () => servers.postgresql!] as const] : [])];

describe.each(backends)('%s: the registry stays read-only whatever the spelling', (_name, get) => {
  const card = () => `_mlx-registry/models/cards/${MODEL}/v1.md`;
  const bytes = () => `_mlx-registry/models/sha256/${get().hash}.onnx`;
  const rootName = () => path.basename(get().root);

  /** Spellings of a path into the registry: percent-encoded, literal, backslash, doubled slashes, case, re-entering the root by name. */
  const spellings = (target: string) => [
    `.%2f${target}`,
    `%2e%2f${target}`,
    `.%2F.%2F${target}`,
    `x%2f..%2f${target}`,
    `x%2f%2e%2e%2f${target}`,
    `x%2F%2E%2E%2F${target}`,
    `./${target}`,
    `x/../${target}`,
    `/${target}`,
    `.%5c${target}`,
    `x%5c..%5c${target}`,
    `..%2f${rootName()}%2f${target}`,
    target.replace('_mlx-registry', '_MLX-Registry'),
    target.replace('_mlx-registry', '_mlx-registry.'),
  ];

  it('PUT over a model card or the model bytes: 400 for every spelling, and the registry is byte-for-byte unchanged', async () => {
    const s = get();
    const before = snapshot(path.join(s.registry, 'models'));
    expect(Object.keys(before)).toContain(`sha256/${s.hash}.onnx`);
    for (const target of [card(), bytes()])
      for (const rel of spellings(target)) {
        const r = await rawRequest(s.server.base, `${PROXY}/${rel}`, { method: 'PUT', body: 'pwned', headers: { 'content-type': 'application/octet-stream' } });
        expectRefused(r, s, `PUT ${rel}`);
      }
    expect(snapshot(path.join(s.registry, 'models'))).toEqual(before);
    // Nothing was created beside the registry either (no "_MLX-Registry", no ".\\_mlx-registry").
    expect(fs.readdirSync(s.root).sort()).toEqual(
      s.backend === 'postgresql' ? ['.mlx-tmp', '_mlx-registry', s.runBase.split('/')[0]].sort() : ['.mlx-tmp', s.runBase.split('/')[0]].sort(),
    );
  });

  it('DELETE of the registry, a card, the bytes or the whole root: 400 for every spelling, nothing removed', async () => {
    const s = get();
    const before = snapshot(s.root);
    const targets = ['_mlx-registry', card(), bytes()];
    const rels = [
      ...targets.flatMap(spellings),
      '_mlx-registry',
      '_mlx-registry%2f.',
      '_mlx-registry/.',
      '_mlx-registry/',
      '.',
      '%2e',
      'x%2f..',
      'x/..',
      '%2e%2e%2f' + rootName(),
      '.%2f',
      '%2f',
    ];
    for (const rel of rels) {
      const r = await rawRequest(s.server.base, `${PROXY}/${rel}`, { method: 'DELETE' });
      expect(r.status, `DELETE ${rel}: ${r.text}`).toBeGreaterThanOrEqual(400);
      expectRefused(r, s, `DELETE ${rel}`, r.status === 404 ? 404 : 400);
    }
    expect(snapshot(s.root)).toEqual(before);
    expect(fs.existsSync(path.join(s.registry, 'models', 'sha256', `${s.hash}.onnx`))).toBe(true);
  });

  it('GET and listings cannot reach the registry folder through another spelling; its own download still works', async () => {
    const s = get();
    for (const rel of spellings(card())) expectRefused(await rawRequest(s.server.base, `${PROXY}/${rel}`), s, `GET ${rel}`, 400);
    for (const p of ['./_mlx-registry/models/cards', 'x/../_mlx-registry/models', '.\\_mlx-registry', '_mlx-registry//models', '_mlx-registry/./models']) {
      const r = await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(p)}`);
      expectRefused(r, s, `list ${p}`);
    }
    // The registry's folder is not an artifact folder: listing it or its insides shows nothing, and the root does not show it.
    for (const p of ['_mlx-registry', '_mlx-registry/models/cards', `_mlx-registry/models/cards/${MODEL}`, '_MLX-REGISTRY/models']) {
      const r = await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(p)}`);
      expect(r.status, `list ${p}: ${r.text}`).toBe(200);
      expect(r.json.files ?? [], `list ${p}`).toEqual([]);
    }
    const top = await rawRequest(s.server.base, PROXY);
    expect(top.json.files.map((f: { path: string }) => f.path)).toEqual([s.runBase.split('/')[0]]);
    // What get-download-uri hands out still downloads, and lists as a file (MLflow clients list before downloading).
    const dl = await rawRequest(s.server.base, `${PROXY}/_mlx-registry/${MODEL}/1/model.onnx`);
    expect(dl.status, dl.text).toBe(200);
    const res = await fetch(`${s.server.base}${PROXY}/_mlx-registry/${MODEL}/1/model.onnx`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(s.onnx))).toBe(true);
    expect((await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(`_mlx-registry/${MODEL}/1/model.onnx`)}`)).json.files ?? []).toEqual([]);
  });
});

describe.each(backends)('%s: ambiguous artifact paths are refused, plain ones work', (_name, get) => {
  it('".", "..", empty segments, a trailing "/", backslashes, NUL, over-long names: 400 for GET, PUT, DELETE and listings; nothing written', async () => {
    const s = get();
    const before = snapshot(s.root);
    const bad = ['a//b.txt', 'a/b.txt/.', 'a%2f.%2fb.txt', 'a%2f%2fb.txt', 'a/b/', 'a/b%2f', 'a%5cb.txt', 'a%00b.txt', 'a/..', `${'x'.repeat(300)}.txt`];
    for (const rel of bad) {
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const r = await rawRequest(s.server.base, `${PROXY}/${s.runBase}/${rel}`, {
          method,
          ...(method === 'PUT' ? { body: 'x', headers: { 'content-type': 'application/octet-stream' } } : {}),
        });
        expectRefused(r, s, `${method} ${rel}`);
      }
      // A listing may end in one "/" (MLflow clients join paths that way); nothing else is let through.
      const list = await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(`${s.runBase}/${decodeURIComponent(rel)}`)}`);
      if (!rel.endsWith('/') && !rel.endsWith('%2f')) expectRefused(list, s, `list ${rel}`);
    }
    expect(snapshot(s.root)).toEqual(before);
  });

  it('a double-encoded path is decoded once: %252f is a "%2f" in a file name, never a slash', async () => {
    const s = get();
    const rel = `${s.runBase}/odd%252f..%252fname.txt`;
    expect(
      (await rawRequest(s.server.base, `${PROXY}/${rel}`, { method: 'PUT', body: 'odd', headers: { 'content-type': 'application/octet-stream' } })).status,
    ).toBe(200);
    expect(fs.readFileSync(path.join(s.root, s.runBase, 'odd%2f..%2fname.txt'), 'utf8')).toBe('odd');
    expect((await rawRequest(s.server.base, `${PROXY}/${rel}`)).text).toBe('odd');
    const listed = await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(s.runBase)}`);
    expect(listed.json.files.map((f: { path: string }) => f.path)).toContain('odd%2f..%2fname.txt');
    expect((await rawRequest(s.server.base, `${PROXY}/${rel}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('the server temporary folder .mlx-tmp/ is reserved: 400 for PUT, GET, DELETE and listings, in any spelling', async () => {
    const s = get();
    for (const rel of ['.mlx-tmp/x.txt', '.MLX-TMP/x.txt', 'a%2f..%2f.mlx-tmp%2fx.txt']) {
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const r = await rawRequest(s.server.base, `${PROXY}/${rel}`, {
          method,
          ...(method === 'PUT' ? { body: 'x', headers: { 'content-type': 'application/octet-stream' } } : {}),
        });
        expectRefused(r, s, `${method} ${rel}`);
      }
    }
    expectRefused(await rawRequest(s.server.base, `${PROXY}/.mlx-tmp`, { method: 'DELETE' }), s, 'DELETE .mlx-tmp');
    const r = await rawRequest(s.server.base, `${PROXY}?path=.mlx-tmp`);
    expectRefused(r, s, 'list .mlx-tmp');
    expect(r.json.message).toMatch(/\.mlx-tmp.*reserved/);
  });

  it('plain paths still work: upload, download, list, delete (also with a trailing slash on a listing)', async () => {
    const s = get();
    const rel = `${s.runBase}/plain/notes.txt`;
    expect(
      (await rawRequest(s.server.base, `${PROXY}/${rel}`, { method: 'PUT', body: 'hello', headers: { 'content-type': 'application/octet-stream' } })).status,
    ).toBe(200);
    expect((await rawRequest(s.server.base, `${PROXY}/${rel}`)).text).toBe('hello');
    expect((await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(`${s.runBase}/plain/`)}`)).json.files).toEqual([
      { path: 'notes.txt', is_dir: false, file_size: 5 },
    ]);
    expect((await rawRequest(s.server.base, `${PROXY}/${s.runBase}/plain`, { method: 'DELETE' })).status).toBe(200);
    expect(fs.existsSync(path.join(s.root, s.runBase, 'plain'))).toBe(false);
  });
});
