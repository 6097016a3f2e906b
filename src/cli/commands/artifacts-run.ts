import fs from 'node:fs';
import path from 'node:path';
import { artifactRepository } from '../../artifacts/open-repository.js';
import { checkArtifactPath, safeJoin } from '../../artifacts/artifact-path.js';
import type { ArtifactEntry, ArtifactRepository } from '../../artifacts/repository.js';
import { invalid, notFound } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { asUsage } from '../flags.js';
import { print, printJson, renderTable } from '../output.js';

async function open(store: Store, runRef: string, rel: string | undefined) {
  const clean = asUsage(() => checkArtifactPath(rel));
  const run = await store.getRun(await store.resolveRunId(runRef));
  const repo = await artifactRepository(run.info.artifact_uri, store.uri, store.http);
  return { run, repo, rel: clean };
}

const size = (n: number | undefined) =>
  n === undefined
    ? ''
    : n < 1024
      ? `${n} B`
      : n < 1024 ** 2
        ? `${(n / 1024).toFixed(1)} KB`
        : n < 1024 ** 3
          ? `${(n / 1024 ** 2).toFixed(1)} MB`
          : `${(n / 1024 ** 3).toFixed(2)} GB`;

/** `mlx artifacts list RUN [PATH]`. */
export async function listArtifacts(store: Store, runRef: string, relText: string | undefined, o: { recursive?: boolean; json?: boolean }): Promise<void> {
  const { run, repo, rel } = await open(store, runRef, relText);
  const entries = await repo.list(rel, !!o.recursive);
  if (rel && entries.length === 0)
    throw notFound(`run ${run.info.run_id} has no artifact ${JSON.stringify(rel)}; \`mlx artifacts list ${run.info.run_id.slice(0, 8)}\` shows what it has`);
  if (o.json) return printJson({ run_id: run.info.run_id, artifacts: entries });
  if (entries.length === 0) return print(`run ${run.info.run_id} has no artifacts`);
  print(
    await renderTable(
      ['path', 'size'],
      entries.map((e) => [e.is_dir ? `${e.path}/` : e.path, e.is_dir ? '' : size(e.file_size)]),
      { colAligns: ['left', 'right'] },
    ),
  );
}

/** Every file at or below rel (a file lists as itself). */
async function filesUnder(repo: ArtifactRepository, rel: string | undefined): Promise<ArtifactEntry[]> {
  return (await repo.list(rel, true)).filter((e) => !e.is_dir);
}

/**
 * `mlx artifacts download RUN [PATH] --dst DIR`: each file to DIR/its artifact path. Paths come
 * from the store (a server may be hostile): each is checked to stay inside DIR before anything is
 * written, and each file is written to a temporary name and renamed (repository.download).
 */
export async function downloadArtifacts(store: Store, runRef: string, relText: string | undefined, o: { dst: string; json?: boolean }): Promise<void> {
  const { run, repo, rel } = await open(store, runRef, relText);
  const files = await filesUnder(repo, rel);
  if (files.length === 0)
    throw rel
      ? notFound(`run ${run.info.run_id} has no artifact ${JSON.stringify(rel)}; \`mlx artifacts list ${run.info.run_id.slice(0, 8)}\` shows what it has`)
      : invalid(`run ${run.info.run_id} has no artifacts to download`);
  const dst = path.resolve(o.dst);
  if (fs.existsSync(dst) && !fs.statSync(dst).isDirectory()) throw invalid(`--dst ${JSON.stringify(o.dst)} is a file; give a folder`);
  const targets = files.map((f) => ({
    rel: f.path,
    to: safeJoin(dst, checkArtifactPath(f.path, 'artifact path from the store'), 'artifact path from the store'),
  }));
  let bytes = 0;
  for (const t of targets) {
    fs.mkdirSync(path.dirname(t.to), { recursive: true });
    await repo.download(t.rel, t.to);
    bytes += fs.statSync(t.to).size;
  }
  const shown = targets.map((t) => path.relative(process.cwd(), t.to) || t.to);
  if (o.json) return printJson({ run_id: run.info.run_id, dst, files: targets.map((t) => t.rel), bytes });
  process.stderr.write(
    `mlx: downloaded ${targets.length} file${targets.length === 1 ? '' : 's'} (${size(bytes)}) to ${path.relative(process.cwd(), dst) || '.'}\n`,
  );
  if (targets.length <= 20) print(shown.join('\n'));
}
