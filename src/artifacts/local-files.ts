import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlxError } from '../core/errors.js';
import { fileError, readableStat } from '../core/file-errors.js';
import { checkArtifactPath } from './artifact-path.js';
import type { ArtifactWriter } from './repository.js';

const join = (...parts: (string | undefined)[]) => parts.filter((p) => p).join('/');

/** The files of a local folder (recursively, sorted), as paths relative to it with forward slashes. */
export function filesIn(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = join(prefix, d.name);
    const full = path.join(dir, d.name);
    // Links are followed, as the local repository copies them (dereference).
    const stat = fs.statSync(full);
    if (stat.isDirectory()) out.push(...filesIn(full, rel));
    else if (stat.isFile()) out.push(rel);
  }
  return out;
}

/**
 * `log(source, artifactPath)` of a remote repository: every file of source (a file or a folder)
 * checked readable before the first is sent, sent `parallel` at a time with upload(), and, when
 * one fails, what did arrive taken back with remove(), so nothing is ever half-logged. Returns the
 * artifact paths written.
 */
export async function logFiles(
  source: string,
  artifactPath: string | undefined,
  parallel: number,
  upload: (local: string, rel: string) => Promise<void>,
  remove: (rel: string) => Promise<void>,
): Promise<string[]> {
  const stat = readableStat(source, `artifact source ${JSON.stringify(source)}`);
  const dest = join(checkArtifactPath(artifactPath), path.basename(path.resolve(source)));
  let files: { local: string; rel: string }[];
  try {
    files = stat.isDirectory() ? filesIn(source).map((f) => ({ local: path.join(source, f), rel: join(dest, f) })) : [{ local: source, rel: dest }];
    for (const f of files) fs.accessSync(f.local, fs.constants.R_OK);
  } catch (err) {
    throw fileError(err, `artifact source ${JSON.stringify((err as NodeJS.ErrnoException).path ?? source)}`);
  }
  const done: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      await upload(f.local, f.rel);
      done.push(f.rel);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker));
  } catch (err) {
    next = files.length;
    await Promise.all(done.map((rel) => remove(rel)));
    throw err;
  }
  return files.map((f) => f.rel);
}

/** openWriter() of a remote repository: writes to a temporary file; close() uploads it (and keeps the file, naming it, if the upload fails). */
export function uploadingWriter(rel: string, upload: (local: string, rel: string) => Promise<void>): ArtifactWriter {
  const target = checkArtifactPath(rel)!;
  const tmp = path.join(os.tmpdir(), `mlx-${randomBytes(6).toString('hex')}-${path.posix.basename(target)}`);
  const stream = fs.createWriteStream(tmp);
  const close = async () => {
    await new Promise<void>((resolve, reject) => stream.once('error', reject).end(resolve));
    try {
      await upload(tmp, target);
    } catch (err) {
      throw new MlxError((err as MlxError).code ?? 'INTERNAL_ERROR', `could not upload ${target} (${(err as Error).message}); it is kept in ${tmp}`, {
        cause: err,
      });
    }
    fs.rmSync(tmp, { force: true });
  };
  return { stream, close };
}
