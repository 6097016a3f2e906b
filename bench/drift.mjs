// `mlx drift --test ks` over two 1,000,000-row × 20-column CSV files against the seed's Python
// way of doing the same thing: pandas.read_csv of both files + scipy.stats.ks_2samp on every
// column (bench/lib/drift_reference.py). Both are whole spawned processes, run alternately
// (mlx, python, mlx, python, …), wall time from spawn to exit, peak RSS from /usr/bin/time.
// Every mlx answer is checked against scipy's (statistic and p-value, relative 1e-9; absolute
// 1e-12 for p < 1e-10). One more mlx run under `node --cpu-prof` splits mlx's time into
// reading/parsing, KS, summaries and the rest. Target (issue 5): mlx ≤ 2× python.
// CPU time (user+sys) is reported beside wall time: on a busy machine the wall ratio moves a
// lot (python suffers more from contention), the CPU ratio hardly. ks_scaling times ksTest
// in-process at growing n to show O(n log n). BENCH_DRIFT_ROWS / BENCH_DRIFT_REPEATS shrink it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMain, makeTemp, median, MLX, NODE, rmTemp, rng, round, ROOT, timeSpawn } from './lib/util.mjs';

const ROWS = Number(process.env.BENCH_DRIFT_ROWS ?? 1_000_000);
const REPEATS = Number(process.env.BENCH_DRIFT_REPEATS ?? 3);
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const TIME_BIN = '/usr/bin/time';
const TARGET_RATIO = 2.0;
const REFERENCE_PY = path.join(ROOT, 'bench', 'lib', 'drift_reference.py');
const PROFILE_SUMMARY = path.join(ROOT, 'bench', 'lib', 'profile-summary.mjs');

/** Standard normal draws from a seeded uniform source (Box–Muller, both halves used). */
function normals(rand) {
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    const u = 1 - rand(); // (0, 1]: log never sees 0
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

// Twenty columns of different shapes and scales. `shift` moves the current sample, in units of
// the column's spread, so p-values range from far below 1e-10 (exercises the absolute check)
// to clearly no drift; `price` is rounded to cents, so it has heavy ties.
const SIX = (x) => x.toPrecision(6);
const COLUMNS = [
  { name: 'age', shift: 0.05, draw: (z) => 40 + 12 * z },
  { name: 'income', shift: 0.01, draw: (z) => Math.exp(10.5 + 0.5 * z) },
  { name: 'score', shift: 0.004, draw: (z) => z },
  { name: 'clicks', shift: 0.002, draw: (z) => Math.exp(1 + 0.8 * z) },
  { name: 'time', shift: 0.2, draw: (z) => 300 + 60 * z },
  { name: 'price', shift: 0.003, fmt: (x) => x.toFixed(2), draw: (z) => 20 + 3 * z },
  ...Array.from({ length: 14 }, (_, k) => ({
    name: `f${String(k).padStart(2, '0')}`,
    shift: k === 0 ? 0.02 : k === 1 ? 0.0015 : 0,
    draw: (z) => (k % 3 === 0 ? z : k % 3 === 1 ? 1000 * (1 + 0.1 * z) : 1e-3 * z),
  })),
];

/** Writes one CSV (exported to reproduce the files); `current` shifts the columns that have a shift and uses other random draws. */
export function writeCsv(file, seed, current) {
  const normal = normals(rng(seed));
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, `${COLUMNS.map((c) => c.name).join(',')}\n`);
  const CHUNK = 5000;
  const fields = new Array(COLUMNS.length);
  for (let i = 0; i < ROWS; i += CHUNK) {
    let s = '';
    for (let r = i; r < Math.min(ROWS, i + CHUNK); r++) {
      for (let k = 0; k < COLUMNS.length; k++) {
        const c = COLUMNS[k];
        fields[k] = (c.fmt ?? SIX)(c.draw(normal() + (current ? c.shift : 0)));
      }
      s += `${fields.join(',')}\n`;
    }
    fs.writeSync(fd, s);
  }
  fs.closeSync(fd);
}

// GNU time: peak RSS in KB, user and system CPU seconds. CPU time is reported beside wall time
// because the machine may be shared: other load stretches wall time but hardly CPU time.
const TIME_FMT = '%M %U %S';

