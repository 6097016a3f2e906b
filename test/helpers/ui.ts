// Helpers of the web UI's end-to-end test: a spawned `mlx server`, headless Chromium through
// playwright-core, and a store filled with many runs straight through SQLite.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { mlxSpawn } from './cli.js';

/** Debian's chromium (the CI installs it); MLX_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.MLX_CHROMIUM ?? '/usr/bin/chromium';

export interface TrackingServer {
  proc: ChildProcess;
  base: string;
  stderr(): string;
  stop(): Promise<void>;
}

const running = new Set<TrackingServer>();

/** Starts `mlx server --port 0 --backend-store-uri STORE ARGS` and resolves once it listens. */
export async function startTrackingServer(cwd: string, store: string, args: string[] = []): Promise<TrackingServer> {
  const proc = mlxSpawn(cwd, ['server', '--port', '0', '--backend-store-uri', store, ...args], { MLX_SERVER_TOKEN: undefined });
  let err = '';
  proc.stdout!.resume();
  const base = await new Promise<string>((resolve, reject) => {
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code, signal) => reject(new Error(`mlx server exited (${code ?? signal}) before listening:\n${err}`)));
  });
  const exited = new Promise<void>((resolve) => (proc.exitCode !== null ? resolve() : proc.on('exit', () => resolve())));
  const server: TrackingServer = {
    proc,
    base,
    stderr: () => err,
    async stop() {
      running.delete(server);
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
  running.add(server);
  return server;
}

export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

/** Headless Chromium with the flags a container needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page that records script errors and dialogs (an XSS would open one), for asserting there were none. */
export async function newPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return { page, problems };
}

/** Saves a full-page screenshot into dir and checks that a non-empty PNG was written. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const bytes = fs.readFileSync(file);
  expect(bytes.length).toBeGreaterThan(1000);
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return file;
}

/**
 * Adds n runs (a param, two metrics with a few steps each) to a new experiment of the store at
 * storeDir, in one transaction, following the schema of src/store/sqlite/migrations.ts.
 * The store must exist already (create it with any mlx command).
 */
export function bulkRuns(storeDir: string, experiment: string, n: number): string {
  const db = new Database(path.join(storeDir, 'mlx.db'));
  try {
    const now = Date.now();
    const expId = (db.prepare('SELECT coalesce(max(experiment_id), 0) + 1 AS id FROM experiments').get() as { id: number }).id;
    const run = db.prepare(
      `INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
       VALUES (?, ?, ?, 'bulk', 'FINISHED', ?, ?, 'active', ?)`,
    );
    const tag = db.prepare('INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)');
    const param = db.prepare('INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)');
    const metric = db.prepare('INSERT INTO metrics (run_uuid, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, 0, ?, ?)');
    const latest = db.prepare('INSERT INTO latest_metrics (run_uuid, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, 0, ?, ?)');
    db.transaction(() => {
      db.prepare(
        `INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (?, ?, ?, 'active', ?, ?)`,
      ).run(expId, experiment, `artifacts/${expId}`, now, now);
      for (let i = 0; i < n; i++) {
        const id = randomBytes(16).toString('hex');
        const name = `bulk-${String(i).padStart(5, '0')}`;
        const start = now - (n - i) * 1000;
        run.run(id, name, expId, start, start + 500, `artifacts/${expId}/${id}/artifacts`);
        tag.run(id, 'mlflow.runName', name);
        tag.run(id, 'mlflow.user', 'bulk');
        param.run(id, 'seed', String(i));
        for (const [key, value] of [
          ['acc', (i % 997) / 997],
          ['loss', 1 - (i % 991) / 991],
        ] as const) {
          for (let step = 0; step < 3; step++) metric.run(id, key, (value * (step + 1)) / 3, step, start + step);
          latest.run(id, key, value, 2, start + 2);
        }
      }
    })();
    return String(expId);
  } finally {
    db.close();
  }
}
