import fs from 'node:fs';
import path from 'node:path';
import type { LockedPath } from './lock.js';

/** What the pipeline needs of the object cache (src/data/objects' ObjectCache): store a path, and give it back. */
export interface OutputStore {
  add(target: string): Promise<{ digest: string; size: number; files: number; kind: 'file' | 'dir' }>;
  has(digest: string): boolean;
  materialize(digest: string, kind: 'file' | 'dir', dest: string, opts?: { copy?: boolean }): Promise<unknown>;
}

export interface RunCacheEntry {
  outs: (LockedPath & { object: string; kind: 'file' | 'dir' })[];
  metrics: (LockedPath & { object: string; kind: 'file' | 'dir' })[];
}

/**
 * DVC's run cache: for each execution of a stage, its key (command, deps, params) → the outputs it
 * made, as objects in the cache. A stage whose key was seen before gets its outputs back from the
 * cache instead of running again (switching a param back and forth costs nothing).
 */
export class RunCache {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key.slice(2)}.json`);
  }

  /** The entry for a key, if every object it names is still in the cache. */
  get(key: string, objects: OutputStore): RunCacheEntry | null {
    let entry: RunCacheEntry;
    try {
      entry = JSON.parse(fs.readFileSync(this.file(key), 'utf8')) as RunCacheEntry;
    } catch {
      return null; // none, or damaged: the stage runs, and its entry is written again
    }
    if (!Array.isArray(entry.outs) || !Array.isArray(entry.metrics)) return null;
    return [...entry.outs, ...entry.metrics].every((o) => typeof o.object === 'string' && objects.has(o.object)) ? entry : null;
  }

  /** Records an execution (atomically: a crash leaves no half entry). */
  put(key: string, entry: RunCacheEntry): void {
    const file = this.file(key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(entry));
    fs.renameSync(tmp, file);
  }
}