/** Peak RSS (MB) and CPU time (ms) that /usr/bin/time -o wrote (last line; earlier ones may be warnings). */
function readTimeFile(file) {
  const [kb, user, sys] = fs.readFileSync(file, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { peak_rss_mb: kb / 1024, cpu_ms: (user + sys) * 1000 };
}

async function runMlx(dir, n, ref, cur) {
  const rssFile = path.join(dir, `rss-mlx-${n}.txt`);
  const args = ['-f', TIME_FMT, '-o', rssFile, NODE, MLX, 'drift', '--reference', ref, '--current', cur, '--test', 'ks', '--json'];
  const r = await timeSpawn(TIME_BIN, args, { cwd: dir, env: benchEnv(dir) });
  if (r.code !== 0) throw new Error(`mlx drift exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return { ms: r.ms, ...readTimeFile(rssFile), report: JSON.parse(r.stdout) };
}

async function runPython(dir, n, ref, cur) {
  const rssFile = path.join(dir, `rss-py-${n}.txt`);
  const r = await timeSpawn(TIME_BIN, ['-f', TIME_FMT, '-o', rssFile, PYTHON, REFERENCE_PY, ref, cur], { cwd: dir, env: benchEnv(dir) });
  if (r.code !== 0) throw new Error(`${PYTHON} drift_reference.py exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return { ms: r.ms, ...readTimeFile(rssFile), out: JSON.parse(r.stdout) };
}

/** No store is touched, but point MLX_TRACKING_URI into the temp dir anyway; no NODE_OPTIONS. */
function benchEnv(dir) {
  const env = { ...process.env, MLX_TRACKING_URI: path.join(dir, '.mlx'), NO_COLOR: '1' };
  delete env.MLX_RUN_ID;
  delete env.NODE_OPTIONS;
  return env;
}

/** Compares mlx's --json columns with scipy's: same columns, same statistic and p-value. */
function compare(report, py) {
  const rows = [];
  let ok = report.columns.length === py.columns.length;
  for (const p of py.columns) {
    const m = report.columns.find((c) => c.column === p.column);
    const relD = m ? relErr(m.statistic, p.statistic) : Infinity;
    const pOk = m && (p.p_value < 1e-10 ? Math.abs(m.p_value - p.p_value) <= 1e-12 : relErr(m.p_value, p.p_value) <= 1e-9);
    const good = !!m && m.test === 'ks' && relD <= 1e-9 && pOk;
    ok &&= good;
    rows.push({
      column: p.column,
      statistic: p.statistic,
      p_value_scipy: p.p_value,
      p_value_mlx: m?.p_value ?? null,
      rel_err_statistic: relD,
      rel_err_p: m ? relErr(m.p_value, p.p_value) : null,
      drift: m?.drift ?? null,
      match: good,
    });
  }
  return { ok, rows };
}

function relErr(a, b) {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

// --- profile: where mlx's time goes ------------------------------------------------------

/**
 * Splits a .cpuprofile into phases. Each sample goes to the innermost frame on its stack that
 * belongs to a known part of mlx (a native sort inside sortedCopy counts as KS, Number() inside
 * ColumnBuilder.add as reading). Samples with no mlx frame are GC, idle, or node internals;
 * fs/stream internals count as reading (they only run to feed the CSV reader).
 */
function phaseSplit(prof) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseOf = new Map();
  const classify = (id) => {
    if (phaseOf.has(id)) return phaseOf.get(id);
    let phase = null;
    for (let cur = id; cur !== undefined && !phase; cur = parent.get(cur)) {
      const { url, functionName } = byId.get(cur).callFrame;
      if (/\/(drift\/dataset|core\/csv-records)\.js$/.test(url)) phase = 'read_parse';
      else if (/\/drift\/stats\/(ks|ks-exact|kolmogorov|smirnov|sample|float)\.js$/.test(url)) phase = 'ks';
      else if (/\/drift\/summary\.js$/.test(url)) phase = 'summaries';
      else if (/\/drift\/|\/cli\/commands\/drift/.test(url) && functionName !== '') phase = 'analysis_other';
      else if (/^node:internal\/(fs|streams)|^node:fs$/.test(url)) phase = 'read_parse';
      else if (functionName === '(garbage collector)') phase = 'gc';
      else if (functionName === '(idle)') phase = 'idle';
      else if (functionName === '(program)') phase = 'program';
    }
    phase ??= 'startup_and_other';
    phaseOf.set(id, phase);
    return phase;
  };
  const ms = {};
  const fnMs = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    const phase = classify(prof.samples[i]);
    ms[phase] = (ms[phase] ?? 0) + dt;
    const f = byId.get(prof.samples[i]).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    fnMs.set(key, (fnMs.get(key) ?? 0) + dt);
  }
  const total = Object.values(ms).reduce((a, b) => a + b, 0);
  return {
    total_ms: round(total, 0),
    phases: Object.fromEntries(
      Object.entries(ms)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, { ms: round(v, 0), share: round(v / total, 3) }]),
    ),
    top_functions_self_ms: [...fnMs]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([fn, v]) => ({ fn, ms: round(v, 0) })),
  };
}

