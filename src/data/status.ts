import fs from 'node:fs';
import path from 'node:path';
import { notFound } from '../core/errors.js';
import type { ManifestEntry } from './objects/manifest.js';
import { findPointers, projectPath, type DataProject } from './project.js';
import { isPointerFile, pointerPathOf, readPointer, type Pointer } from './pointer.js';
import { scanPath, type Scanned } from './scan.js';

/** A tracked path compared with its pointer. */
export interface DataStatus {
  pointer: string;
  path: string;
  kind: 'file' | 'dir';
  /** unchanged: the data matches the pointer; modified: it differs; deleted: it is not there. */
  state: 'unchanged' | 'modified' | 'deleted';
  /** Whether the pointer's object (for a folder, its manifest and every file) is in the local cache. */
  cached: boolean;
  /** For a folder whose manifest is cached: the files added, modified and deleted since the pointer. */
  changes?: { added: string[]; modified: string[]; deleted: string[] };
}

/** The pointer files named by the user (a pointer, or the data path it tracks), or every pointer of the project. */
export function resolvePointers(project: DataProject, given: string[], cwd = process.cwd()): { rel: string; pointer: Pointer }[] {
  const rels = given.length
    ? given.map((g) => {
        const { rel } = projectPath(project, g, cwd);
        const pointerRel = isPointerFile(rel) ? rel : pointerPathOf(rel);
        if (!fs.existsSync(path.join(project.root, pointerRel)))
          throw notFound(
            `${JSON.stringify(g)} is not tracked: there is no ${JSON.stringify(pointerRel)}; track it with \`mlx data add ${g.replace(/\.mlx\.json$/, '')}\``,
          );
        return pointerRel;
      })
    : findPointers(project);
  return rels.map((rel) => ({ rel, pointer: readPointer(path.join(project.root, rel), rel) }));
}

/** The data path a pointer (relative to the project) tracks, relative to the project. */
export const trackedPath = (pointerRel: string, p: Pointer) => path.posix.join(path.posix.dirname(pointerRel), p.path);

/** `mlx data status`: each tracked path compared with its pointer, per file for folders. */
export async function dataStatus(project: DataProject, given: string[], cwd = process.cwd()): Promise<DataStatus[]> {
  const out: DataStatus[] = [];
  for (const { rel, pointer } of resolvePointers(project, given, cwd)) {
    const dataRel = trackedPath(rel, pointer);
    const now = await scanPath(project.root, dataRel);
    out.push(await compare(project, rel, dataRel, pointer, now));
  }
  return out;
}

async function compare(project: DataProject, pointerRel: string, dataRel: string, pointer: Pointer, now: Scanned): Promise<DataStatus> {
  const base = { pointer: pointerRel, path: dataRel, kind: pointer.kind };
  const manifest = pointer.kind === 'dir' && project.cache.has(pointer.digest) ? await project.cache.readManifest(pointer.digest) : undefined;
  const cached = pointer.kind === 'file' ? project.cache.has(pointer.digest) : !!manifest && (await allCached(project, manifest));
  if (now.kind === 'missing') return { ...base, state: 'deleted', cached };
  if (now.kind === pointer.kind && now.digest === pointer.digest) return { ...base, state: 'unchanged', cached };
  const status: DataStatus = { ...base, state: 'modified', cached };
  if (manifest && now.kind === 'dir') status.changes = diffEntries(manifest, now.entries);
  return status;
}

/** Whether every file of a manifest is cached: one listing of the cache beats 100,000 existence checks. */
async function allCached(project: DataProject, manifest: ManifestEntry[]): Promise<boolean> {
  if (manifest.length <= 256) return manifest.every((e) => project.cache.has(e.digest));
  const listed = new Set(await project.cache.list());
  return manifest.every((e) => listed.has(e.digest));
}

/** Files added, modified (content or mode) and deleted between two manifests, each list sorted. */
export function diffEntries(before: ManifestEntry[], after: ManifestEntry[]): { added: string[]; modified: string[]; deleted: string[] } {
  const old = new Map(before.map((e) => [e.path, e]));
  const added: string[] = [];
  const modified: string[] = [];
  for (const e of after) {
    const o = old.get(e.path);
    if (!o) added.push(e.path);
    else if (o.digest !== e.digest || o.mode !== e.mode) modified.push(e.path);
    old.delete(e.path);
  }
  return { added: added.sort(), modified: modified.sort(), deleted: [...old.keys()].sort() };
}
