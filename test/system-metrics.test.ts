// Issue 22, item 12: `mlx run` samples the command's process tree (CPU, memory) as system/*
// metrics; --no-system-metrics turns it off.
import { describe, expect, it } from 'vitest';
import { processTree } from '../src/app/system-metrics.js';
import { expectError, mlx, mlxJson, tempProject } from './helpers/cli.js';

const T = 60_000;
// The command starts a child that holds 120 MB and keeps a core busy: only the tree sees both.
const SCRIPT = [
  "const { spawnSync } = require('node:child_process');",
  "spawnSync(process.execPath, ['-e', 'const b = Buffer.alloc(120e6, 1); const t = Date.now(); while (Date.now() - t < 2000) b[0]++;'], { stdio: 'inherit' });",
].join('\n');

const systemKeys = (run: { metrics: Record<string, number> }) => Object.keys(run.metrics).filter((k) => k.startsWith('system/'));

describe('system metrics of mlx run', () => {
  it(
    "samples the whole process tree: the child's memory and CPU count; every sample a step",
    () => {
      const dir = tempProject('mlx-sysmetrics-');
      const r = mlx(dir, ['run', '--name', 'busy', '--', process.execPath, '-e', SCRIPT], { env: { MLX_SYSTEM_METRICS_INTERVAL: '0.2' } });
      expect(r.code, r.stderr).toBe(0);
      const run = mlxJson(dir, ['runs', 'list']).runs[0];
      expect(systemKeys(run)).toEqual(
        expect.arrayContaining([
          'system/process_cpu_percentage',
          'system/process_memory_megabytes',
          'system/process_count',
          'system/system_memory_usage_percentage',
        ]),
      );
      const history = (key: string) => mlxJson(dir, ['runs', 'history', run.run_id, key]).history as { step: number; value: number }[];
      const memory = history('system/process_memory_megabytes');
      expect(memory.length).toBeGreaterThanOrEqual(2);
      expect(memory.map((p) => p.step)).toEqual(memory.map((_, i) => i));
      // mlx's own node is not in the tree; the command (~40 MB) and its child (~40 MB + 120 MB) are.
      expect(Math.max(...memory.map((p) => p.value))).toBeGreaterThan(150);
      expect(Math.max(...history('system/process_count').map((p) => p.value))).toBe(2);
      expect(Math.max(...history('system/process_cpu_percentage').map((p) => p.value))).toBeGreaterThan(0);
    },
    T,
  );

  it(
    '--no-system-metrics records none; a command shorter than the interval records none; a bad interval is refused',
    () => {
      const dir = tempProject('mlx-sysmetrics-off-');
      expect(mlx(dir, ['run', '--no-system-metrics', '--', process.execPath, '-e', SCRIPT], { env: { MLX_SYSTEM_METRICS_INTERVAL: '0.2' } }).code).toBe(0);
      expect(mlx(dir, ['run', '--', process.execPath, '-e', '0']).code).toBe(0);
      for (const run of mlxJson(dir, ['runs', 'list']).runs) expect(systemKeys(run)).toEqual([]);
      expectError(
        mlx(dir, ['run', '--', process.execPath, '-e', '0'], { env: { MLX_SYSTEM_METRICS_INTERVAL: 'often' } }),
        2,
        'MLX_SYSTEM_METRICS_INTERVAL "often"',
      );
    },
    T,
  );
});

describe('processTree', () => {
  it('finds every descendant through parent ids, and nothing else', () => {
    const p = (pid: number, ppid: number) => ({ pid, ppid, cpuSeconds: 0, rssBytes: 0 });
    const all = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(13, 10), p(20, 1), p(21, 20)];
    expect(
      processTree(all, 10)
        .map((x) => x.pid)
        .sort(),
    ).toEqual([10, 11, 12, 13]);
    expect(processTree(all, 99)).toEqual([]);
  });
});
