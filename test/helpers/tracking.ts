// The tracking server in-process: `trackingApp` over a real SqliteStore in a temp folder, and
// small request helpers that speak MLflow's REST conventions (GET → query, else JSON body).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { expect } from 'vitest';
import { imageClassifierOnnx } from '../../src/models/onnx/image-model.js';
import { trackingApp, type TrackingAppOptions } from '../../src/server/tracking/app.js';
import type { TrackingContext } from '../../src/server/tracking/context.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export const API = '/api/2.0/mlflow';
export const AJAX = '/ajax-api/2.0/mlflow';
export const MLX_API = '/api/2.0/mlx';
export const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export interface TrackingFixture {
  dir: string;
  store: SqliteStore;
  ctx: TrackingContext;
  app: Hono;
  get(p: string, query?: Record<string, string | number | (string | number)[]>): Promise<Reply>;
  post(p: string, body?: unknown): Promise<Reply>;
  patch(p: string, body?: unknown): Promise<Reply>;
  del(p: string, body?: unknown): Promise<Reply>;
  /** Any request; the body is sent as given (string or bytes) or as JSON. */
  raw(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** Query string with repeated keys for list values, as MLflow's GET endpoints take them. */
export function query(q: Record<string, string | number | (string | number)[]>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) for (const x of Array.isArray(v) ? v : [v]) s.append(k, String(x));
  return s.toString();
}

/**
 * A tracking app over a fresh store. With `artifactsDestination`, artifacts go to a separate
 * folder and new experiments get `mlflow-artifacts:` locations, as `mlx server
 * --artifacts-destination` does (see start.ts).
 */
export function trackingFixture(
  opts: Partial<TrackingAppOptions> & { maxBodyBytes?: number; artifactsDestination?: boolean; facts?: boolean } = {},
): TrackingFixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-tracking-'));
  const store = new SqliteStore(path.join(dir, '.mlx'));
  const own = path.join(store.uri, 'artifacts');
  const artifactRoot = opts.artifactsDestination ? path.join(dir, 'artifact-root') : own;
  fs.mkdirSync(artifactRoot, { recursive: true });
  const ctx: TrackingContext = {
    store,
    artifactRoot,
    fileRoot: store.fileRoot,
    experimentArtifactRoot: opts.artifactsDestination ? 'mlflow-artifacts:' : undefined,
    maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024,
    mlxVersion: '0.0.0-test',
    auth: !!opts.token,
  };
  const log = opts.log ?? ((line: string) => process.stderr.write(`tracking app: ${line}\n`));
  const app = trackingApp(ctx, { maxUploadBytes: 4 * 1024 * 1024, ...opts, log });
  const raw = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const isData = typeof body === 'string' || body instanceof Uint8Array;
    // As mlx's own clients do, ask for mlx's model facts among version tags (opts.facts false: as a plain MLflow client).
    const facts: Record<string, string> = opts.facts === false ? {} : { 'x-mlx-model-facts': 'true' };
    const init: RequestInit = {
      method,
      headers: { ...facts, ...(body !== undefined && !isData ? { 'content-type': 'application/json' } : {}), ...headers },
    };
    if (body !== undefined) init.body = isData ? (body as RequestInit['body']) : JSON.stringify(body);
    return reply(await app.request(p, init));
  };
  return {
    dir,
    store,
    ctx,
    app,
    get: (p, q) => raw('GET', q ? `${p}?${query(q)}` : p),
    post: (p, body = {}) => raw('POST', p, body),
    patch: (p, body = {}) => raw('PATCH', p, body),
    del: (p, body = {}) => raw('DELETE', p, body),
    raw,
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** MLflow's error shape: the status, exactly {error_code, message}, and what the message must name. */
export function expectError(r: Reply, status: number, code: string, ...mentions: (string | RegExp)[]): string {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(Object.keys(r.body).sort()).toEqual(['error_code', 'message']);
  expect(r.body.error_code).toBe(code);
  for (const m of mentions) expect(r.body.message).toMatch(typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
  return r.body.message;
}

/** A 200 answer's body. */
export function ok(r: Reply): any {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** Creates an experiment and a run in it through the API; returns both ids. */
export async function newRun(f: TrackingClient, experiment = `exp-${Math.random().toString(36).slice(2, 8)}`, extra: Record<string, unknown> = {}) {
  const experimentId = ok(await f.post(`${API}/experiments/create`, { name: experiment })).experiment_id as string;
  const run = ok(await f.post(`${API}/runs/create`, { experiment_id: experimentId, ...extra })).run;
  return { experimentId, runId: run.info.run_id as string, run };
}

/** `[{key, value}]` → record. */
export const tagsOf = (list: { key: string; value: string }[]) => Object.fromEntries(list.map((t) => [t.key, t.value]));

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let onnxCache: Uint8Array | undefined;
/** The sample image classifier (image float32 [batch, 3, 32, 32] → logits [batch, 5]), built once. */
export function imageOnnx(): Uint8Array {
  return (onnxCache ??= imageClassifierOnnx());
}

export const IMAGE_LABELS = ['cat', 'dog', 'bird', 'fish', 'other'];
export const IMAGE_SPEC = 'image:32x32,rgb,scale=1/255,layout=nchw';

/** Uploads bytes through the artifact proxy. */
export async function upload(f: TrackingClient, rel: string, bytes: Uint8Array | string): Promise<Reply> {
  return f.raw('PUT', `${PROXY}/${rel}`, bytes, { 'content-type': 'application/octet-stream' });
}

/** Every page of a paged search: follows next_page_token until it is absent. */
export async function allPages(fetchPage: (token?: string) => Promise<Reply>, field: string): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const body = ok(await fetchPage(token));
    items.push(...body[field]);
    token = body.next_page_token;
    pages++;
    expect(pages, 'paging never ends').toBeLessThan(1000);
  } while (token);
  return { items, pages };
}

/** The request methods of a TrackingFixture, for tests that run against an in-process app or a spawned server alike. */
export type TrackingClient = Pick<TrackingFixture, 'get' | 'post' | 'patch' | 'del' | 'raw'>;

/**
 * The same requests as a TrackingFixture's, sent to a running server at base (a spawned
 * `mlx server`); facts false: as a plain MLflow client, without the X-MLX-Model-Facts header.
 */
export function remoteClient(base: string, opts: { facts?: boolean } = {}): TrackingClient {
  const raw = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const isData = typeof body === 'string' || body instanceof Uint8Array;
    const facts: Record<string, string> = opts.facts === false ? {} : { 'x-mlx-model-facts': 'true' };
    const init: RequestInit = {
      method,
      headers: { ...facts, ...(body !== undefined && !isData ? { 'content-type': 'application/json' } : {}), ...headers },
    };
    if (body !== undefined) init.body = isData ? (body as RequestInit['body']) : JSON.stringify(body);
    return reply(await fetch(`${base}${p}`, init));
  };
  return {
    get: (p, q) => raw('GET', q ? `${p}?${query(q)}` : p),
    post: (p, body = {}) => raw('POST', p, body),
    patch: (p, body = {}) => raw('PATCH', p, body),
    del: (p, body = {}) => raw('DELETE', p, body),
    raw,
  };
}
