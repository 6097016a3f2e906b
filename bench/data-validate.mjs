// `mlx data profile` and `mlx data validate` on a 1,000,000-row × 20-column CSV against the pandas way of
// profiling it: pandas.read_csv + DataFrame.describe(include='all') (bench/lib/describe_reference.py).
// All three are whole spawned processes run alternately (profile, validate, python, …); wall time from spawn
// to exit and peak RSS from GNU time. Targets (issue 20): each mlx command at most as long as pandas, peak
// RSS under 500 MB. The columns: an id (unique), 4 ints, 10 floats, 3 low-cardinality strings, a date and a
// bool, with 2% nulls in two columns. BENCH_VALIDATE_ROWS / BENCH_VALIDATE_REPEATS shrink it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMain, makeTemp, median, MLX, NODE, rmTemp, rng, round, ROOT, timeSpawn } from './lib/util.mjs';

const ROWS = Number(process.env.BENCH_VALIDATE_ROWS ?? 1_000_000);
const REPEATS = Number(process.env.BENCH_VALIDATE_REPEATS ?? 3);
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const TIME_BIN = '/usr/bin/time';
const REFERENCE_PY = path.join(ROOT, 'bench', 'lib', 'describe_reference.py');
// Another build's bin/mlx.js (e.g. the commit before a change): its 1-thread profile and validate run
// interleaved with this build's, so a change is measured side by side under the same load.
const BASELINE = process.env.BENCH_VALIDATE_BASELINE;

