import path from 'node:path';
import { invalid, MlxError } from '../core/errors.js';
import { buildGraph, outputsOf, selectStages, type Graph } from './graph.js';
import { Hasher } from './hasher.js';
import { readLock, writeLock, type Lock, type LockedPath, type LockedStage } from './lock.js';
import { prepareOutputParent, removeOutput } from './outputs.js';
import { RunCache, type OutputStore, type RunCacheEntry } from './run-cache.js';
import type { Pipeline, Stage } from './spec.js';
import { changeReasons, readParams, runCacheKey, stageInputs, type StageInputs } from './status.js';
import { acquireReproLock } from './repro-lock.js';

export type StageAction = 'unchanged' | 'would-run' | 'ran' | 'restored' | 'failed' | 'not-run';

export interface StageReport {
  stage: string;
  action: StageAction;
  /** Why it ran (or would): "deps changed: data/raw.csv"; why it failed or did not run. */
  reasons: string[];
  runId?: string;
  exitCode?: number;
}

/** How a stage's command is executed (src/app/repro.ts: as an mlx run nested under the pipeline's run). */
export interface StageRunner {
  run(stage: Stage, ctx: { inputs: StageInputs; reasons: string[] }): Promise<{ exitCode: number; runId: string | null }>;
  /** After the outputs were checked: ok false with a note when the command succeeded but an output is missing. */
  finish(stage: Stage, runId: string | null, result: { ok: boolean; note?: string }): Promise<void>;
}

export interface ReproOptions {
  pipeline: Pipeline;
  target?: string;
  /** Only the target, not what is upstream of it. */
  single?: boolean;
  force?: boolean;
  dryRun?: boolean;
  /** Stages run at once (independent ones only). */
  jobs?: number;
  /** The run cache is consulted unless false (--no-run-cache). */
  runCache?: boolean;
  runner?: StageRunner;
  /** The object cache, opened when a stage runs or is restored (a no-op repro loads none of it). */
  objects?: () => Promise<OutputStore>;
  onEvent?: (e: { type: 'start' | 'end'; report: StageReport }) => void;
}

export interface ReproResult {
  stages: StageReport[];
  ok: boolean;
}

/** Where the pipeline keeps its own state in a project: the stat cache, the run cache, the repro lock. */
export const stateDir = (root: string) => path.join(root, '.mlx', 'pipeline');

/**
 * `mlx repro`: runs the selected stages in dependency order, each only when its command, deps or
 * params changed since mlx.lock (or its outputs are missing or were edited); a stage seen before
 * with the same inputs gets its outputs from the run cache. A failure stops the stages downstream
 * of it; independent stages go on. mlx.lock is rewritten after every stage that succeeds, and
 * loses the entry of one that fails, so it always describes what the workspace holds.
 */
export async function repro(o: ReproOptions): Promise<ReproResult> {
  const p = o.pipeline;
  const graph = buildGraph(p);
  const selected = selectStages(graph, o.target, { single: o.single });
  const lock = readLock(p.root, p.cache);
  // The params of every selected stage are read before anything runs: a missing key is refused up front.
  for (const s of selected) readParams(s, p.params);
  const release = o.dryRun ? () => {} : acquireReproLock(stateDir(p.root));
  const hasher = new Hasher(p.root, path.join(stateDir(p.root), 'stat-cache.json'));
  try {
    return await new Scheduler(o, graph, selected, lock, hasher).run();
  } finally {
    try {
      // A dry run writes nothing, not even what it learned about the files.
      if (!o.dryRun) {
        hasher.save();
        p.cache.save();
      }
    } finally {
      release();
    }
  }
}

