// Issue 17, item 11: a store mlx may read but not write (another user's store, a store on a
// read-only mount). Before, every command said "internal error: attempt to write a readonly
// database … report it", reading commands included: opening switched the database to WAL. Now
// reading commands work, and a write is one line naming the store, why it cannot be written and
// what to do (exit 1; 403 PERMISSION_DENIED from the tracking server, which keeps serving).
// Permissions are real: as root the commands run as `nobody` (root ignores file modes); as any
// other user the store is simply made read-only.
import { createHash } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, expectError, MLX_BIN, mlx, tempProject, type CliResult } from '../helpers/cli.js';
import { call, LISTENING } from '../helpers/mlx-server.js';
import { sampleModels, writeFile } from '../helpers/models.js';
import { postgresForTests } from '../helpers/postgres.js';

const T = 60_000;
const AS_ROOT = process.getuid?.() === 0;
const API = '/api/2.0/mlflow';

/**
 * How mlx is kept from writing: 'user', another user than the owner (nobody when we are root,
 * since root ignores file modes; else ourselves on a store made read-only), or 'mount', the
 * project seen through a read-only bind mount in a mount namespace of its own (root only).
 */
type Reader = 'user' | 'mount';

function command(reader: Reader, dir: string, args: string[]): [string, string[]] {
  const argv = [process.execPath, MLX_BIN, ...args];
  if (reader === 'mount') return ['unshare', ['-m', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', dir, ...argv]];
  // nobody's HOME does not exist; onnxruntime would warn that it cannot keep its telemetry id there.
  return AS_ROOT ? ['runuser', ['-u', 'nobody', '--', 'env', `HOME=${nobodyHome()}`, ...argv]] : [argv[0], argv.slice(1)];
}

function asReader(reader: Reader, dir: string, args: string[]): CliResult {
  const [cmd, argv] = command(reader, dir, args);
  const r = spawnSync(cmd, argv, { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `mlx server` on the store, run as the reader; resolves with its URL once it listens. */
async function serverAsReader(reader: Reader, dir: string, store: string) {
  const [cmd, argv] = command(reader, dir, ['server', '--port', '0', '--backend-store-uri', store]);
  // Its own process group: runuser waits for mlx as a child, and killing runuser alone would leave mlx running.
  const proc = spawn(cmd, argv, { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  servers.push(proc);
  let err = '';
  const base = await new Promise<string>((resolve, reject) => {
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = LISTENING.exec(err);
      if (m) resolve(`http://127.0.0.1:${m[2]}`);
    });
    proc.on('exit', (code) => reject(new Error(`mlx server exited (${code}) before listening:\n${err}`)));
  });
  return { base, stderr: () => err };
}

const servers: ChildProcess[] = [];
let home: string | undefined;
function nobodyHome(): string {
  if (!home) {
    home = tempProject('mlx-sec-home-');
    fs.chmodSync(home, 0o777);
  }
  return home;
}

/** Whether this machine lets us make a read-only bind mount (root with CAP_SYS_ADMIN). */
function canMountReadOnly(): boolean {
  if (!AS_ROOT) return false;
  const dir = tempProject('mlx-sec-rofs-');
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && ! touch "$0/x" 2>/dev/null', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
  return r.status === 0;
}

const digest = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Every file under the store with its content hash: "nothing was written" is this staying equal. */
function storeState(store: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(store, { recursive: true }) as string[]) {
    const p = path.join(store, rel);
    out[rel] = fs.statSync(p).isDirectory() ? 'dir' : digest(p);
  }
  return out;
}

/** Makes dir and everything under it readable by all and writable by none but the owner (us), or by nobody at all when we are not root. */
function makeReadOnly(dir: string, opts: { folderWritable?: boolean } = {}): void {
  const walk = (p: string) => {
    const isDir = fs.statSync(p).isDirectory();
    if (isDir) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    const writable = isDir && opts.folderWritable && p.endsWith('.mlx');
    fs.chmodSync(p, writable ? 0o777 : AS_ROOT ? (isDir ? 0o755 : 0o644) : isDir ? 0o555 : 0o444);
  };
  walk(dir);
}

interface Project {
  dir: string;
  store: string;
  run: string;
}

const projects: Project[] = [];

/** A store with a finished run (param, metric, tag, artifact) and a registered model, then made read-only to the reader. */
function project(opts: { folderWritable?: boolean; keepModes?: boolean } = {}): Project {
  const dir = tempProject('mlx-sec-ro-');
  const run = mlx(dir, ['runs', 'start', '--name', 'frozen']).stdout.trim();
  expect(run).toMatch(/^[0-9a-f]{32}$/);
  for (const args of [
    ['log', 'param', 'lr', '0.1'],
    ['log', 'metric', 'acc', '0.9'],
    ['log', 'tag', 'team', 'a'],
  ])
    expect(mlx(dir, [...args, '--run', run]).code).toBe(0);
  writeFile(dir, 'notes.txt', 'hello\n');
  expect(mlx(dir, ['log', 'artifact', 'notes.txt', '--run', run]).code).toBe(0);
  writeFile(dir, 'tabular.onnx', sampleModels().tabular);
  const reg = mlx(dir, ['register', 'tabular.onnx', '--name', 'clf']);
  expect(reg.code, reg.stderr).toBe(0);
  expect(mlx(dir, ['runs', 'end', run]).code).toBe(0);
  const store = path.join(dir, '.mlx');
  // The store's database is closed cleanly: no -wal or -shm file is left beside it.
  expect(fs.readdirSync(store).sort()).toEqual(['artifacts', 'mlx.db', 'models']);
  if (opts.keepModes) fs.chmodSync(dir, 0o755);
  else makeReadOnly(dir, opts);
  const p = { dir, store, run };
  projects.push(p);
  return p;
}

afterAll(async () => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
  for (const proc of servers) if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGKILL');
  for (const p of projects) {
    fs.chmodSync(p.dir, 0o755);
    for (const rel of fs.readdirSync(p.dir, { recursive: true }) as string[]) fs.chmodSync(path.join(p.dir, rel), 0o755);
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

const WRITES = (run: string): string[][] => [
  ['log', 'metric', 'acc', '0.95', '--run', run],
  ['log', 'param', 'new', '1', '--run', run],
  ['experiments', 'create', 'another'],
  ['runs', 'start', '--name', 'new-run'],
  ['runs', 'delete', run],
  ['run', '--name', 'wrapped', '--', process.execPath, '-e', 'process.exit(0)'],
  ['log', 'artifact', 'notes.txt', '--run', run],
  ['register', 'tabular.onnx', '--name', 'clf2'],
  ['models', 'alias', 'clf', '1', 'champion'],
];

function checkReadsAndWrites(reader: Reader, p: Project, why: RegExp) {
  const before = storeState(p.store);
  // Reading commands answer as they would for the owner.
  const list = asReader(reader, p.dir, ['runs', 'list', '--json']);
  expect(list.code, list.stderr).toBe(0);
  expect(JSON.parse(list.stdout).runs.map((r: { run_id: string }) => r.run_id)).toEqual([p.run]);
  const show = asReader(reader, p.dir, ['runs', 'show', p.run, '--json']);
  expect(show.code, show.stderr).toBe(0);
  expect(JSON.parse(show.stdout)).toMatchObject({ params: { lr: '0.1' }, metrics: { acc: 0.9 }, tags: { team: 'a' } });
  for (const args of [
    ['experiments', 'list', '--json'],
    ['models', 'list', '--json'],
    ['models', 'show', 'clf/1', '--json'],
    ['runs', 'list', '--filter', 'metrics.acc > 0.5'],
  ]) {
    const r = asReader(reader, p.dir, args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    expect(r.stderr, args.join(' ')).toBe('');
  }
  // Every write: one line naming the store, why, and what to do; exit 1; nothing changed.
  for (const args of WRITES(p.run)) {
    const line = expectError(asReader(reader, p.dir, args), 1, p.store, /read-only/, why, /--tracking-uri/);
    expect(line, args.join(' ')).not.toMatch(/internal error|SQLITE|readonly database/);
  }
  expect(storeState(p.store)).toEqual(before);
}

describe('a store the user may read but not write', () => {
  it('folder and mlx.db not writable: reads work, every write says the store is read-only', () => {
    const p = project();
    checkReadsAndWrites('user', p, AS_ROOT ? /user nobody has no write permission on/ : /no write permission on/);
  }, 180_000);

  it('mlx.db not writable in a writable folder: the same', () => {
    const p = project({ folderWritable: true });
    checkReadsAndWrites('user', p, /no write permission on /);
  }, 180_000);

  it(
    'mlx server on it: searches answer, writes are 403 PERMISSION_DENIED naming the store, the server keeps serving',
    async () => {
      const p = project();
      const s = await serverAsReader('user', p.dir, p.store);
      await checkServer(s, p);
    },
    T,
  );
});

describe.skipIf(!canMountReadOnly())('a store on a read-only file system', () => {
  it('reads work, every write says the file system is read-only', () => {
    checkReadsAndWrites('mount', project({ keepModes: true }), /read-only file system/);
  }, 180_000);

  it(
    'mlx server on it: the same answers',
    async () => {
      const p = project({ keepModes: true });
      await checkServer(await serverAsReader('mount', p.dir, p.store), p);
    },
    T,
  );
});

async function checkServer(s: { base: string; stderr(): string }, p: Project) {
  const search = await call(s.base, 'POST', `${API}/runs/search`, { experiment_ids: ['0'] });
  expect(search.status, JSON.stringify(search.body)).toBe(200);
  expect(search.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([p.run]);
  for (const [endpoint, body] of [
    ['runs/log-metric', { run_id: p.run, key: 'acc', value: 1, timestamp: 1 }],
    ['experiments/create', { name: 'x' }],
    ['runs/create', { experiment_id: '0' }],
    ['registered-models/create', { name: 'm2' }],
  ] as const) {
    const r = await call(s.base, 'POST', `${API}/${endpoint}`, body);
    expect(r.status, `${endpoint}: ${JSON.stringify(r.body)}`).toBe(403);
    expect(r.body.error_code).toBe('PERMISSION_DENIED');
    expect(r.body.message).toMatch(/read-only/);
  }
  // An artifact upload through the proxy: the same refusal, not a 500 from its temporary folder.
  const put = await fetch(`${s.base}/api/2.0/mlflow-artifacts/artifacts/0/x.txt`, { method: 'PUT', body: 'hello' });
  const putBody = (await put.json()) as { error_code: string; message: string };
  expect(put.status, JSON.stringify(putBody)).toBe(403);
  expect(putBody.message).toMatch(/read-only/);
  expect((await call(s.base, 'GET', `${API}/runs/get`, { run_id: p.run })).status).toBe(200);
  expect((await fetch(`${s.base}/health`)).status).toBe(200);
  expect(s.stderr()).not.toMatch(/internal error/);
}

const pg = await postgresForTests();
describe.skipIf(!pg)('a PostgreSQL database that is read-only (a standby, default_transaction_read_only)', () => {
  let dir: string;
  let url: string;
  let run: string;
  beforeAll(async () => {
    const db = await pg!.createDatabase();
    url = pg!.url(db);
    dir = tempProject('mlx-sec-ro-pg-');
    run = mlx(dir, ['runs', 'start', '--name', 'frozen', '--tracking-uri', url]).stdout.trim();
    expect(run).toMatch(/^[0-9a-f]{32}$/);
    expect(mlx(dir, ['log', 'metric', 'acc', '0.9', '--run', run, '--tracking-uri', url]).code).toBe(0);
    const { default: pgLib } = await import('pg');
    const admin = new pgLib.Client({ connectionString: pg!.url() });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${db}" SET default_transaction_read_only = on`);
    await admin.end();
  }, T);
  afterAll(async () => {
    await pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'reads work; a write is one line saying the database is read-only, exit 1',
    () => {
      const list = mlx(dir, ['runs', 'list', '--json', '--tracking-uri', url]);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout).runs).toHaveLength(1);
      for (const args of [
        ['log', 'metric', 'acc', '1', '--run', run],
        ['experiments', 'create', 'x'],
        ['runs', 'start'],
      ]) {
        const line = expectError(mlx(dir, [...args, '--tracking-uri', url]), 1, /PostgreSQL database .* is read-only/, /default_transaction_read_only|standby/);
        expect(line).not.toMatch(/internal error/);
      }
    },
    T,
  );
});