export function writeCsv(file, seed) {
  const rand = rng(seed);
  const colors = ['red', 'green', 'blue', 'black', 'white'];
  const cities = Array.from({ length: 40 }, (_, i) => `city-${i}`);
  const plans = ['free', 'pro', 'team'];
  const fd = fs.openSync(file, 'w');
  const head = ['id', 'age', 'visits', 'items', 'tenure', ...Array.from({ length: 10 }, (_, i) => `f${i}`), 'color', 'city', 'plan', 'joined', 'active'];
  let buf = `${head.join(',')}\n`;
  for (let r = 0; r < ROWS; r++) {
    const row = [r, 18 + Math.floor(rand() * 70), Math.floor(rand() * 1000), rand() < 0.02 ? '' : Math.floor(rand() * 50), Math.floor(rand() * 120)];
    for (let i = 0; i < 10; i++) row.push(i === 3 && rand() < 0.02 ? '' : ((rand() - 0.5) * 10 ** (i % 4)).toFixed(4));
    row.push(colors[Math.floor(rand() * colors.length)], cities[Math.floor(rand() * cities.length)], plans[Math.floor(rand() * 3)]);
    row.push(`202${Math.floor(rand() * 5)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 10)}`, rand() < 0.5 ? 'True' : 'False');
    buf += `${row.join(',')}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

async function timed(dir, name, cmd, args, okCodes = [0]) {
  const rssFile = path.join(dir, `rss-${name}.txt`);
  const env = { ...process.env, MLX_TRACKING_URI: path.join(dir, '.mlx'), NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const r = await timeSpawn(TIME_BIN, ['-f', '%M %U %S', '-o', rssFile, cmd, ...args], { cwd: dir, env });
  if (!okCodes.includes(r.code)) throw new Error(`${name} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const [kb, user, sys] = fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { ms: r.ms, rssMb: kb / 1024, cpuMs: (user + sys) * 1000, stdout: r.stdout };
}

export async function benchDataValidate() {
  const probe = spawnSync(TIME_BIN, ['-f', '%M', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(`${TIME_BIN} is needed for peak RSS (GNU time): apt-get install -y time`);
  const py = spawnSync(PYTHON, ['-c', 'import pandas'], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`${PYTHON} needs pandas: apt-get install -y python3-pandas`);
  const dir = makeTemp('mlx-bench-validate-');
  try {
    const data = path.join(dir, 'data.csv');
    writeCsv(data, 7);
    const schema = path.join(dir, 'schema.json');
    // The schema once, so validation has one to check (and its own runs do not write it).
    await timed(dir, 'warm', NODE, [MLX, 'data', 'profile', data, '--out', schema]);
    const runs = { profile: [], validate: [], pandas: [], profile1: [], validate1: [], baseProfile1: [], baseValidate1: [] };
    const validateArgs = [MLX, 'data', 'validate', data, '--schema', schema, '--expect', 'age >= 18 and visits < 1000', '--json'];
    for (let i = 0; i < REPEATS; i++) {
      // The default threads (min(cores, 2)), then one thread: the same work, so CPU time compares them.
      runs.profile.push(await timed(dir, 'profile', NODE, [MLX, 'data', 'profile', data, '--json']));
      runs.validate.push(await timed(dir, 'validate', NODE, validateArgs, [0, 4]));
      runs.pandas.push(await timed(dir, 'pandas', PYTHON, [REFERENCE_PY, data]));
      runs.profile1.push(await timed(dir, 'profile1', NODE, [MLX, 'data', 'profile', data, '--json', '--threads', '1']));
      runs.validate1.push(await timed(dir, 'validate1', NODE, [...validateArgs, '--threads', '1'], [0, 4]));
      if (BASELINE) {
        runs.baseProfile1.push(await timed(dir, 'baseProfile1', NODE, [BASELINE, 'data', 'profile', data, '--json', '--threads', '1']));
        runs.baseValidate1.push(await timed(dir, 'baseValidate1', NODE, [BASELINE, ...validateArgs.slice(1), '--threads', '1'], [0, 4]));
      }
    }
    const sum = (xs) => ({
      wall_ms: round(median(xs.map((x) => x.ms)), 0),
      cpu_ms: round(median(xs.map((x) => x.cpuMs)), 0),
      peak_rss_mb: round(Math.max(...xs.map((x) => x.rssMb)), 1),
    });
    const p = sum(runs.profile);
    const v = sum(runs.validate);
    const pd = sum(runs.pandas);
    const report = JSON.parse(runs.validate[0].stdout);
    return {
      bench: 'data-validate',
      rows: ROWS,
      columns: 20,
      file_mb: round(fs.statSync(data).size / 1024 / 1024, 1),
      repeats: REPEATS,
      mlx_profile: p,
      mlx_validate: { ...v, expectations: report.statistics.evaluated, valid: report.valid },
      mlx_profile_1_thread: sum(runs.profile1),
      mlx_validate_1_thread: sum(runs.validate1),
      threads_default: Math.min(os.availableParallelism(), 2),
      load_average: os.loadavg().map((x) => round(x, 2)),
      pandas_read_csv_describe: { ...pd, ...JSON.parse(runs.pandas[0].stdout) },
      ratio_cpu_profile_to_pandas: round(p.cpu_ms / pd.cpu_ms, 2),
      ratio_cpu_validate_to_pandas: round(v.cpu_ms / pd.cpu_ms, 2),
      ratio_profile_to_pandas: round(p.wall_ms / pd.wall_ms, 2),
      ratio_validate_to_pandas: round(v.wall_ms / pd.wall_ms, 2),
      ...(BASELINE
        ? (() => {
            const bp = sum(runs.baseProfile1);
            const bv = sum(runs.baseValidate1);
            const p1 = sum(runs.profile1);
            const v1 = sum(runs.validate1);
            const same = JSON.stringify(JSON.parse(runs.baseValidate1[0].stdout).results) === JSON.stringify(JSON.parse(runs.validate1[0].stdout).results);
            return {
              baseline: { mlx: BASELINE, profile_1_thread: bp, validate_1_thread: bv, same_validation_results: same },
              ratio_cpu_profile_1_thread_to_baseline: round(p1.cpu_ms / bp.cpu_ms, 2),
              ratio_cpu_validate_1_thread_to_baseline: round(v1.cpu_ms / bv.cpu_ms, 2),
            };
          })()
        : {}),
      targets: { ratio_at_most: 1, peak_rss_mb_under: 500 },
      met: p.wall_ms <= pd.wall_ms && v.wall_ms <= pd.wall_ms && p.peak_rss_mb < 500 && v.peak_rss_mb < 500,
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await benchDataValidate(), null, 2));
