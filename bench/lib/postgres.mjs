// A throwaway PostgreSQL cluster for the benchmarks (the bench's own twin of
// test/helpers/postgres.ts, which it must not import): initdb into a temp folder, trust auth,
// started with pg_ctl on a free 127.0.0.1 port with its unix socket in that folder. Unlike the
// tests' cluster it keeps PostgreSQL's durable defaults (fsync on, synchronous_commit on,
// full_page_writes on): each COMMIT waits for its WAL to reach the disk. initdb and postgres
// refuse to run as root, so as root they run as the `postgres` OS user (runuser), which owns the
// folder. stop() stops it and removes the folder; so does the process exiting for any reason
// (error, SIGINT, SIGTERM) without stop().
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './serve-util.mjs';

function findBin(name) {
  const versions = (() => {
    try {
      return fs
        .readdirSync('/usr/lib/postgresql')
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => path.join('/usr/lib/postgresql', v, 'bin'));
    } catch {
      return [];
    }
  })();
  for (const d of [...(process.env.PATH ?? '').split(':'), ...versions]) if (d && fs.existsSync(path.join(d, name))) return path.join(d, name);
  return null;
}

/** True when initdb and pg_ctl can be found (PATH or /usr/lib/postgresql/N/bin). */
export const postgresInstalled = () => Boolean(findBin('initdb') && findBin('pg_ctl'));

const asRoot = process.getuid?.() === 0;
/** argv for a PostgreSQL binary: through runuser as the postgres user when we are root. */
const pgArgv = (bin, args) => (asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]);

const live = new Set();
function stopAll() {
  for (const stop of [...live]) stop();
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    stopAll();
    process.exit(130);
  });
}

/**
 * Starts a cluster and returns { url(db), version, settings, createDatabase(name), query(db, sql, values), stop() }.
 * `extra` are more `-c name=value` server settings (e.g. max_connections).
 */
export async function startPostgres({ extra = {} } = {}) {
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  if (!initdb || !pgCtl) throw new Error('initdb/pg_ctl not found: install PostgreSQL (Debian: postgresql) to run this benchmark');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-bench-pg-'));
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    live.delete(stop);
    const [cmd, argv] = pgArgv(pgCtl, ['-D', path.join(dir, 'data'), '-m', 'fast', '-w', '-t', '30', 'stop']);
    if (fs.existsSync(path.join(dir, 'data', 'postmaster.pid'))) spawnSync(cmd, argv, { stdio: 'ignore', timeout: 40_000 });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  live.add(stop);
  try {
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      fs.chownSync(dir, uid, gid);
    }
    const data = path.join(dir, 'data');
    const run = (bin, args) => {
      const [cmd, argv] = pgArgv(bin, args);
      execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    };
    // --no-sync only skips initdb's own final fsync of the fresh cluster; the server runs durable.
    run(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const settings = { listen_addresses: '127.0.0.1', max_connections: 200, ...extra };
    const opts = [`-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
    run(pgCtl, ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
    const url = (db = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${db}`;
    const { default: pg } = await import('pg');
    const query = async (db, sql, values) => {
      const c = new pg.Client({ connectionString: url(db) });
      await c.connect();
      try {
        return (await c.query(sql, values)).rows;
      } finally {
        await c.end();
      }
    };
    const shown = await query(
      'postgres',
      "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit, current_setting('full_page_writes') AS full_page_writes, current_setting('wal_sync_method') AS wal_sync_method, current_setting('shared_buffers') AS shared_buffers",
    );
    const { version, ...durability } = shown[0];
    const postmaster = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return {
      url,
      port,
      /** CPU ms used by the cluster so far (see clusterCpuMs). */
      cpuMs: () => clusterCpuMs(postmaster),
      version,
      settings: durability,
      query,
      async createDatabase(name) {
        await query('postgres', `CREATE DATABASE "${name}"`);
        return url(name);
      },
      stop: async () => stop(),
    };
  } catch (err) {
    stop();
    throw err;
  }
}

/** utime, stime, cutime, cstime of a process in ms (from /proc/PID/stat, 100 ticks/s), and its parent pid. */
function procTimes(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) * 10, children: (Number(f[13]) + Number(f[14])) * 10 };
}

/**
 * CPU ms used so far by a cluster: the postmaster with its reaped children (exited backends),
 * plus every live child (backends, WAL writer, checkpointer…). A difference of two readings is
 * exact while the backends live throughout, as pooled connections do.
 */
function clusterCpuMs(postmaster) {
  const root = procTimes(postmaster);
  let ms = root.self + root.children;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const t = procTimes(Number(d));
      if (t.ppid === postmaster) ms += t.self;
    } catch {
      // exited meanwhile
    }
  }
  return ms;
}

/**
 * Copies tables from a better-sqlite3 database into PostgreSQL with the same columns, in chunks of
 * `chunk` rows per INSERT … SELECT unnest(…) (one round trip each). `map` may rewrite a row.
 */
export async function copyTable(sqlite, pgClient, table, { columns, types, map = (r) => r, chunk = 20_000 }) {
  const select = sqlite.prepare(`SELECT ${columns.join(', ')} FROM ${table}`).raw();
  const cast = columns.map((_, i) => `$${i + 1}::${types[i]}[]`).join(', ');
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${cast})`;
  let cols = columns.map(() => []);
  let n = 0;
  const flush = async () => {
    if (cols[0].length) await pgClient.query(sql, cols);
    cols = columns.map(() => []);
  };
  for (const r of select.iterate()) {
    map(r).forEach((v, i) => cols[i].push(v));
    n++;
    if (cols[0].length >= chunk) await flush();
  }
  await flush();
  return n;
}
