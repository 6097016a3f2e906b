// Spawned `mlx server` processes over fresh temporary stores, for the REST store and remote CLI
// tests. (Reconstructed by the server test helper after it overwrote this file by mistake: the
// API is the one rest-store.test.ts and remote-cli.test.ts use.)
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mlxSpawn, tempProject } from './cli.js';

export interface TrackingServer {
  proc: ChildProcess;
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The project folder; the store is <dir>/.mlx. */
  dir: string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface TrackingServerOptions {
  token?: string;
  /** Extra flags for `mlx server`. */
  args?: string[];
  env?: Record<string, string | undefined>;
  /** An existing project folder (default: a fresh temporary one, removed by stopTrackingServers). */
  dir?: string;
}

const running = new Set<TrackingServer>();
const owned = new Set<string>();
const LISTENING = /tracking server listening on (http:\/\/127\.0\.0\.1:(\d+))/;

/** Starts `mlx server --port 0` on a fresh store; resolves once it prints its URL. */
export async function startTrackingServer(o: TrackingServerOptions = {}): Promise<TrackingServer> {
  const dir = o.dir ?? tempProject('mlx-server-');
  if (!o.dir) owned.add(dir);
  const args = ['server', '--port', '0', '--backend-store-uri', path.join(dir, '.mlx'), ...(o.token ? ['--token', o.token] : []), ...(o.args ?? [])];
  const proc = mlxSpawn(dir, args, o.env ?? {});
  let err = '';
  proc.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const hit = LISTENING.exec(err);
      if (hit) resolve(hit);
    });
    exited.then((e) => {
      const hit = LISTENING.exec(err);
      if (hit) resolve(hit);
      else reject(new Error(`mlx server exited (${e.code ?? e.signal}) before listening:\n${err}`));
    });
  });
  const server: TrackingServer = { proc, url: m[1], port: Number(m[2]), dir, stderr: () => err, exited };
  running.add(server);
  exited.then(() => running.delete(server));
  return server;
}

/**
 * A fresh server (and store) for every call, with the next one already starting in the
 * background so tests do not wait for process start-up each time.
 */
export function serverPool(o: TrackingServerOptions = {}): () => Promise<TrackingServer> {
  let next: Promise<TrackingServer> | null = null;
  return async () => {
    const current = next ?? startTrackingServer(o);
    next = startTrackingServer(o);
    next.catch(() => undefined);
    return current;
  };
}

/** Kills every server started here and removes the temporary folders it made. */
export async function stopTrackingServers(): Promise<void> {
  await Promise.all(
    [...running].map(async (s) => {
      if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
      await s.exited;
    }),
  );
  for (const dir of owned) fs.rmSync(dir, { recursive: true, force: true });
  owned.clear();
}
