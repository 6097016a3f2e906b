// `mlx log batch` of 1,000,000 metric points vs the fastest fair baseline: a bare
// better-sqlite3 insert of the same rows into the same `metrics` table (same schema, same
// pragmas, one transaction, one prepared INSERT, rows already in memory). Each measurement
// gets a fresh store; the two are alternated and repeated, medians reported.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isMain, makeTemp, median, mlx, MLX, NODE, openDb, rmTemp, rng, round, storeEnv, timeSpawn } from './lib/util.mjs';

const POINTS = Number(process.env.BENCH_BATCH_POINTS ?? 1_000_000);
const REPEATS = Number(process.env.BENCH_BATCH_REPEATS ?? 3);
const TIME_BIN = '/usr/bin/time';
const T0 = 1_700_000_000_000;

/** The benchmark's points, shared by the JSON-lines file and the in-memory baseline rows. */
function point(i, rand) {
  return { key: `m${i % 10}`, value: rand(), step: Math.floor(i / 10), timestamp: T0 + i };
}

function writeJsonl(file) {
  const rand = rng(42);
  const fd = fs.openSync(file, 'w');
  const CHUNK = 10_000;
  for (let i = 0; i < POINTS; i += CHUNK) {
    let s = '';
    for (let j = i; j < Math.min(POINTS, i + CHUNK); j++) {
      const p = point(j, rand);
      s += `{"type":"metric","key":"${p.key}","value":${p.value},"step":${p.step},"timestamp":${p.timestamp}}\n`;
    }
    fs.writeSync(fd, s);
  }
  fs.closeSync(fd);
}

/** A fresh store with one run, created by the CLI (so schema and pragmas are mlx's own). */
function freshStore(dir, n) {
  const store = path.join(dir, `store-${n}`, '.mlx');
  const env = storeEnv(store);
  const runId = mlx(['runs', 'start', '--name', `batch-${n}`], env);
  return { store, env, runId };
}

async function baseline(dir, n, rows) {
  const { store, runId } = freshStore(dir, n);
  const db = await openDb(store);
  const insert = db.prepare('INSERT INTO metrics (run_uuid, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, ?, ?, ?)');
  const t0 = process.hrtime.bigint();
  db.exec('BEGIN IMMEDIATE');
  for (const r of rows) insert.run(runId, r.key, r.value, 0, r.step, r.timestamp);
  db.exec('COMMIT');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const count = db.prepare('SELECT count(*) FROM metrics WHERE run_uuid = ?').pluck().get(runId);
  db.close();
  if (count !== POINTS) throw new Error(`baseline stored ${count} rows, expected ${POINTS}`);
  return { ms, rows_per_s: POINTS / (ms / 1000) };
}

async function viaMlx(dir, n, file) {
  const { store, env, runId } = freshStore(dir, n);
  const rssFile = path.join(dir, `rss-${n}.txt`);
  const args = ['-f', '%M', '-o', rssFile, NODE, MLX, 'log', 'batch', file, '--run', runId, '--json'];
  const r = await timeSpawn(TIME_BIN, args, { env, cwd: dir });
  if (r.code !== 0) throw new Error(`mlx log batch exited ${r.code}: ${r.stderr}`);
  const counts = JSON.parse(r.stdout);
  const rssKb = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  const db = await openDb(store);
  const count = db.prepare('SELECT count(*) FROM metrics WHERE run_uuid = ?').pluck().get(runId);
  const latest = db.prepare('SELECT count(*) FROM latest_metrics WHERE run_uuid = ?').pluck().get(runId);
  db.close();
  if (count !== POINTS || counts.metrics !== POINTS) throw new Error(`mlx stored ${count} rows (reported ${counts.metrics}), expected ${POINTS}`);
  if (latest !== 10) throw new Error(`mlx left ${latest} latest_metrics rows, expected 10`);
  return { ms: r.ms, rows_per_s: POINTS / (r.ms / 1000), peak_rss_mb: rssKb / 1024 };
}

export async function benchLogBatch() {
  const probe = spawnSync(TIME_BIN, ['-f', '%M', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(`${TIME_BIN} is needed for peak RSS (GNU time): apt-get install -y time`);
  const dir = makeTemp('mlx-bench-batch-');
  try {
    const file = path.join(dir, 'points.jsonl');
    let t = process.hrtime.bigint();
    writeJsonl(file);
    const genMs = Number(process.hrtime.bigint() - t) / 1e6;
    const rand = rng(42);
    const rows = Array.from({ length: POINTS }, (_, i) => point(i, rand));

    const base = [];
    const cli = [];
    for (let i = 0; i < REPEATS; i++) {
      // Alternate which goes first so drift in machine load does not favour one side.
      if (i % 2 === 0) {
        base.push(await baseline(dir, `b${i}`, rows));
        cli.push(await viaMlx(dir, `m${i}`, file));
      } else {
        cli.push(await viaMlx(dir, `m${i}`, file));
        base.push(await baseline(dir, `b${i}`, rows));
      }
      // Each store is used once: drop it so the disk holds at most a couple at a time.
      for (const s of [`b${i}`, `m${i}`]) rmTemp(path.join(dir, `store-${s}`));
    }
    const baseRate = median(base.map((b) => b.rows_per_s));
    const cliRate = median(cli.map((c) => c.rows_per_s));
    const ratio = cliRate / baseRate;
    const rss = median(cli.map((c) => c.peak_rss_mb));
    return {
      points: POINTS,
      repeats: REPEATS,
      file_mb: round(fs.statSync(file).size / 2 ** 20, 1),
      file_generation_ms: round(genMs, 0),
      baseline: {
        what: 'better-sqlite3 in-process: one transaction, one prepared INSERT into metrics, rows pre-generated in memory',
        median_ms: round(median(base.map((b) => b.ms)), 0),
        median_rows_per_s: Math.round(baseRate),
        runs_ms: base.map((b) => round(b.ms, 0)),
      },
      mlx_log_batch: {
        what: '`mlx log batch FILE --run ID` as a spawned process, wall time from spawn to exit (process start and file parsing included)',
        median_ms: round(median(cli.map((c) => c.ms)), 0),
        median_rows_per_s: Math.round(cliRate),
        runs_ms: cli.map((c) => round(c.ms, 0)),
        median_peak_rss_mb: round(rss, 1),
        max_peak_rss_mb: round(Math.max(...cli.map((c) => c.peak_rss_mb)), 1),
      },
      ratio_vs_baseline: round(ratio, 3),
      target_ratio: 0.4,
      target_peak_rss_mb: 300,
      pass_ratio: ratio >= 0.4,
      pass_rss: Math.max(...cli.map((c) => c.peak_rss_mb)) < 300,
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchLogBatch(), null, 2)}\n`);
}
