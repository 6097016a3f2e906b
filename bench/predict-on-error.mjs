// `mlx predict` on a 100,000-row CSV (issue 22, items 1-4): what reading each row as its own
// success-or-error (for --on-error), carrying input columns (--keep-columns) and writing error rows
// cost, side by side in one run, interleaved per round so machine noise hits every variant alike.
// Also: one system-metrics sample of a process tree (issue 22, item 12), in process.
import fs from 'node:fs';
import path from 'node:path';
import { isMain, machine, makeTemp, mlx, MLX, NODE, rmTemp, round, storeEnv, summary, timeSpawn } from './lib/util.mjs';

const ROWS = Number(process.env.BENCH_PREDICT_ROWS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_PREDICT_ROUNDS ?? 3);

export async function run() {
  const dir = makeTemp('mlx-bench-predict-');
  try {
    const env = storeEnv(path.join(dir, '.mlx'));
    const S = await import('../dist/models/onnx/sample-models.js');
    fs.writeFileSync(path.join(dir, 'value.onnx'), S.tabularClassifierOnnx(S.trainTabularClassifier(S.seedDriftData(300, 1), { seed: 1, epochs: 5 })));
    mlx(['register', path.join(dir, 'value.onnx'), '--name', 'value'], env);
    const lines = ['id,customer,age,income,score,clicks,time'];
    for (let i = 0; i < ROWS; i++) {
      // One row in a thousand has an empty cell.
      const income = i % 1000 === 999 ? '' : String(20000 + (i % 50000));
      lines.push(`${i},c${i},${20 + (i % 50)},${income},${(i % 100) / 1.7},${i % 9},${(i % 13) / 3}`);
    }
    const csv = path.join(dir, 'in.csv');
    fs.writeFileSync(csv, `${lines.join('\n')}\n`);
    const clean = path.join(dir, 'clean.csv');
    fs.writeFileSync(clean, `${lines.filter((_, i) => i === 0 || i % 1000 !== 0).join('\n')}\n`);
    const base = ['predict', 'models:/value/1', '--columns', 'age,income,score,clicks,time', '--batch-size', '1024'];
    const variants = {
      strict_clean_file: [...base, '-i', clean, '-o', path.join(dir, 'a.csv')],
      skip: [...base, '-i', csv, '-o', path.join(dir, 'b.csv'), '--on-error', 'skip'],
      skip_keep_columns: [...base, '-i', csv, '-o', path.join(dir, 'c.csv'), '--on-error', 'skip', '--keep-columns', 'id,customer'],
      null_error_rows: [...base, '-i', csv, '-o', path.join(dir, 'd.csv'), '--on-error', 'null', '--id-column', 'id'],
    };
    const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const names = Object.keys(variants);
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r) % names.length];
        const res = await timeSpawn(NODE, [MLX, ...variants[name]], { env });
        if (res.code !== 0) throw new Error(`${name}: ${res.stderr}`);
        times[name].push(res.ms);
      }
    }
    const strict = summary(times.strict_clean_file).median_ms;
    const out = {};
    for (const [k, t] of Object.entries(times)) {
      const s = summary(t);
      out[k] = { median_ms: round(s.median_ms, 0), rows_per_s: round(ROWS / (s.median_ms / 1000), 0), vs_strict: round(s.median_ms / strict, 3) };
    }
    // One sample of the process tree of this process (a child started to have a tree).
    const { startSystemMetrics } = await import('../dist/app/system-metrics.js');
    const logged = [];
    const store = { logBatch: async (_id, entries) => void logged.push(...entries) };
    const t0 = process.hrtime.bigint();
    const sampler = startSystemMetrics(store, 'x', process.pid, { intervalS: 3600, warn: () => {} });
    await sampler.stop();
    const baselineMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return {
      bench: 'predict-on-error',
      machine: machine(),
      rows: ROWS,
      bad_rows: Math.floor(ROWS / 1000),
      rounds: ROUNDS,
      predict: out,
      system_metrics_sample_ms: round(baselineMs, 2),
      processes_on_machine: fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length,
    };
  } finally {
    rmTemp(dir);
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run(), null, 2));
