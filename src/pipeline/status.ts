import { createHash } from 'node:crypto';
import { invalid } from '../core/errors.js';
import type { Hasher } from './hasher.js';
import type { LockedPath, LockedStage } from './lock.js';
import { lookup, paramText, type ParamsFiles } from './params.js';
import type { Stage } from './spec.js';

/** What a stage would run with now: its command, its deps' digests and its params' values. */
export interface StageInputs {
  cmd: string[];
  deps: LockedPath[];
  /** Deps that do not exist (yet: an upstream stage has not made them). */
  missing: string[];
  params: Record<string, Record<string, unknown>>;
}

/** Reads a stage's inputs: deps through the stat cache, params from their files. */
export async function stageInputs(stage: Stage, hasher: Hasher, params: ParamsFiles): Promise<StageInputs> {
  const deps: LockedPath[] = [];
  const missing: string[] = [];
  const digests = await Promise.all(stage.deps.map((d) => hasher.digest(d)));
  stage.deps.forEach((d, i) => {
    const g = digests[i];
    if (!g) missing.push(d);
    else deps.push({ path: d, sha256: g.digest, size: g.size, ...(g.kind === 'dir' ? { files: g.files } : {}) });
  });
  return { cmd: stage.cmd, deps, missing, params: readParams(stage, params) };
}

/** The values of a stage's params, refusing a missing file or key (it would make every result a guess). */
export function readParams(stage: Stage, files: ParamsFiles): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const ref of stage.params) {
    const doc = files.get(ref.file);
    if (!doc) throw invalid(`stage ${stage.name} reads params from ${ref.file}, which does not exist; create it`);
    const byKey = (out[ref.file] ??= {});
    if (ref.key === null) {
      for (const [k, v] of Object.entries(flatten(doc))) byKey[k] = v;
      continue;
    }
    const v = lookup(doc, ref.key);
    if (v === undefined) throw invalid(`stage ${stage.name} reads param ${ref.key}, which is not in ${ref.file}; add it there or remove it from the stage`);
    byKey[ref.key] = v;
  }
  return out;
}

/** A mapping's leaves as dotted keys ("train.lr"); lists stay whole. */
export function flatten(doc: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/** The params as a run records them: key → text (keys of files other than params.yaml prefixed with the file). */
export function runParams(stage: Stage, params: StageInputs['params']): Record<string, string> {
  const out: Record<string, string> = {};
  // A foreach item used through ${item.x} is a mapping: the command shows its values, the run need not hold it as JSON.
  const skip = new Set(stage.params.filter((r) => r.implicit && r.key !== null && typeof lookup(params[r.file], r.key) === 'object').map((r) => r.key));
  for (const [file, values] of Object.entries(params))
    for (const [k, v] of Object.entries(values)) if (!(file === 'params.yaml' && skip.has(k))) out[file === 'params.yaml' ? k : `${file}:${k}`] = paramText(v);
  return out;
}

/**
 * Why a stage must run (empty: it is up to date). outsNow: its outputs' digests as they are now
 * (null: missing). Worded for `mlx repro --dry-run`: "deps changed: data/raw.csv".
 */
export function changeReasons(stage: Stage, locked: LockedStage | undefined, now: StageInputs, outsNow: Map<string, string | null>): string[] {
  if (!locked) return ['never run'];
  const reasons: string[] = [];
  if (JSON.stringify(locked.cmd) !== JSON.stringify(now.cmd)) reasons.push('command changed');
  const before = new Map(locked.deps.map((d) => [d.path, d.sha256]));
  const changed = now.deps.filter((d) => before.get(d.path) !== d.sha256).map((d) => d.path);
  const removed = locked.deps.filter((d) => !stage.deps.includes(d.path)).map((d) => d.path);
  if (now.missing.length) reasons.push(`deps missing: ${now.missing.join(', ')}`);
  if (changed.length || removed.length) reasons.push(`deps changed: ${[...changed, ...removed].join(', ')}`);
  const paramsChanged: string[] = [];
  const keys = new Set([...Object.entries(now.params), ...Object.entries(locked.params)].flatMap(([f, kv]) => Object.keys(kv).map((k) => `${f}\0${k}`)));
  for (const fk of keys) {
    const [f, k] = fk.split('\0');
    if (JSON.stringify(now.params[f]?.[k]) !== JSON.stringify(locked.params[f]?.[k])) paramsChanged.push(k);
  }
  if (paramsChanged.length) reasons.push(`params changed: ${paramsChanged.join(', ')}`);
  const lockedOuts = new Map([...locked.outs, ...locked.metrics].map((o) => [o.path, o.sha256]));
  const missing: string[] = [];
  const modified: string[] = [];
  for (const [p, digest] of outsNow) {
    if (digest === null) missing.push(p);
    else if (lockedOuts.get(p) !== digest) modified.push(p);
  }
  if (missing.length) reasons.push(`outs missing: ${missing.join(', ')}`);
  if (modified.length) reasons.push(`outs changed: ${modified.join(', ')}`);
  if (stage.alwaysChanged) reasons.push('always_changed');
  return reasons;
}

/** The run cache's key: a stage's command, deps and params. Two executions with the same key made the same outputs. */
export function runCacheKey(stage: Stage, now: StageInputs): string {
  const doc = {
    cmd: now.cmd,
    deps: now.deps.map((d) => [d.path, d.sha256]),
    params: now.params,
    outs: [...stage.outs.map((o) => o.path), ...stage.metrics],
  };
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex');
}
