// Spawned `mlx server` processes for the server e2e tests (test/server*.test.ts): --port 0, the URL read from the
// startup line on stderr; every server started here is killed by stopServers() (call it in afterAll).
import type { ChildProcess } from 'node:child_process';
import { mlxSpawn } from './cli.js';

export interface TrackingServer {
  proc: ChildProcess;
  /** http://127.0.0.1:PORT (the loopback address even when bound to 0.0.0.0). */
  base: string;
  port: number;
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<TrackingServer>();
export const LISTENING = /tracking server listening on http:\/\/([^\s:]+|\[[^\]]+\]):(\d+)/;

/** Starts `mlx server --port 0 ARGS` in cwd; resolves once it prints its URL, rejects with its stderr if it exits first. */
export async function startTrackingServer(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<TrackingServer> {
  const proc = mlxSpawn(cwd, ['server', '--port', '0', ...args], env);
  let err = '';
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const listening = new Promise<RegExpExecArray>((resolve, reject) => {
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = LISTENING.exec(err);
      if (m) resolve(m);
    });
    exited.then((e) => {
      const m = LISTENING.exec(err);
      if (m) resolve(m);
      else reject(new Error(`mlx server exited (${e.code ?? e.signal}) before listening:\n${err}`));
    });
  });
  const server: TrackingServer = { proc, base: '', port: 0, stderr: () => err, stdout: () => out, exited };
  running.add(server);
  exited.then(() => running.delete(server));
  const m = await listening;
  server.port = Number(m[2]);
  server.base = `http://127.0.0.1:${server.port}`;
  return server;
}

/** SIGKILLs a server unless it is gone already. */
export async function killServer(s: TrackingServer): Promise<void> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  await s.exited;
}

export async function stopServers(): Promise<void> {
  await Promise.all([...running].map(killServer));
}

/** A JSON request to the server; GET fields go in the query (repeated for lists). */
export async function call(base: string, method: string, endpoint: string, body?: Record<string, unknown>, headers: Record<string, string> = {}) {
  let url = `${base}${endpoint}`;
  const init: RequestInit = { method, headers: { ...headers } };
  if (method === 'GET' && body) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
    url += `?${q}`;
  } else if (body) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}
