// Reliability (issue 2): concurrent writers all land, and a `mlx log batch` killed with SIGKILL
// leaves a sound database holding none or all of that file's points.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cleanEnv, MLX_BIN, mlx, mlxJson, mlxSpawn, ROOT, tempProject } from './helpers/cli.js';

const WORKER = path.join(ROOT, 'test/fixtures/concurrent-logger.mjs');

function newRun(dir: string): string {
  const r = mlx(dir, ['runs', 'start']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

function query<T>(dir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, '.mlx', 'mlx.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const points = (dir: string, run: string) => query(dir, (db) => db.prepare('SELECT count(*) FROM metrics WHERE run_uuid = ?').pluck().get(run) as number);

function exited(p: ChildProcess) {
  let out = '';
  let err = '';
  p.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    p.on('close', (code, signal) => resolve({ code, signal, out, err })),
  );
}

describe('concurrent writers', () => {
  it('8 processes each logging 250 metrics to one run at once: exactly 2,000 points, none fails', async () => {
    const dir = tempProject('mlx-conc-');
    const run = newRun(dir);
    const store = path.join(dir, '.mlx');
    const workers = Array.from({ length: 8 }, (_, w) =>
      spawn(process.execPath, [WORKER, store, run, String(w), '250'], { cwd: dir, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    const done = workers.map(exited);
    // Hold every worker at the start line until all have opened the store, then release them together.
    await Promise.all(workers.map((p) => new Promise<void>((resolve) => p.stdout!.on('data', (d: Buffer) => String(d).includes('ready') && resolve()))));
    for (const p of workers) p.stdin!.end('go\n');
    const results = await Promise.all(done);
    for (const r of results) expect(r, r.err).toMatchObject({ code: 0, signal: null, err: '' });
    expect(points(dir, run)).toBe(2000);
    const steps = query(dir, (db) => db.prepare('SELECT count(DISTINCT step) FROM metrics WHERE run_uuid = ?').pluck().get(run));
    expect(steps).toBe(2000);
    // The latest value is the highest step's: worker 7's last point.
    expect(mlxJson(dir, ['runs', 'show', run]).metrics.loss).toBe(7 + 249 / 1000);
  }, 120_000);

  it('8 concurrent loops of 10 `mlx log metric` processes: 80 points, all exit 0', async () => {
    const dir = tempProject('mlx-conc-cli-');
    const run = newRun(dir);
    const loop = async (l: number) => {
      const failures: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await exited(mlxSpawn(dir, ['log', 'metric', `loop${l}`, String(i), '--step', String(i)], { MLX_RUN_ID: run }));
        if (r.code !== 0 || r.err !== '') failures.push(`loop ${l} #${i}: exit ${r.code} ${r.err}`);
      }
      return failures;
    };
    const failures = (await Promise.all(Array.from({ length: 8 }, (_, l) => loop(l)))).flat();
    expect(failures).toEqual([]);
    expect(points(dir, run)).toBe(80);
    const shown = mlxJson(dir, ['runs', 'show', run]);
    expect(shown.metrics).toEqual(Object.fromEntries(Array.from({ length: 8 }, (_, l) => [`loop${l}`, 9])));
  }, 180_000);
});

describe('log batch killed with SIGKILL', () => {
  const LINES = 300_000;
  const BEFORE = 3;

  function bigBatch(dir: string): string {
    const file = path.join(dir, 'big.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < LINES; i++) lines.push(JSON.stringify({ type: 'metric', key: `k${i % 10}`, value: i * 0.5, step: i }));
    lines.push(JSON.stringify({ type: 'param', key: 'batch_param', value: 'set' }));
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  function walSize(dir: string): number {
    try {
      return fs.statSync(path.join(dir, '.mlx', 'mlx.db-wal')).size;
    } catch {
      return 0;
    }
  }

  /** True while another connection holds the write lock, i.e. the batch's transaction is open. */
  function writeLockHeld(dir: string): boolean {
    const db = new Database(path.join(dir, '.mlx', 'mlx.db'), { timeout: 0 });
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      return false;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
      throw err;
    } finally {
      db.close();
    }
  }

  /** When to kill: as soon as the process exists, or once the WAL holds this many bytes of the open transaction. */
  type When = 'at-spawn' | number;
  const MB = 1024 * 1024;

  /**
   * Starts the batch (from the file, or from stdin fed only the first half of it) and SIGKILLs it
   * when `when` says so; returns how it ended and whether its transaction was open at the kill.
   */
  async function killBatch(dir: string, run: string, file: string, source: 'file' | 'stdin', when: When) {
    const p = spawn(process.execPath, [MLX_BIN, 'log', 'batch', source === 'file' ? file : '-', '--run', run], {
      cwd: dir,
      env: cleanEnv(),
      stdio: [source === 'file' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const ended = exited(p);
    let finished = false;
    void ended.then(() => (finished = true));
    if (source === 'stdin') {
      p.stdin!.on('error', () => {}); // EPIPE once it is killed
      const text = fs.readFileSync(file, 'utf8');
      p.stdin!.write(text.slice(0, text.indexOf('\n', text.length / 2) + 1)); // no EOF: it cannot commit
    }
    if (when === 'at-spawn') await new Promise((resolve) => p.once('spawn', resolve));
    else {
      // The deadline only keeps a broken build from hanging the suite; the kill normally comes far sooner.
      const giveUp = Date.now() + 60_000;
      while (!finished && walSize(dir) < when && Date.now() < giveUp) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const walAtKill = walSize(dir);
    const inTransaction = when === 'at-spawn' ? null : writeLockHeld(dir);
    p.kill('SIGKILL');
    return { ...(await ended), walAtKill, inTransaction };
  }

  const cases: [string, 'file' | 'stdin', When][] = [
    ['a file, killed midway', 'file', 4 * MB],
    ['a file, killed at the first page written', 'file', 33], // past the 32-byte WAL header
    ['a file, killed very early (at spawn)', 'file', 'at-spawn'],
    ['stdin fed half the lines, killed mid-transaction', 'stdin', 1 * MB],
  ];
  for (const [title, source, when] of cases) {
    it(`${title}: integrity_check ok, and none or all of the file's points`, async () => {
      const dir = tempProject('mlx-kill-');
      const run = newRun(dir);
      for (let i = 0; i < BEFORE; i++) expect(mlx(dir, ['log', 'metric', 'pre', String(i), '--run', run, '--step', String(i)]).code).toBe(0);
      const file = bigBatch(dir);
      expect(walSize(dir), 'the last connection checkpointed and removed the WAL').toBe(0);

      const ended = await killBatch(dir, run, file, source, when);
      expect(ended.signal, `the batch must be killed, not finish first (exit ${ended.code}: ${ended.err})`).toBe('SIGKILL');

      const integrity = query(dir, (db) => db.pragma('integrity_check', { simple: true }));
      expect(integrity).toBe('ok');
      const n = points(dir, run);
      const param = query(dir, (db) => db.prepare("SELECT count(*) FROM params WHERE key = 'batch_param'").pluck().get());
      console.log(
        `[reliability] ${title}: WAL ${ended.walAtKill} bytes, transaction open: ${ended.inTransaction}, ` + `${n - BEFORE} of ${LINES} batch points stored`,
      );
      expect([BEFORE, BEFORE + LINES]).toContain(n);
      expect(param).toBe(n === BEFORE ? 0 : 1);
      if (source === 'stdin') {
        // Half the input and no EOF: the transaction was certainly open, so none of it may show.
        expect(ended.inTransaction).toBe(true);
        expect(n).toBe(BEFORE);
        return;
      }

      // The store still works, and the same file then lands whole.
      const again = mlx(dir, ['log', 'batch', file, '--run', run, '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({ run_id: run, metrics: LINES, params: 1, tags: 0 });
      expect(points(dir, run)).toBe(n + LINES);
      expect(query(dir, (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');
    }, 180_000);
  }
});
