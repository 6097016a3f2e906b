import fs from 'node:fs';
import { MlxError, notFound } from '../core/errors.js';
import type { Digest } from './objects/digest.js';
import { mapLimit } from './objects/pool.js';
import type { DataProject } from './project.js';
import type { Pointer } from './pointer.js';
import type { DataRemote } from './remotes/remote.js';

export interface TransferOptions {
  /** Objects moved at once (default 8). */
  jobs?: number;
  /** Bytes moved so far and the total to move (progress). */
  onBytes?: (done: number, total: number) => void;
}

export interface TransferResult {
  remote: string;
  /** Objects the pointers need, those moved, and those already there. */
  objects: number;
  transferred: number;
  skipped: number;
  bytes: number;
}

interface Needed {
  digest: Digest;
  size: number;
  what: string;
}

/** The objects pointers need, folder files first and manifests last (a manifest on a remote then implies its files are there). */
async function neededLocal(project: DataProject, pointers: { rel: string; pointer: Pointer }[]): Promise<{ files: Needed[]; manifests: Needed[] }> {
  const files = new Map<Digest, Needed>();
  const manifests = new Map<Digest, Needed>();
  for (const { rel, pointer } of pointers) {
    if (!project.cache.has(pointer.digest))
      throw notFound(
        `object ${pointer.digest} of ${JSON.stringify(rel)} is not in the local cache; \`mlx data add\` the data again, or pull it from where it was pushed`,
      );
    if (pointer.kind === 'file') {
      files.set(pointer.digest, { digest: pointer.digest, size: pointer.size, what: rel });
      continue;
    }
    manifests.set(pointer.digest, { digest: pointer.digest, size: fs.statSync(project.cache.objectPath(pointer.digest)).size, what: rel });
    for (const e of await project.cache.readManifest(pointer.digest)) files.set(e.digest, { digest: e.digest, size: e.size, what: `${rel}: ${e.path}` });
  }
  return { files: [...files.values()], manifests: [...manifests.values()] };
}

function failed(verb: string, remote: DataRemote, done: number, total: number, err: unknown): MlxError {
  const reason = err instanceof Error ? err.message : String(err);
  return new MlxError(
    'TEMPORARILY_UNAVAILABLE',
    `${verb} ${remote.name === remote.url ? '' : `remote "${remote.name}" `}(${remote.url}) stopped after ${done} of ${total} objects: ${reason}; run it again to resume (what arrived is kept and verified)`,
    { cause: err },
  );
}

/** `mlx data push`: uploads the objects the pointers need that the remote lacks (or holds only part of), in parallel. */
export async function pushData(
  project: DataProject,
  pointers: { rel: string; pointer: Pointer }[],
  remote: DataRemote,
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const { files, manifests } = await neededLocal(project, pointers);
  for (const f of files)
    if (!project.cache.has(f.digest)) throw notFound(`object ${f.digest} (${f.what}) is not in the local cache; add the data again before pushing`);
  const there = await listRemote(remote, 'push to');
  const missing = (list: Needed[]) => list.filter((n) => there.get(n.digest) !== fs.statSync(project.cache.objectPath(n.digest)).size);
  const toSend = [...missing(files), ...missing(manifests)];
  const total = toSend.reduce((n, x) => n + x.size, 0);
  let bytes = 0;
  let done = 0;
  const send = async (list: Needed[]) =>
    mapLimit(list, opts.jobs ?? 8, async (n) => {
      await remote.put(n.digest, project.cache.objectPath(n.digest));
      done++;
      opts.onBytes?.((bytes += n.size), total);
    });
  try {
    await send(missing(files));
    await send(missing(manifests));
  } catch (err) {
    throw failed('push to', remote, done, toSend.length, err);
  }
  const objects = files.length + manifests.length;
  return { remote: remote.name, objects, transferred: done, skipped: objects - done, bytes };
}

async function listRemote(remote: DataRemote, verb: string): Promise<Map<Digest, number>> {
  try {
    return await remote.list();
  } catch (err) {
    throw failed(verb, remote, 0, 0, err);
  }
}

/**
 * `mlx data pull`: downloads what the pointers need that the local cache lacks, each object
 * verified against its digest on arrival. Manifests come first (they say which files a folder
 * needs); an object the remote does not have is named, with the remote, before any file moves.
 */
export async function pullData(
  project: DataProject,
  pointers: { rel: string; pointer: Pointer }[],
  remote: DataRemote,
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const there = await listRemote(remote, 'pull from');
  const source = `remote "${remote.name}" (${remote.url})`;
  const absent = (digest: Digest, what: string) =>
    notFound(`object ${digest} (${what}) is on neither the local cache nor ${source}; push it from a clone that has it (\`mlx data push\`)`);
  let done = 0;
  let bytes = 0;
  const manifests: Needed[] = [];
  for (const { rel, pointer } of pointers) {
    if (pointer.kind === 'dir' && !project.cache.has(pointer.digest)) {
      if (!there.has(pointer.digest)) throw absent(pointer.digest, rel);
      manifests.push({ digest: pointer.digest, size: there.get(pointer.digest)!, what: rel });
    } else if (pointer.kind === 'file' && !project.cache.has(pointer.digest) && !there.has(pointer.digest)) throw absent(pointer.digest, rel);
  }
  const fetchOne = async (n: Needed) => {
    const local = remote.localFile?.(n.digest);
    await project.cache.receive(n.digest, source, local ? { localFile: local } : (tmp) => remote.get(n.digest, tmp));
    done++;
  };
  try {
    await mapLimit(manifests, opts.jobs ?? 8, fetchOne);
  } catch (err) {
    throw err instanceof MlxError && err.code === 'INVALID_PARAMETER_VALUE' ? err : failed('pull from', remote, done, manifests.length, err);
  }
  const wanted = new Map<Digest, Needed>();
  for (const { rel, pointer } of pointers) {
    if (pointer.kind === 'file') wanted.set(pointer.digest, { digest: pointer.digest, size: pointer.size, what: rel });
    else for (const e of await project.cache.readManifest(pointer.digest)) wanted.set(e.digest, { digest: e.digest, size: e.size, what: `${rel}: ${e.path}` });
  }
  const toFetch = [...wanted.values()].filter((n) => !project.cache.has(n.digest));
  for (const n of toFetch) if (!there.has(n.digest)) throw absent(n.digest, n.what);
  const total = toFetch.reduce((s, n) => s + n.size, 0);
  try {
    await mapLimit(toFetch, opts.jobs ?? 8, async (n) => {
      await fetchOne(n);
      opts.onBytes?.((bytes += n.size), total);
    });
  } catch (err) {
    throw err instanceof MlxError && err.code === 'INVALID_PARAMETER_VALUE' ? err : failed('pull from', remote, done, toFetch.length + manifests.length, err);
  }
  const objects = wanted.size + manifests.length;
  return { remote: remote.name, objects, transferred: done, skipped: objects - done, bytes };
}
