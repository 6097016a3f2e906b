import fs from 'node:fs';
import path from 'node:path';
import { MlxError, notFound } from '../core/errors.js';
import { isSystemError, systemReason } from '../core/file-errors.js';
import { stampOf, type Digest, type FileStamp } from './objects/digest.js';
import type { LinkKind } from './objects/materialize.js';
import type { ManifestEntry } from './objects/manifest.js';
import type { DataProject } from './project.js';
import type { Pointer } from './pointer.js';
import { scanPath } from './scan.js';
import { StatCache } from './stat-cache.js';
import { resolvePointers, trackedPath } from './status.js';

export interface CheckedOut {
  pointer: string;
  path: string;
  /** restored: written from the cache; unchanged: already matched its pointer. */
  action: 'restored' | 'unchanged';
  links?: LinkKind[];
}

export interface CheckoutOptions {
  cwd?: string;
  /** Overwrite changes to tracked data that were never added (they are lost). */
  force?: boolean;
  /** Copy files out of the cache instead of linking them. */
  copy?: boolean;
  /** Named in the error for a missing object: where it can be pulled from. */
  remoteHint?: string;
}

/** Digests a pointer needs in the cache: the object, and for a folder its manifest's files. */
async function missingObjects(project: DataProject, p: Pointer): Promise<Digest[]> {
  if (!project.cache.has(p.digest)) return [p.digest];
  if (p.kind === 'file') return [];
  return (await project.cache.readManifest(p.digest)).filter((e) => !project.cache.has(e.digest)).map((e) => e.digest);
}

/**
 * `mlx data checkout`: makes each tracked path match its pointer, from the cache. Everything is
 * checked before anything is written: every object must be cached (else the digest and where to
 * pull it from are named), and data changed since it was last added would be lost, so it is
 * refused by name unless `force`. Each path is replaced whole (see ObjectCache.materialize).
 */
export async function checkoutData(project: DataProject, given: string[], opts: CheckoutOptions = {}): Promise<CheckedOut[]> {
  const targets = resolvePointers(project, given, opts.cwd);
  const plan: { rel: string; dataRel: string; pointer: Pointer; restore: boolean }[] = [];
  const unsaved: string[] = [];
  for (const { rel, pointer } of targets) {
    const dataRel = trackedPath(rel, pointer);
    const now = await scanPath(project.root, dataRel);
    const matches = now.kind !== 'missing' && now.kind === pointer.kind && now.digest === pointer.digest;
    if (!matches) {
      const missing = await missingObjects(project, pointer);
      if (missing.length)
        throw notFound(
          `object ${missing[0]} of ${JSON.stringify(rel)} is not in the cache${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ''}; fetch it with \`mlx data pull${opts.remoteHint ? ` --remote ${opts.remoteHint}` : ''} ${rel}\``,
        );
      // What is there now and was never added would be lost: name it.
      if (now.kind === 'file' && !project.cache.has(now.digest)) unsaved.push(dataRel);
      if (now.kind === 'dir') for (const e of now.entries) if (!project.cache.has(e.digest)) unsaved.push(`${dataRel}/${e.path}`);
    }
    plan.push({ rel, dataRel, pointer, restore: !matches });
  }
  if (unsaved.length && !opts.force)
    throw new MlxError(
      'INVALID_STATE',
      `checkout would overwrite changes that were never added: ${unsaved.slice(0, 5).join(', ')}${unsaved.length > 5 ? ` and ${unsaved.length - 5} more` : ''}; add them first (\`mlx data add\`) or pass --force to discard them`,
    );
  const out: CheckedOut[] = [];
  for (const step of plan) {
    if (!step.restore) {
      out.push({ pointer: step.rel, path: step.dataRel, action: 'unchanged' });
      continue;
    }
    const dest = path.join(project.root, step.dataRel);
    let links: LinkKind[];
    try {
      links = await project.cache.materialize(step.pointer.digest, step.pointer.kind, dest, { copy: opts.copy });
    } catch (err) {
      if (!isSystemError(err)) throw err;
      throw new MlxError(
        'INVALID_STATE',
        `checkout of ${JSON.stringify(step.dataRel)} failed (${systemReason(err)}); it was left as it was${out.length ? ` (${out.length} path(s) before it were checked out)` : ''}: free space or fix the folder and run it again`,
        { cause: err },
      );
    }
    await recordStamps(project, step.dataRel, step.pointer);
    out.push({ pointer: step.rel, path: step.dataRel, action: 'restored', links });
  }
  return out;
}

/** After a checkout the stat cache learns the new files' stamps, so the next status hashes nothing. */
async function recordStamps(project: DataProject, dataRel: string, pointer: Pointer): Promise<void> {
  const abs = path.join(project.root, dataRel);
  const state = StatCache.load(project.root, dataRel);
  const stamp = (p: string): FileStamp => stampOf(fs.statSync(p));
  if (pointer.kind === 'file') state.replace([['', stamp(abs), pointer.digest]], pointer.digest);
  else {
    const entries: ManifestEntry[] = await project.cache.readManifest(pointer.digest);
    state.replace(
      entries.map((e) => [e.path, stamp(path.join(abs, e.path)), e.digest]),
      pointer.digest,
    );
  }
  state.save();
}
