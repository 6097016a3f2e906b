import fs from 'node:fs';
import path from 'node:path';
import { invalid, MlxError } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import { yaml, type YamlCache } from './yaml.js';

export const LOCK_FILE = 'mlx.lock';
const LOCK_SCHEMA = 1;

/** A file or folder as a stage last saw it. */
export interface LockedPath {
  path: string;
  sha256: string;
  size: number;
  /** Files in a folder; absent for a file. */
  files?: number;
  /** The object holding it in the cache, when the cache names it differently (outputs only). */
  object?: string;
}

export interface LockedStage {
  cmd: string[];
  deps: LockedPath[];
  /** params file → key → value, as read. */
  params: Record<string, Record<string, unknown>>;
  outs: LockedPath[];
  metrics: LockedPath[];
}

export type Lock = Map<string, LockedStage>;

const HEADER = '# Written by `mlx repro`: what each stage last ran with and produced. Commit it with mlx.yaml.\n';

/** Reads mlx.lock (an empty lock when there is none); a hand-damaged file is refused with what to do. */
export function readLock(root: string, cache: YamlCache | null = null): Lock {
  const file = path.join(root, LOCK_FILE);
  const damaged = (why: string, cause?: unknown) =>
    invalid(`${LOCK_FILE} is damaged (${why}); restore it with \`git checkout ${LOCK_FILE}\`, or delete it and every stage runs again`, cause);
  const parse = (text: string) => {
    try {
      return yaml().parse(text, { maxAliasCount: 100 }) as unknown;
    } catch (err) {
      throw damaged(`not valid YAML: ${(err as Error).message.split('\n')[0]}`, err);
    }
  };
  let doc: unknown;
  try {
    doc = cache ? cache.get(file, parse) : parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err instanceof MlxError ? err : fileError(err, LOCK_FILE);
  }
  if (doc === null || doc === undefined) return new Map();
  if (!isObj(doc) || !isObj(doc.stages)) throw damaged('no "stages" mapping');
  if (doc.schema !== LOCK_SCHEMA) throw damaged(`schema ${JSON.stringify(doc.schema)}, this mlx writes schema ${LOCK_SCHEMA}`);
  const lock: Lock = new Map();
  for (const [name, s] of Object.entries(doc.stages)) {
    if (!isObj(s)) throw damaged(`stage ${name} is not a mapping`);
    const paths = (field: string): LockedPath[] => {
      const v = s[field] ?? [];
      if (!Array.isArray(v) || !v.every((p) => isObj(p) && typeof p.path === 'string' && typeof p.sha256 === 'string' && typeof p.size === 'number'))
        throw damaged(`stage ${name}: ${field} must list {path, sha256, size}`);
      return v as unknown as LockedPath[];
    };
    const cmd = typeof s.cmd === 'string' ? [s.cmd] : s.cmd;
    if (!Array.isArray(cmd) || !cmd.every((c) => typeof c === 'string')) throw damaged(`stage ${name}: cmd must be text`);
    const params = s.params ?? {};
    if (!isObj(params) || !Object.values(params).every(isObj)) throw damaged(`stage ${name}: params must map files to keys and values`);
    lock.set(name, { cmd, deps: paths('deps'), params: params as LockedStage['params'], outs: paths('outs'), metrics: paths('metrics') });
  }
  return lock;
}

/** Writes mlx.lock whole, in the order of the stages given, atomically (a crash leaves the previous file). */
export function writeLock(root: string, lock: Lock, order: string[]): void {
  const stages: Record<string, unknown> = {};
  // Stages no longer in mlx.yaml are dropped: the lock describes the pipeline as declared.
  for (const name of order.filter((n) => lock.has(n))) {
    const s = lock.get(name)!;
    stages[name] = {
      cmd: s.cmd.length === 1 ? s.cmd[0] : s.cmd,
      ...(s.deps.length ? { deps: s.deps } : {}),
      ...(Object.keys(s.params).length ? { params: s.params } : {}),
      ...(s.outs.length ? { outs: s.outs } : {}),
      ...(s.metrics.length ? { metrics: s.metrics } : {}),
    };
  }
  const file = path.join(root, LOCK_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, HEADER + yaml().stringify({ schema: LOCK_SCHEMA, stages }, { lineWidth: 0 }));
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw fileError(err, LOCK_FILE);
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
