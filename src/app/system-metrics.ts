/**
 * System metrics of a run, as MLflow 2.8+ and W&B record them: every few seconds, the CPU and
 * memory of the command's whole process tree (a training script's data-loader workers count), the
 * machine's memory, and each GPU's utilisation and memory when `nvidia-smi` is there, logged as
 * `system/*` metrics with the sample number as step.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { TrackingStore } from '../store/store.js';

export const SYSTEM_METRICS_INTERVAL_ENV = 'MLX_SYSTEM_METRICS_INTERVAL';
/** Seconds between samples: MLflow's default (MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL). */
export const DEFAULT_SYSTEM_METRICS_INTERVAL_S = 10;

/** CPU seconds and resident memory of one process. */
interface ProcSample {
  pid: number;
  ppid: number;
  cpuSeconds: number;
  rssBytes: number;
}

// Linux's USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on every architecture Node runs on.
const TICKS = 100;
const PAGE = 4096;

/** Every process on a Linux machine, from /proc (no subprocess); null elsewhere. */
function readProc(): ProcSample[] | null {
  if (process.platform !== 'linux') return null;
  const out: ProcSample[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(name), ppid: Number(f[1]), cpuSeconds: (Number(f[11]) + Number(f[12])) / TICKS, rssBytes: Number(f[21]) * PAGE });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
}

/** Every process elsewhere (macOS, BSD), from ps: CPU time as [[dd-]hh:]mm:ss.cc, RSS in KB. */
function readPs(): Promise<ProcSample[]> {
  return new Promise((resolve) =>
    execFile('ps', ['-A', '-o', 'pid=,ppid=,rss=,time='], { timeout: 5000 }, (err, stdout) => {
      if (err) return resolve([]);
      const seconds = (t: string) => {
        const [days, rest] = t.includes('-') ? t.split('-') : ['0', t];
        return rest.split(':').reduce((acc, part) => acc * 60 + Number(part), 0) + Number(days) * 86400;
      };
      resolve(
        stdout
          .trim()
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((p) => p.length >= 4)
          .map((p) => ({ pid: Number(p[0]), ppid: Number(p[1]), rssBytes: Number(p[2]) * 1024, cpuSeconds: seconds(p[3]) })),
      );
    }),
  );
}

/** The processes of root's tree: root and everything it started, found through parent ids. */
export function processTree(all: ProcSample[], root: number): ProcSample[] {
  const children = new Map<number, ProcSample[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcSample[] = [];
  const seen = new Set<number>();
  const stack = all.filter((p) => p.pid === root);
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** GPUs as nvidia-smi reports them; [] when there is none (or no driver). */
function readGpus(): Promise<{ index: number; utilization: number; memoryMb: number; memoryTotalMb: number }[]> {
  return new Promise((resolve) =>
    execFile(
      'nvidia-smi',
      ['--query-gpu=index,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'],
      { timeout: 5000 },
      (err, stdout) => {
        if (err) return resolve([]);
        resolve(
          stdout
            .trim()
            .split('\n')
            .map((l) => l.split(',').map((x) => Number(x.trim())))
            .filter((v) => v.length === 4 && v.every(Number.isFinite))
            .map(([index, utilization, memoryMb, memoryTotalMb]) => ({ index, utilization, memoryMb, memoryTotalMb })),
        );
      },
    ),
  );
}

/**
 * Samples root's process tree every intervalS seconds until stop(), logging system/* metrics to
 * the run. CPU is the tree's CPU time over the interval (100 = one core busy, as top shows it).
 * A failed sample or write is skipped quietly, once warned: metrics must never fail the run.
 */
export function startSystemMetrics(
  store: TrackingStore,
  runId: string,
  root: number,
  o: { intervalS: number; warn: (m: string) => void },
): { stop(): Promise<void> } {
  let step = 0;
  let last: { at: number; cpu: Map<number, number> } | null = null;
  let warned = false;
  let gpus = true;
  let busy: Promise<void> = Promise.resolve();
  const sample = async (log = true) => {
    const procs = processTree(readProc() ?? (await readPs()), root);
    if (procs.length === 0) return;
    const now = Date.now();
    const cpu = new Map(procs.map((p) => [p.pid, p.cpuSeconds]));
    if (!log) {
      last = { at: now, cpu };
      return;
    }
    const metrics: Record<string, number> = {
      'system/process_memory_megabytes': procs.reduce((s, p) => s + p.rssBytes, 0) / 1024 ** 2,
      'system/process_count': procs.length,
      'system/system_memory_usage_percentage': (100 * (os.totalmem() - os.freemem())) / os.totalmem(),
    };
    if (last) {
      // Only processes seen both times: a process that ended took its CPU time with it.
      let used = 0;
      for (const [pid, s] of cpu) used += s - (last.cpu.get(pid) ?? s);
      metrics['system/process_cpu_percentage'] = Math.max(0, (100 * used) / ((now - last.at) / 1000));
    }
    last = { at: now, cpu };
    if (gpus) {
      const list = await readGpus();
      gpus = list.length > 0;
      for (const g of list) {
        metrics[`system/gpu_${g.index}_utilization_percentage`] = g.utilization;
        metrics[`system/gpu_${g.index}_memory_usage_megabytes`] = g.memoryMb;
        if (g.memoryTotalMb > 0) metrics[`system/gpu_${g.index}_memory_usage_percentage`] = (100 * g.memoryMb) / g.memoryTotalMb;
      }
    }
    const s = step++;
    await store.logBatch(
      runId,
      Object.entries(metrics).map(([key, value]) => ({ type: 'metric' as const, key, value: Math.round(value * 100) / 100, timestamp: now, step: s })),
    );
  };
  const tick = (log = true) => {
    busy = busy
      .then(() => sample(log))
      .catch((err: Error) => {
        if (!warned) o.warn(`system metrics not recorded: ${err.message}`);
        warned = true;
      });
  };
  // A baseline for the CPU figure, logged from the first full interval on: a command shorter
  // than one interval records no system metrics (as W&B and MLflow sample).
  tick(false);
  const timer = setInterval(tick, o.intervalS * 1000);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
    },
  };
}
