/**
 * A PostgreSQL server for tests, shared by every test that needs one (stores, db commands, server replicas).
 *
 *   const pg = await postgresForTests();          // null (after a console.warn saying why) when none can be had outside CI
 *   const describePg = pg ? describe : describe.skip;
 *   afterAll(() => pg?.stop());
 *   const url = pg!.url(await pg!.createDatabase()); // a fresh, empty database of its own
 *
 * startPostgres() uses MLX_TEST_POSTGRES_URL when set (a server you run, or the one cluster
 * test/global-setup.ts starts for a whole `vitest run` and always stops; databases are created
 * and dropped on it), else starts a throwaway cluster once per test process: initdb into a temp
 * folder (as the `postgres` user when running as root: initdb refuses root), trust auth, fsync
 * off, on a free 127.0.0.1 port; stop() stops it and removes the folder. With CI set, a missing
 * PostgreSQL fails the tests instead of skipping them (.ci/run installs Debian's postgresql).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TestPostgres {
  /** The URI of a database on this server (default: the maintenance database `postgres`). */
  url(dbName?: string): string;
  /** Creates an empty database with a random name and returns its name; dropped by stop(). */
  createDatabase(): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

function findBin(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...globVersions('/usr/lib/postgresql')];
  for (const d of dirs) if (d && fs.existsSync(path.join(d, name))) return path.join(d, name);
  return null;
}

function globVersions(root: string): string[] {
  try {
    return fs
      .readdirSync(root)
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => path.join(root, v, 'bin'));
  } catch {
    return [];
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function runPg(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

async function withAdmin<T>(url: string, fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function server(base: string, onStop: () => Promise<void>): TestPostgres {
  const created = new Set<string>();
  const url = (db = 'postgres') => {
    const u = new URL(base);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const dropDatabase = async (name: string) => {
    await withAdmin(url(), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    created.delete(name);
  };
  return {
    url,
    async createDatabase() {
      const name = `mlx_test_${randomBytes(6).toString('hex')}`;
      await withAdmin(url(), (c) => c.query(`CREATE DATABASE "${name}"`));
      created.add(name);
      return name;
    },
    dropDatabase,
    async stop() {
      for (const name of [...created]) await dropDatabase(name).catch(() => undefined);
      await onStop();
    },
  };
}

export async function startCluster(): Promise<TestPostgres> {
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  if (!initdb || !pgCtl) throw new Error("initdb/pg_ctl not found (install Debian's postgresql package, or set MLX_TEST_POSTGRES_URL)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, uid, uid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  runPg(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  runPg(pgCtl, ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    const asRoot = process.getuid?.() === 0;
    const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
    spawnSync(asRoot ? 'runuser' : pgCtl, asRoot ? ['-u', 'postgres', '--', pgCtl, ...args] : args, { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies without stop() must not leave a server running.
  process.once('exit', stopSync);
  return server(`postgresql://postgres@127.0.0.1:${port}/postgres`, async () => stopSync());
}

let started: Promise<TestPostgres> | undefined;

/** The test PostgreSQL server of this process (MLX_TEST_POSTGRES_URL, else a throwaway cluster), started once. */
export function startPostgres(): Promise<TestPostgres> {
  const given = process.env.MLX_TEST_POSTGRES_URL;
  started ??= given ? Promise.resolve(server(given, async () => undefined)) : startCluster();
  return started;
}

/** startPostgres(), or null with a visible reason when PostgreSQL cannot be had; with CI set, that is an error instead. */
export async function postgresForTests(): Promise<TestPostgres | null> {
  try {
    const pg = await startPostgres();
    await withAdmin(pg.url(), (c) => c.query('SELECT 1'));
    return pg;
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    if (process.env.CI) throw new Error(`PostgreSQL tests cannot run in CI: ${why}`, { cause: err });
    console.warn(`[skipped] PostgreSQL tests: ${why}`);
    return null;
  }
}
