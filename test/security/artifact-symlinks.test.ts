// Symbolic links planted in a shared artifact folder (issue 17, item 1): the proxy, the runs'
// artifacts/list and model-versions/create resolve real paths, follow a link whose target stays
// inside the root, and refuse one that leaves it (or leads into the registry's folder): reads and
// listings answer as if the path did not exist (404 / nothing listed), writes and deletes with a
// 400, never the target's contents and never a change outside the root.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageClassifierOnnx } from '../../src/models/onnx/image-model.js';
import { API, artifactServer, MODEL, PROXY, snapshot, type ArtifactServer } from '../helpers/artifact-servers.js';
import { call, stopServers } from '../helpers/mlx-server.js';
import { postgresForTests, type TestPostgres } from '../helpers/postgres.js';
import { rawRequest, type RawReply } from '../helpers/raw-http.js';

const pg: TestPostgres | null = await postgresForTests();
const servers: Partial<Record<'sqlite' | 'postgresql', ArtifactServer>> = {};
const SECRET = 'top-secret-outside-the-root';

/** Beside the root (the same parent), as a team's other files would be. */
const outside = (s: ArtifactServer) => path.join(s.dir, 'outside');

function plant(s: ArtifactServer): void {
  const out = outside(s);
  fs.mkdirSync(path.join(out, 'dir'), { recursive: true });
  fs.writeFileSync(path.join(out, 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(out, 'dir', 'inner.txt'), SECRET);
  fs.writeFileSync(path.join(out, 'model.onnx'), imageClassifierOnnx());
  const run = path.join(s.root, s.runBase);
  fs.mkdirSync(path.join(run, 'links'), { recursive: true });
  fs.writeFileSync(path.join(run, 'real.txt'), 'inside');
  // Out of the root: a file, a folder, a relative climb, /etc/passwd and /etc as the issue shows them.
  fs.symlinkSync(path.join(out, 'secret.txt'), path.join(run, 'links', 'secret.txt'));
  fs.symlinkSync(out, path.join(run, 'links', 'out'));
  fs.symlinkSync(path.relative(path.join(run, 'links'), out), path.join(run, 'links', 'climb'));
  fs.symlinkSync('/etc/passwd', path.join(run, 'links', 'passwd'));
  fs.symlinkSync('/etc', path.join(run, 'links', 'etc'));
  fs.symlinkSync(path.join(out, 'model.onnx'), path.join(run, 'links', 'model.onnx'));
  // Inside the root: followed.
  fs.symlinkSync(path.join(run, 'real.txt'), path.join(run, 'links', 'alias.txt'));
  fs.symlinkSync('..', path.join(run, 'links', 'up'));
  // Into the registry's folder (PostgreSQL keeps it under the root): as good as outside.
  fs.symlinkSync(path.join(s.root, '_mlx-registry'), path.join(run, 'links', 'registry'));
  fs.symlinkSync(s.root, path.join(run, 'links', 'root'));
}

beforeAll(async () => {
  const [s, p] = await Promise.all([artifactServer('sqlite', null), pg ? artifactServer('postgresql', pg) : Promise.resolve(undefined)]);
  servers.sqlite = s;
  servers.postgresql = p;
  for (const x of Object.values(servers)) if (x) plant(x);
}, 90_000);

afterAll(async () => {
  await stopServers();
  await pg?.stop();
  for (const s of Object.values(servers)) if (s) fs.rmSync(s.dir, { recursive: true, force: true });
});

const backends = [['sqlite', () => servers.sqlite!] as const, ...(pg ? [['postgresql', () => servers.postgresql!] as const] : [])];

function noLeak(r: RawReply, s: ArtifactServer, what: string): void {
  expect(r.status, `${what}: ${r.text}`).toBeLessThan(500);
  expect(r.text, what).not.toContain(SECRET);
  expect(r.text, what).not.toMatch(/root:.*:0:0:/);
  expect(r.text, what).not.toContain(s.dir);
}

describe.each(backends)('%s: links that leave the root', (_name, get) => {
  const links = (s: ArtifactServer) => `${s.runBase}/links`;

  it('GET through a link out of the root: 404, never the target (a file, a folder, a climb, /etc/passwd)', async () => {
    const s = get();
    for (const rel of ['secret.txt', 'out/secret.txt', 'out/dir/inner.txt', 'climb/secret.txt', 'passwd', 'etc/passwd', 'etc/hostname']) {
      const r = await rawRequest(s.server.base, `${PROXY}/${links(s)}/${rel}`);
      noLeak(r, s, `GET ${rel}`);
      expect(r.status, `GET ${rel}: ${r.text}`).toBe(404);
      expect(r.json.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });

  it('listings: a link out of the root lists nothing and is itself left out of its folder listing; links inside are listed as what they point at', async () => {
    const s = get();
    for (const p of ['out', 'out/dir', 'climb', 'etc', 'registry', 'registry/models', 'root/_mlx-registry']) {
      const r = await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(`${links(s)}/${p}`)}`);
      noLeak(r, s, `list ${p}`);
      expect(r.status, `list ${p}: ${r.text}`).toBe(200);
      expect(r.json.files ?? [], `list ${p}`).toEqual([]);
    }
    const r = await rawRequest(s.server.base, `${PROXY}?path=${encodeURIComponent(links(s))}`);
    noLeak(r, s, 'list links');
    expect(r.json.files).toEqual([
      { path: 'alias.txt', is_dir: false, file_size: 6 },
      { path: 'root', is_dir: true },
      { path: 'up', is_dir: true },
    ]);
    // The same through the runs' artifacts/list.
    const runs = await call(s.server.base, 'GET', `${API}/artifacts/list`, { run_id: s.runId, path: 'links' });
    expect(runs.status, JSON.stringify(runs.body)).toBe(200);
    expect(runs.body.files.map((f: { path: string }) => f.path)).toEqual(['links/alias.txt', 'links/up']);
    for (const p of ['links/out', 'links/etc', 'links/climb']) {
      const x = await call(s.server.base, 'GET', `${API}/artifacts/list`, { run_id: s.runId, path: p });
      expect(x.status, `${p}: ${JSON.stringify(x.body)}`).toBeLessThan(500);
      expect(x.body.files ?? [], p).toEqual([]);
      expect(JSON.stringify(x.body)).not.toContain(s.dir);
    }
  });

  it('PUT through a link out of the root, or into the registry through a link: 400, nothing written anywhere', async () => {
    const s = get();
    const before = snapshot(outside(s));
    const registryBefore = snapshot(path.join(s.registry, 'models'));
    for (const rel of [
      'out/new.txt',
      'out/dir/inner.txt',
      'climb/new.txt',
      'out/newdir/deep/new.txt',
      'registry/models/cards/x.md',
      `registry/models/cards/${MODEL}/v1.md`,
      `root/_mlx-registry/models/sha256/${s.hash}.onnx`,
      'root/.mlx-tmp/x',
    ]) {
      const r = await rawRequest(s.server.base, `${PROXY}/${links(s)}/${rel}`, {
        method: 'PUT',
        body: 'pwned',
        headers: { 'content-type': 'application/octet-stream' },
      });
      noLeak(r, s, `PUT ${rel}`);
      expect(r.status, `PUT ${rel}: ${r.text}`).toBe(400);
      expect(r.json.message, `PUT ${rel}`).toMatch(/link|_mlx-registry|\.mlx-tmp/);
    }
    expect(snapshot(outside(s))).toEqual(before);
    expect(fs.existsSync(path.join(outside(s), 'newdir'))).toBe(false);
    expect(snapshot(path.join(s.registry, 'models'))).toEqual(registryBefore);
  });

  it('DELETE through a link out of the root: 400 and the target stays; deleting the link itself removes only the link', async () => {
    const s = get();
    const before = snapshot(outside(s));
    // (Never a system file here: before the fix these deletes went through.)
    for (const rel of ['out/secret.txt', 'out/dir', 'climb/dir/inner.txt', 'registry/models', 'root/_mlx-registry', 'root/.mlx-tmp']) {
      const r = await rawRequest(s.server.base, `${PROXY}/${links(s)}/${rel}`, { method: 'DELETE' });
      noLeak(r, s, `DELETE ${rel}`);
      // On SQLite the registry's folder is not under the root: that link is broken, so there is nothing to delete.
      const broken = s.backend === 'sqlite' && rel.startsWith('registry/');
      expect(r.status, `DELETE ${rel}: ${r.text}`).toBe(broken ? 404 : 400);
    }
    expect(snapshot(outside(s))).toEqual(before);
    expect(fs.existsSync(path.join(s.registry, 'models', 'sha256', `${s.hash}.onnx`))).toBe(true);
    const r = await rawRequest(s.server.base, `${PROXY}/${links(s)}/secret.txt`, { method: 'DELETE' });
    expect(r.status, r.text).toBe(200);
    expect(fs.existsSync(path.join(s.root, links(s), 'secret.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(outside(s), 'secret.txt'), 'utf8')).toBe(SECRET);
    fs.symlinkSync(path.join(outside(s), 'secret.txt'), path.join(s.root, links(s), 'secret.txt'));
  });

  it('links inside the root are followed for reads and writes', async () => {
    const s = get();
    expect((await rawRequest(s.server.base, `${PROXY}/${links(s)}/alias.txt`)).text).toBe('inside');
    expect((await rawRequest(s.server.base, `${PROXY}/${links(s)}/up/real.txt`)).text).toBe('inside');
    const put = await rawRequest(s.server.base, `${PROXY}/${links(s)}/up/via-link.txt`, {
      method: 'PUT',
      body: 'written',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.status, put.text).toBe(200);
    expect(fs.readFileSync(path.join(s.root, s.runBase, 'via-link.txt'), 'utf8')).toBe('written');
  });

  it('model-versions/create reads no model through a link out of the root (mlflow-artifacts:/, runs:/, an absolute path)', async () => {
    const s = get();
    const sources = [
      `mlflow-artifacts:/${links(s)}/model.onnx`,
      `mlflow-artifacts:/${links(s)}/out/model.onnx`,
      `mlflow-artifacts:/${links(s)}/out`,
      `runs:/${s.runId}/links/model.onnx`,
      `runs:/${s.runId}/links/climb`,
      path.join(s.root, links(s), 'model.onnx'),
      `mlflow-artifacts:/${links(s)}/registry/models/sha256/${s.hash}.onnx`,
    ];
    // A client that expects an ONNX model (mlx's send mlx.* input tags) is refused.
    const strict = [{ key: 'mlx.sha256', value: s.hash }];
    for (const source of sources) {
      const r = await call(s.server.base, 'POST', `${API}/model-versions/create`, { name: 'stolen', source, tags: strict });
      expect(r.status, `${source}: ${JSON.stringify(r.body)}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${source}: ${JSON.stringify(r.body)}`).toBeLessThan(500);
      expect(JSON.stringify(r.body), source).not.toContain(s.dir.replace(/\/$/, '') + '/outside');
    }
    const search = await call(s.server.base, 'GET', `${API}/registered-models/search`, {});
    expect(search.body.registered_models.map((m: { name: string }) => m.name)).toEqual([MODEL]);
    // A plain MLflow client gets the version MLflow would give (the source as a string), and
    // still nothing is read through the link: no bytes, no facts, marked not servable.
    for (const source of sources) {
      const r = await call(s.server.base, 'POST', `${API}/model-versions/create`, { name: 'opaque', source }, { 'X-MLX-Model-Facts': 'true' });
      expect(r.status, `${source}: ${JSON.stringify(r.body)}`).toBe(200);
      const tags = Object.fromEntries(r.body.model_version.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
      expect(Object.keys(tags), source).toEqual(['mlx.not_servable']);
      expect(JSON.stringify(r.body), source).not.toContain(s.dir.replace(/\/$/, '') + '/outside');
    }
    // A link inside the run folder to a model inside it registers.
    fs.symlinkSync(path.join(s.root, s.runBase, 'model', 'model.onnx'), path.join(s.root, links(s), 'inside.onnx'));
    const okay = await call(s.server.base, 'POST', `${API}/model-versions/create`, { name: MODEL, source: `runs:/${s.runId}/links/inside.onnx` });
    expect(okay.status, JSON.stringify(okay.body)).toBe(200);
  });
});
