// Spawned `mlx server`s with an artifact root of their own (--artifacts-destination), on both
// backends, each with one registered model: for the artifact proxy's attack tests. On PostgreSQL
// the registry's files live under <root>/_mlx-registry/; on SQLite they live in the store folder.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { imageClassifierOnnx } from '../../src/models/onnx/image-model.js';
import { tempProject } from './cli.js';
import { call, startTrackingServer, type TrackingServer } from './mlx-server.js';
import type { TestPostgres } from './postgres.js';

export const API = '/api/2.0/mlflow';
export const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
export const MODEL = 'guarded';

export interface ArtifactServer {
  backend: 'sqlite' | 'postgresql';
  server: TrackingServer;
  /** The project folder: everything the test made lives under it. */
  dir: string;
  /** --artifacts-destination. */
  root: string;
  /** The folder holding models/sha256/ and models/cards/ (the store's file root). */
  registry: string;
  /** The registered model's bytes and their sha256. */
  onnx: Uint8Array;
  hash: string;
  /** The proxy path of a run's artifact folder (no leading slash). */
  runBase: string;
  runId: string;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function ok(r: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const res = await r;
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Starts a server with --artifacts-destination on a fresh store (PostgreSQL when pg is given) and registers MODEL version 1 through the API. */
export async function artifactServer(backend: 'sqlite' | 'postgresql', pg: TestPostgres | null, extraArgs: string[] = []): Promise<ArtifactServer> {
  const dir = tempProject(`mlx-sec-${backend}-`);
  const root = path.join(dir, 'artifact-root');
  let store: string;
  if (backend === 'postgresql') store = pg!.url(await pg!.createDatabase());
  else store = path.join(dir, '.mlx');
  const server = await startTrackingServer(dir, ['--backend-store-uri', store, '--artifacts-destination', root, ...extraArgs]);
  const base = server.base;
  const exp = (await ok(call(base, 'POST', `${API}/experiments/create`, { name: 'sec' }), 'experiments/create')).experiment_id;
  const run = (await ok(call(base, 'POST', `${API}/runs/create`, { experiment_id: exp }), 'runs/create')).run;
  const runBase = String(run.info.artifact_uri).replace(/^mlflow-artifacts:\/+/, '');
  const onnx = imageClassifierOnnx();
  const put = await fetch(`${base}${PROXY}/${runBase}/model/model.onnx`, {
    method: 'PUT',
    body: onnx,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (put.status !== 200) throw new Error(`upload: ${put.status} ${await put.text()}`);
  await ok(
    call(base, 'POST', `${API}/model-versions/create`, { name: MODEL, source: `mlflow-artifacts:/${runBase}/model/model.onnx`, run_id: run.info.run_id }),
    'model-versions/create',
  );
  return {
    backend,
    server,
    dir,
    root,
    registry: backend === 'postgresql' ? path.join(root, '_mlx-registry') : store,
    onnx,
    hash: sha(onnx),
    runBase,
    runId: run.info.run_id,
  };
}

/** Every file under dir (relative path → sha256 of its bytes; links as "-> target"), to see that nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const rel = path.relative(dir, full);
      if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(full)}`;
      else if (e.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(full);
      } else out[rel] = sha(fs.readFileSync(full));
    }
  };
  walk(dir);
  return out;
}
