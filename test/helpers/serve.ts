// Spawned `mlx serve` processes for end-to-end tests: the port is read from stderr (--port 0),
// and every server started here is killed by stopAll(), which test files call in afterAll.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { mlx, mlxSpawn, tempProject } from './cli.js';
import { IMAGE_LABELS, IMAGE_SPEC, TABULAR_LABELS, imageBytes, tabularBytes } from './serving-fixtures.js';

export interface Server {
  proc: ChildProcess;
  port: number;
  base: string;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code and signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stderr contains the text. */
  waitFor(text: string | RegExp): Promise<void>;
}

const running = new Set<Server>();

/**
 * Starts `mlx serve URI --port 0 ARGS` in cwd; resolves once it listens (and, unless ready is false, once the model
 * is loaded). Rejects with the server's stderr if it exits first.
 */
export async function startServe(
  cwd: string,
  uri: string,
  args: string[] = [],
  opts: { ready?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<Server> {
  const proc = mlxSpawn(cwd, ['serve', uri, '--port', '0', ...args], opts.env);
  let err = '';
  const waiters: { test: string | RegExp; resolve: () => void }[] = [];
  const matches = (t: string | RegExp) => (typeof t === 'string' ? err.includes(t) : t.test(err));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of waiters.filter((w) => matches(w.test))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  proc.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = (test: string | RegExp) =>
    matches(test)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiters.push({ test, resolve })),
          exited.then((e) => {
            // The last data event may land after 'exit'.
            if (matches(test)) return;
            throw new Error(`mlx serve exited (${e.code ?? e.signal}) before printing ${test}:\n${err}`);
          }),
        ]);
  const server: Server = { proc, port: 0, base: '', stderr: () => err, exited, waitFor };
  running.add(server);
  exited.then(() => running.delete(server));
  // --host 0.0.0.0 (tests of the public bind) is reached on 127.0.0.1 too.
  await waitFor(/listening on http:\/\/(127\.0\.0\.1|0\.0\.0\.0):(\d+)/);
  server.port = Number(/listening on http:\/\/(127\.0\.0\.1|0\.0\.0\.0):(\d+)/.exec(err)![2]);
  server.base = `http://127.0.0.1:${server.port}`;
  if (opts.ready !== false) await waitFor(/mlx: serving /);
  return server;
}

/** Kills a server (SIGKILL) unless it is gone already. */
export async function kill(server: Server): Promise<void> {
  if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
  await server.exited;
}

/** Kills every server this test file started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map(kill));
}

/** A project whose store holds `img` (image classifier, labels, 32x32 preprocessing) and `tab` (tabular classifier, labels), version 1 each. */
export function servingProject(prefix = 'mlx-serve-'): string {
  const dir = tempProject(prefix);
  const write = (file: string, data: Uint8Array | string) => fs.writeFileSync(path.join(dir, file), data);
  write('image.onnx', imageBytes());
  write('tabular.onnx', tabularBytes());
  write('image-labels.txt', IMAGE_LABELS);
  write('tabular-labels.txt', TABULAR_LABELS);
  register(dir, ['image.onnx', '--name', 'img', '--labels', 'image-labels.txt', '--preprocess', IMAGE_SPEC]);
  register(dir, ['tabular.onnx', '--name', 'tab', '--labels', 'tabular-labels.txt']);
  return dir;
}

/** `mlx register ARGS`, insisting it worked. */
export function register(dir: string, args: string[]): void {
  const r = mlx(dir, ['register', ...args]);
  expect(r.code, r.stderr).toBe(0);
}

/** JSON POST. */
export function postJson(url: string, body: unknown, type = 'application/json'): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** GET /metrics as text. */
export async function scrape(server: Server): Promise<string> {
  const r = await fetch(`${server.base}/metrics`);
  expect(r.status).toBe(200);
  return r.text();
}