class Scheduler {
  private readonly reports = new Map<string, StageReport>();
  private readonly done = new Map<string, Promise<void>>();
  private readonly names: Set<string>;
  private readonly runCache: RunCache;
  private running = 0;
  private objectStore: Promise<OutputStore> | null = null;
  private readonly waiting: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly o: ReproOptions,
    private readonly graph: Graph,
    private readonly selected: Stage[],
    private readonly lock: Lock,
    private readonly hasher: Hasher,
  ) {
    this.names = new Set(selected.map((s) => s.name));
    this.runCache = new RunCache(path.join(stateDir(o.pipeline.root), 'runs'));
  }

  async run(): Promise<ReproResult> {
    for (const s of this.selected) this.done.set(s.name, this.stage(s));
    await Promise.all(this.done.values());
    const stages = this.selected.map((s) => this.reports.get(s.name)!);
    return { stages, ok: stages.every((r) => r.action !== 'failed' && r.action !== 'not-run') };
  }

  private objects(): Promise<OutputStore> {
    this.objectStore ??= this.o.objects!();
    return this.objectStore;
  }

  private report(r: StageReport, event?: 'start' | 'end'): StageReport {
    this.reports.set(r.stage, r);
    if (event) this.o.onEvent?.({ type: event, report: r });
    return r;
  }

  private async stage(s: Stage): Promise<void> {
    const ups = (this.graph.upstream.get(s.name) ?? []).filter((u) => this.names.has(u));
    await Promise.all(ups.map((u) => this.done.get(u)));
    const blocked = ups.find((u) => ['failed', 'not-run'].includes(this.reports.get(u)!.action));
    if (blocked) return void this.report({ stage: s.name, action: 'not-run', reasons: [`upstream stage ${blocked} did not succeed`] }, 'end');
    if (this.stopped) return void this.report({ stage: s.name, action: 'not-run', reasons: ['stopped after an earlier failure'] }, 'end');
    try {
      await this.check(s, ups);
    } catch (err) {
      if (!(err instanceof MlxError)) this.stopped = true;
      this.forgetLock(s);
      this.report({ stage: s.name, action: 'failed', reasons: [(err as Error).message] }, 'end');
    }
  }

  private async check(s: Stage, ups: string[]): Promise<void> {
    const root = this.o.pipeline.root;
    const inputs = await stageInputs(s, this.hasher, this.o.pipeline.params);
    const outsNow = new Map<string, string | null>();
    for (const out of outputsOf(s)) outsNow.set(out, (await this.hasher.digest(out))?.digest ?? null);
    let reasons = changeReasons(s, this.lock.get(s.name), inputs, outsNow);
    if (this.o.dryRun) {
      const upstreamRuns = ups.filter((u) => this.reports.get(u)!.action === 'would-run');
      if (upstreamRuns.length) {
        // Its deps will be rewritten first; what they hold then is not known yet.
        reasons = reasons.filter((r) => !r.startsWith('deps missing'));
        reasons.push(`upstream ${upstreamRuns.join(', ')} would run first`);
      }
      if (this.o.force && reasons.length === 0) reasons.push('forced (--force)');
      this.report({ stage: s.name, action: reasons.length ? 'would-run' : 'unchanged', reasons }, 'end');
      return;
    }
    if (this.o.force) reasons = ['forced (--force)', ...reasons];
    if (reasons.length === 0) return void this.report({ stage: s.name, action: 'unchanged', reasons: [] }, 'end');
    if (inputs.missing.length) throw invalid(`stage ${s.name}: deps missing: ${inputs.missing.join(', ')}`);

    const key = runCacheKey(s, inputs);
    const objects = this.o.objects ? await this.objects() : null;
    const cacheable = !!objects && !s.alwaysChanged && s.outs.every((x) => x.cache) && this.o.runCache !== false;
    const hit = cacheable && !this.o.force ? this.runCache.get(key, objects!) : null;
    if (hit) {
      this.report({ stage: s.name, action: 'restored', reasons }, 'start');
      await this.restore(s, hit);
      this.lock.set(s.name, { cmd: inputs.cmd, deps: inputs.deps, params: inputs.params, outs: hit.outs.map(strip), metrics: hit.metrics.map(strip) });
      this.saveLock();
      return void this.report({ stage: s.name, action: 'restored', reasons }, 'end');
    }

    await this.slot();
    try {
      if (this.stopped) return void this.report({ stage: s.name, action: 'not-run', reasons: ['stopped after an earlier failure'] }, 'end');
      for (const out of [...s.outs, ...s.metrics.map((m) => ({ path: m, persist: false }))]) {
        if (!out.persist) removeOutput(root, out.path);
        prepareOutputParent(root, out.path);
        this.hasher.forget(out.path);
      }
      // From here the lock must not claim the old outputs: they are gone.
      this.forgetLock(s);
      this.report({ stage: s.name, action: 'ran', reasons }, 'start');
      const runner = this.o.runner;
      if (!runner) throw invalid('no way to run stages was given');
      const res = await runner.run(s, { inputs, reasons }).catch((err: unknown) => {
        this.stopped = true; // the store or the system failed, not the stage: start nothing more
        throw err;
      });
      const runId = res.runId;
      if (res.exitCode !== 0) {
        if (res.exitCode > 128) this.stopped = true; // killed by a signal (Ctrl-C): start nothing more
        await runner.finish(s, runId, { ok: false });
        return void this.report(
          { stage: s.name, action: 'failed', reasons: [`command exited with ${res.exitCode}`], runId: runId ?? undefined, exitCode: res.exitCode },
          'end',
        );
      }
      const made = await this.recordOutputs(s);
      if (typeof made === 'string') {
        await runner.finish(s, runId, { ok: false, note: made });
        return void this.report({ stage: s.name, action: 'failed', reasons: [made], runId: runId ?? undefined, exitCode: 0 }, 'end');
      }
      this.lock.set(s.name, { cmd: inputs.cmd, deps: inputs.deps, params: inputs.params, outs: made.outs.map(strip), metrics: made.metrics.map(strip) });
      this.saveLock();
      if (cacheable) this.runCache.put(key, made);
      await runner.finish(s, runId, { ok: true });
      this.report({ stage: s.name, action: 'ran', reasons, runId: runId ?? undefined, exitCode: 0 }, 'end');
    } finally {
      this.release();
    }
  }

  /** Digests the outputs a stage wrote and stores the cached ones; a missing output is the stage's failure (returned as text). */
  private async recordOutputs(s: Stage): Promise<RunCacheEntry | string> {
    const root = this.o.pipeline.root;
    const entry: RunCacheEntry = { outs: [], metrics: [] };
    const cached = new Map(s.outs.map((x) => [x.path, x.cache]));
    for (const out of outputsOf(s)) {
      this.hasher.forget(out);
      const d = await this.hasher.digest(out);
      if (!d) return `the command succeeded but did not write its output ${out}`;
      let object = d.digest;
      // Metrics files are small: kept too, so a run-cache hit gives them back with the outputs.
      if (this.o.objects && cached.get(out) !== false) object = (await (await this.objects()).add(path.join(root, out))).digest;
      const locked = { path: out, sha256: d.digest, size: d.size, ...(d.kind === 'dir' ? { files: d.files } : {}), object, kind: d.kind };
      (cached.has(out) ? entry.outs : entry.metrics).push(locked);
    }
    return entry;
  }

  private async restore(s: Stage, hit: RunCacheEntry): Promise<void> {
    const root = this.o.pipeline.root;
    for (const o of [...hit.outs, ...hit.metrics]) {
      removeOutput(root, o.path);
      prepareOutputParent(root, o.path);
      const persist = s.outs.find((x) => x.path === o.path)?.persist;
      // A persisted output is written in place by its stage: a copy, never a link into the cache.
      await (await this.objects()).materialize(o.object, o.kind, path.join(root, o.path), { copy: !!persist });
      this.hasher.forget(o.path);
    }
  }

  private forgetLock(s: Stage): void {
    if (this.lock.delete(s.name)) this.saveLock();
  }

  private saveLock(): void {
    writeLock(
      this.o.pipeline.root,
      this.lock,
      this.graph.stages.map((x) => x.name),
    );
  }

  private async slot(): Promise<void> {
    if (this.running < Math.max(1, this.o.jobs ?? 1)) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

function strip(o: LockedPath & { kind?: string }): LockedPath {
  const { kind: _kind, ...rest } = o;
  if (rest.object === rest.sha256) delete rest.object;
  return rest;
}

export type { LockedStage };
