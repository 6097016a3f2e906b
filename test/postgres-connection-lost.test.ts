// A PostgreSQL connection lost in the middle of a command, as happens when the database restarts or
// an administrator ends sessions: the CLI says so in one line (not "internal error … report it") and
// exits 1; the tracking server answers that request 503 in MLflow's shape and serves the next one.
// The loss is made for real: an admin session locks the runs table, the command's query waits on the
// lock, and pg_terminate_backend ends the waiting session.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlx, mlxAsync, tempProject } from './helpers/cli.js';
import { call, startTrackingServer, stopServers } from './helpers/mlx-server.js';
import { postgresForTests } from './helpers/postgres.js';

const pg = await postgresForTests();
const describePg = pg ? describe : describe.skip;
let dir: string;
let url: string;
let db: string;

beforeAll(async () => {
  if (!pg) return;
  dir = tempProject('mlx-pg-lost-');
  db = await pg.createDatabase();
  url = pg.url(db);
  // Creates the schema and one run to list.
  const r = mlx(dir, ['runs', 'start', '--name', 'first', '--tracking-uri', url]);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await stopServers();
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Holds an exclusive lock on runs while fn runs, then ends every session of the database that waits on a lock. */
async function whileLocked<T>(start: () => T, waitingFor: () => Promise<unknown> | void = () => undefined): Promise<T> {
  const { default: pgLib } = await import('pg');
  const admin = new pgLib.Client({ connectionString: pg!.url() });
  await admin.connect();
  const locker = new pgLib.Client({ connectionString: url });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE runs IN ACCESS EXCLUSIVE MODE');
    const started = start();
    await waitingFor();
    let ended = 0;
    // Up to a minute for the command to start and reach the lock: a spawned process on a loaded CI machine can take seconds.
    for (const until = Date.now() + 60_000; Date.now() < until && ended === 0;) {
      const r = await admin.query("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [db]);
      ended = Number(r.rows[0].n);
      if (ended === 0) await new Promise((res) => setTimeout(res, 50));
    }
    expect(ended, 'a session was waiting on the lock and was ended').toBeGreaterThan(0);
    return started;
  } finally {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end();
    await admin.end();
  }
}

describePg('a PostgreSQL connection lost mid-command', () => {
  it('the CLI prints one line saying so and what to do, and exits 1', async () => {
    // Awaited from the moment of spawning: the command can end while the lock is still being released.
    const { done } = await whileLocked(() => mlxAsync(dir, ['runs', 'list', '--tracking-uri', url]));
    const { code, stdout, stderr } = await done;
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^mlx: lost the connection to PostgreSQL: terminating connection due to administrator command; check that the database is up, then retry$/,
    );
    expect(stderr).not.toMatch(/internal error|report it/);
    expect(stdout).toBe('');
    expect(code).toBe(1);
  }, 120_000);

  it('the tracking server answers that request 503 TEMPORARILY_UNAVAILABLE, then serves the next', async () => {
    const artifacts = path.join(dir, 'artifacts');
    const server = await startTrackingServer(dir, ['--backend-store-uri', url, '--artifacts-destination', artifacts]);
    const search = () => call(server.base, 'POST', '/api/2.0/mlflow/runs/search', { experiment_ids: ['0'] });
    const { answer } = await whileLocked(() => ({ answer: search() }));
    const lost = await answer;
    expect(lost.status).toBe(503);
    expect(lost.body).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' });
    expect(String((lost.body as { message: string }).message)).toMatch(/^lost the connection to PostgreSQL: .*; check that the database is up, then retry$/);
    const next = await search();
    expect(next.status).toBe(200);
    expect((next.body as { runs: unknown[] }).runs).toHaveLength(1);
    expect(server.stderr()).not.toMatch(/internal error/);
  }, 120_000);
});