async function profileMlx(dir, ref, cur) {
  const profDir = path.join(dir, 'prof');
  const args = ['--cpu-prof', '--cpu-prof-dir', profDir, MLX, 'drift', '--reference', ref, '--current', cur, '--test', 'ks', '--json'];
  const r = await timeSpawn(NODE, args, { cwd: dir, env: benchEnv(dir) });
  if (r.code !== 0) throw new Error(`profiled mlx drift exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const file = path.join(
    profDir,
    fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')),
  );
  const s = spawnSync(NODE, [PROFILE_SUMMARY, file, '12'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (s.status !== 0) throw new Error(`profile-summary failed: ${s.stderr}`);
  return { wall_ms_under_profiler: round(r.ms, 0), by_file_self: JSON.parse(s.stdout), ...phaseSplit(JSON.parse(fs.readFileSync(file, 'utf8'))) };
}

/**
 * KS alone, in-process, at growing sizes: time per pooled value should grow like log n
 * (O(n log n)); an O(n·m) statistic would make 4× the data take 16× the time. Both samples come
 * from the same distribution, so n·D² stays small and the p-value takes its cheap branch at
 * every size. A shifted pair is timed apart: there n·D² ≥ 2.2 sends the p-value through the
 * Smirnov sum (2·smirnov(n, D), O(n) terms), which scipy's kstwo.sf evaluates the same way and
 * at about the same cost (≈ 0.3–0.45 s at n = 500,000 in both). Also one very unequal pair
 * (1,000,000 vs 1,000), which an O(n·m) method could not finish in time.
 */
async function ksScaling() {
  const { ksTest } = await import(pathToFileURL(path.join(ROOT, 'dist', 'drift', 'stats', 'ks.js')).href);
  const normal = normals(rng(99));
  const sample = (n, shift) => Float64Array.from({ length: n }, () => Math.round((normal() + shift) * 1e5) / 1e5);
  const timeKs = (x, y) => {
    const times = [];
    let res;
    for (let k = 0; k < 3; k++) {
      const t0 = process.hrtime.bigint();
      res = ksTest(x, y);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { ms: median(times), res };
  };
  const rows = [];
  for (const n of [62_500, 250_000, 1_000_000]) {
    const { ms, res } = timeKs(sample(n, 0), sample(n, 0));
    rows.push({ n, m: n, median_ms: round(ms, 1), ns_per_value: round((ms * 1e6) / (2 * n), 1), statistic: res.statistic, p_value: res.pValue });
  }
  const shifted = timeKs(sample(1_000_000, 0), sample(1_000_000, 0.005));
  const big = sample(1_000_000, 0);
  const small = sample(1_000, 0.1);
  const t0 = process.hrtime.bigint();
  ksTest(big, small);
  const unequalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const growth = rows.at(-1).median_ms / rows[1].median_ms;
  return {
    sizes: rows,
    time_ratio_1m_over_250k: round(growth, 2),
    expected_n_log_n: round((4 * Math.log(2e6)) / Math.log(5e5), 2),
    expected_n_squared: 16,
    shifted_1m: {
      median_ms: round(shifted.ms, 1),
      statistic: shifted.res.statistic,
      p_value: shifted.res.pValue,
      n_d_squared: round(5e5 * shifted.res.statistic ** 2, 2),
    },
    unequal_1m_vs_1k_ms: round(unequalMs, 1),
    pass_n_log_n: growth < 8,
  };
}

export async function benchDrift() {
  const probe = spawnSync(TIME_BIN, ['-f', '%M', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(`${TIME_BIN} is needed for peak RSS (GNU time): apt-get install -y time`);
  const py = spawnSync(PYTHON, ['-c', 'import pandas, scipy'], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`${PYTHON} needs pandas and scipy: apt-get install -y python3-pandas python3-scipy\n${py.stderr}`);
  const dir = makeTemp('mlx-bench-drift-');
  try {
    const ref = path.join(dir, 'reference.csv');
    const cur = path.join(dir, 'current.csv');
    let t = process.hrtime.bigint();
    writeCsv(ref, 1, false);
    writeCsv(cur, 2, true);
    const genMs = Number(process.hrtime.bigint() - t) / 1e6;
    process.stderr.write(`  drift: wrote 2 × ${ROWS} rows in ${(genMs / 1000).toFixed(1)} s\n`);

    const mlxRuns = [];
    const pyRuns = [];
    for (let i = 0; i < REPEATS; i++) {
      mlxRuns.push(await runMlx(dir, i, ref, cur));
      pyRuns.push(await runPython(dir, i, ref, cur));
      process.stderr.write(`  drift: round ${i + 1}: mlx ${round(mlxRuns[i].ms, 0)} ms, python ${round(pyRuns[i].ms, 0)} ms\n`);
    }
    // Every run is checked, not just one: the answer must not depend on the run.
    const checks = mlxRuns.map((m, i) => compare(m.report, pyRuns[i].out));
    const profile = await profileMlx(dir, ref, cur);
    const scaling = await ksScaling();

    const mlxMs = median(mlxRuns.map((r) => r.ms));
    const pyMs = median(pyRuns.map((r) => r.ms));
    const ratio = mlxMs / pyMs;
    const first = pyRuns[0].out;
    return {
      rows: ROWS,
      columns: COLUMNS.length,
      repeats: REPEATS,
      file_mb: [ref, cur].map((f) => round(fs.statSync(f).size / 2 ** 20, 1)),
      file_generation_ms: round(genMs, 0),
      python_versions: first.versions,
      mlx: {
        what: '`node bin/mlx.js drift --reference REF.csv --current CUR.csv --test ks --json`, spawned, wall time from spawn to exit',
        median_ms: round(mlxMs, 0),
        runs_ms: mlxRuns.map((r) => round(r.ms, 0)),
        median_cpu_ms: round(median(mlxRuns.map((r) => r.cpu_ms)), 0),
        median_peak_rss_mb: round(median(mlxRuns.map((r) => r.peak_rss_mb)), 0),
        max_peak_rss_mb: round(Math.max(...mlxRuns.map((r) => r.peak_rss_mb)), 0),
      },
      python: {
        what: `${PYTHON} bench/lib/drift_reference.py: pandas.read_csv × 2 + scipy.stats.ks_2samp(method='auto') × ${COLUMNS.length}, spawned, wall time from spawn to exit`,
        median_ms: round(pyMs, 0),
        runs_ms: pyRuns.map((r) => round(r.ms, 0)),
        median_cpu_ms: round(median(pyRuns.map((r) => r.cpu_ms)), 0),
        median_import_ms: round(median(pyRuns.map((r) => r.out.import_ms)), 0),
        median_read_csv_ms: round(median(pyRuns.map((r) => r.out.read_ms)), 0),
        median_ks_2samp_ms: round(median(pyRuns.map((r) => r.out.tests_ms)), 0),
        median_peak_rss_mb: round(median(pyRuns.map((r) => r.peak_rss_mb)), 0),
        max_peak_rss_mb: round(Math.max(...pyRuns.map((r) => r.peak_rss_mb)), 0),
      },
      ratio_mlx_to_python: round(ratio, 3),
      target_ratio: TARGET_RATIO,
      pass_ratio: ratio <= TARGET_RATIO,
      cpu_ratio_mlx_to_python: round(median(mlxRuns.map((r) => r.cpu_ms)) / median(pyRuns.map((r) => r.cpu_ms)), 3),
      same_numbers_as_scipy: checks.every((c) => c.ok),
      columns_compared: checks[0].rows.length,
      drifted_columns_mlx: checks[0].rows.filter((r) => r.drift).length,
      max_rel_err_statistic: Math.max(...checks.flatMap((c) => c.rows.map((r) => r.rel_err_statistic))),
      max_rel_err_p: Math.max(...checks.flatMap((c) => c.rows.filter((r) => r.p_value_scipy >= 1e-10).map((r) => r.rel_err_p ?? Infinity))),
      max_abs_err_p_below_1e10: Math.max(
        0,
        ...checks.flatMap((c) => c.rows.filter((r) => r.p_value_scipy < 1e-10).map((r) => Math.abs((r.p_value_mlx ?? Infinity) - r.p_value_scipy))),
      ),
      ks_scaling: scaling,
      per_column: checks[0].rows,
      mlx_profile: profile,
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchDrift(), null, 2)}\n`);
}
