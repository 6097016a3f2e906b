// Start-up benchmark: `node -e 0` vs `mlx --version` vs `mlx log metric`, interleaved in each
// round (order rotated per round) so machine noise hits all three equally. Also checks which
// modules `mlx log metric` loads: the heavy ones must stay unloaded on this hot path.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMain, makeTemp, mlx, MLX, NODE, rmTemp, round, ROOT, storeEnv, summary, timeSpawn } from './lib/util.mjs';

const N = Number(process.env.BENCH_STARTUP_N ?? 40);
const WARMUP = 3;
const HEAVY = ['chalk', 'cli-table3', 'csv-parse', 'onnxruntime-node', 'sharp', 'hono'];
const TRACER = path.join(ROOT, 'bench', 'lib', 'trace-imports.mjs');

/** Modules a node invocation loads, as { esm: [...], cjs: [...] } of paths relative to the project. */
async function traceModules(args, env, dir) {
  const file = path.join(dir, `trace-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
  const r = await timeSpawn(NODE, ['--import', pathToFileURL(TRACER).href, ...args], {
    env: { ...env, MLX_TRACE_FILE: file },
    cwd: ROOT,
  });
  if (r.code !== 0) throw new Error(`traced ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  const lines = [...new Set(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean))];
  return lines.map((l) =>
    l
      .replace(/^(esm|cjs) /, '')
      .replace(pathToFileURL(ROOT).href + '/', '')
      .replace(ROOT + '/', ''),
  );
}

function heavyLoaded(modules) {
  const out = {};
  for (const name of HEAVY) out[name] = modules.some((m) => m.includes(`node_modules/${name}/`));
  return out;
}

function packagesOf(modules) {
  const pkgs = new Set();
  for (const m of modules) {
    const hit = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m);
    if (hit) pkgs.add(hit[1]);
  }
  return [...pkgs].sort();
}

export async function benchStartup() {
  const dir = makeTemp('mlx-bench-startup-');
  try {
    const store = path.join(dir, '.mlx');
    const env = storeEnv(store);
    const runId = mlx(['runs', 'start', '--name', 'startup-bench'], env);
    const cmds = {
      node: [NODE, ['-e', '0']],
      mlx_version: [NODE, [MLX, '--version']],
      log_metric: [NODE, [MLX, 'log', 'metric', 'loss', '0.5', '--run', runId]],
    };
    const names = Object.keys(cmds);
    const times = Object.fromEntries(names.map((n) => [n, []]));
    for (let round_ = 0; round_ < WARMUP + N; round_++) {
      // Rotate the order each round so no command always runs first (cold caches) or last.
      const order = names.map((_, i) => names[(i + round_) % names.length]);
      for (const name of order) {
        const [cmd, args] = cmds[name];
        const r = await timeSpawn(cmd, args, { env, cwd: dir });
        if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stderr}`);
        if (round_ >= WARMUP) times[name].push(r.ms);
      }
    }
    // Every timed log metric must have landed: N + WARMUP points.
    const { openDb } = await import('./lib/util.mjs');
    const db = await openDb(store);
    const stored = db.prepare("SELECT count(*) FROM metrics WHERE run_uuid = ? AND key = 'loss'").pluck().get(runId);
    db.close();

    const stats = Object.fromEntries(names.map((n) => [n, summary(times[n])]));
    const ratio = (n) => round(stats[n].median_ms / stats.node.median_ms, 3);

    const logMods = await traceModules([MLX, 'log', 'metric', 'loss', '0.25', '--run', runId], env, dir);
    const versionMods = await traceModules([MLX, '--version'], env, dir);
    // Positive control: the tracer must see the heavy modules when they are loaded.
    const control = await traceModules(['--input-type=module', '-e', "await import('chalk'); await import('cli-table3'); await import('csv-parse')"], env, dir);
    const heavyLog = heavyLoaded(logMods);
    const heavyVersion = heavyLoaded(versionMods);

    return {
      n: N,
      warmup_rounds: WARMUP,
      method: 'spawn per command, wall ms from spawn to exit; the three commands interleaved each round, order rotated',
      ...stats,
      ratio_mlx_version_vs_node: ratio('mlx_version'),
      ratio_log_metric_vs_node: ratio('log_metric'),
      target_mlx_version_ratio: 1.5,
      target_log_metric_ratio: 2.5,
      pass_mlx_version: ratio('mlx_version') <= 1.5,
      pass_log_metric: ratio('log_metric') <= 2.5,
      log_metric_points_stored: stored,
      log_metric_points_expected: N + WARMUP,
      modules: {
        log_metric: {
          count: logMods.length,
          packages: packagesOf(logMods),
          heavy_loaded: heavyLog,
          project_modules: logMods.filter((m) => m.startsWith('dist/')).sort(),
        },
        mlx_version: { count: versionMods.length, packages: packagesOf(versionMods), heavy_loaded: heavyVersion },
        tracer_control_detects: heavyLoaded(control),
        pass_no_heavy_modules: !Object.values(heavyLog).some(Boolean) && !Object.values(heavyVersion).some(Boolean),
      },
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await benchStartup(), null, 2)}\n`);
}
