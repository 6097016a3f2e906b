import type { Command } from 'commander';
import { addData } from '../../data/add.js';
import { checkoutData } from '../../data/checkout.js';
import { findProject } from '../../data/project.js';
import { dataStatus } from '../../data/status.js';
import { addRemote, chooseRemote, listRemotes, removeRemote, setDefaultRemote } from '../../data/remotes/config.js';
import { resolvePointers, trackedPath } from '../../data/status.js';
import { intFlag } from '../flags.js';
import { formatTime, print, printable, printJson, renderTable } from '../output.js';
import { Progress } from '../progress.js';

/** 1536 → "1.5 KB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** 12345 → "12,345" (without Intl: loading it costs a status run tens of milliseconds). */
const count = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

export async function runDataAdd(paths: string[], opts: { json?: boolean; link?: boolean }): Promise<void> {
  const progress = new Progress('bytes');
  const added = await addData(findProject(), paths, { link: opts.link, onBytes: (done, total) => progress.update(done, total ? done / total : null) });
  progress.done();
  if (opts.json) return printJson({ added });
  for (const a of added) {
    const what = [formatBytes(a.size), a.kind === 'dir' ? plural(a.files, 'file') : '', a.rows !== undefined ? plural(a.rows, 'row') : '']
      .filter(Boolean)
      .join(', ');
    print(`${a.changed ? 'added' : 'unchanged'} ${a.path} (${what}) → ${a.pointer}`);
  }
  if (added.some((a) => a.changed))
    print(`commit the pointers: git add ${[...new Set(added.flatMap((a) => [a.pointer, ...(a.gitignore ? [a.gitignore] : [])]))].join(' ')}`);
}

export async function runDataStatus(paths: string[], opts: { json?: boolean }): Promise<void> {
  const project = findProject();
  const statuses = await dataStatus(project, paths);
  if (opts.json) return printJson({ paths: statuses });
  if (statuses.length === 0) return print('no tracked data: track some with `mlx data add PATH`');
  const changed = statuses.filter((s) => s.state !== 'unchanged');
  for (const s of changed) {
    print(`${s.state}: ${s.path}`);
    if (s.changes) {
      for (const f of s.changes.added) print(`    added: ${s.path}/${f}`);
      for (const f of s.changes.modified) print(`    modified: ${s.path}/${f}`);
      for (const f of s.changes.deleted) print(`    deleted: ${s.path}/${f}`);
    }
  }
  const uncached = statuses.filter((s) => !s.cached);
  for (const s of uncached) print(`not in cache: ${s.path} (\`mlx data pull ${s.pointer}\`)`);
  if (changed.length === 0 && uncached.length === 0) print(`${plural(statuses.length, 'tracked path')}, all matching their pointers`);
}

export async function runDataCheckout(pointers: string[], opts: { force?: boolean; copy?: boolean; json?: boolean }): Promise<void> {
  const done = await checkoutData(findProject(), pointers, { force: opts.force, copy: opts.copy });
  if (opts.json) return printJson({ paths: done });
  const restored = done.filter((d) => d.action === 'restored');
  for (const d of restored) print(`restored ${d.path} (${(d.links ?? []).join(', ') || 'nothing to link'})`);
  if (restored.length === 0) print(`${plural(done.length, 'tracked path')}, all matching their pointers`);
}

export async function runDataTransfer(verb: 'push' | 'pull', pointers: string[], opts: { remote?: string; jobs: string; json?: boolean }): Promise<void> {
  const jobs = intFlag('--jobs', opts.jobs, { min: 1, max: 256 });
  const project = findProject();
  const targets = resolvePointers(project, pointers);
  const config = chooseRemote(project.root, opts.remote);
  const { openRemote } = await import('../../data/remotes/open-remote.js');
  const { pullData, pushData } = await import('../../data/transfer.js');
  const remote = await openRemote(project.root, config);
  const progress = new Progress('bytes');
  const onBytes = (done: number, total: number) => progress.update(done, total ? done / total : null);
  const result = verb === 'push' ? await pushData(project, targets, remote, { jobs, onBytes }) : await pullData(project, targets, remote, { jobs, onBytes });
  progress.done();
  const checkedOut = verb === 'pull' ? await checkoutData(project, pointers, { remoteHint: config.name }) : undefined;
  if (opts.json) return printJson({ ...result, ...(checkedOut ? { paths: checkedOut } : {}) });
  const moved = verb === 'push' ? 'pushed' : 'pulled';
  print(
    `${moved} ${plural(result.transferred, 'object')} (${formatBytes(result.bytes)}) ${verb === 'push' ? 'to' : 'from'} ${config.name}; ${count(result.skipped)} already there`,
  );
  for (const d of checkedOut ?? []) if (d.action === 'restored') print(`restored ${d.path}`);
}

export async function runRemoteAdd(name: string, url: string, opts: { default?: boolean; force?: boolean }): Promise<void> {
  const r = addRemote(findProject().root, name, url, { makeDefault: opts.default, replace: opts.force });
  print(`remote ${r.name} → ${r.url}${r.default ? ' (default)' : ''}; commit .mlx/config.json to share it`);
}

export async function runRemoteList(opts: { json?: boolean }): Promise<void> {
  const remotes = listRemotes(findProject().root);
  if (opts.json) return printJson({ remotes });
  if (remotes.length === 0) return print('no remotes: add one with `mlx data remote add NAME URL --default`');
  print(
    await renderTable(
      ['name', 'url', 'default'],
      remotes.map((r) => [r.name, r.url, r.default ? 'yes' : '']),
    ),
  );
}

export async function runRemoteRemove(name: string): Promise<void> {
  removeRemote(findProject().root, name);
}

export async function runRemoteDefault(name: string): Promise<void> {
  setDefaultRemote(findProject().root, name);
}

export async function runDataGc(cmd: Command, opts: { allCommits?: boolean; force?: boolean; dryRun?: boolean; json?: boolean }): Promise<void> {
  const project = findProject();
  const { gcData } = await import('../../data/gc.js');
  const { runInputDigests } = await import('../../app/run-input-digests.js');
  const { withStore } = await import('../context.js');
  const runInputs = opts.force ? [] : await withStore(cmd, false, (store) => runInputDigests(store));
  const r = await gcData(project, { allCommits: opts.allCommits, force: opts.force, dryRun: opts.dryRun, runInputs });
  if (opts.json) return printJson(r);
  print(
    `${r.dryRun ? 'would remove' : 'removed'} ${plural(r.removed, 'object')} (${formatBytes(r.bytes)}); kept ${count(r.kept)} referenced by pointers` +
      (r.keptForRuns ? ` and ${count(r.keptForRuns)} recorded as run inputs (--force removes them)` : ''),
  );
}

export async function runDataLs(opts: { json?: boolean }): Promise<void> {
  const project = findProject();
  const tracked = resolvePointers(project, []).map(({ rel, pointer }) => ({
    pointer: rel,
    path: trackedPath(rel, pointer),
    kind: pointer.kind,
    digest: pointer.digest,
    size: pointer.size,
    files: pointer.files,
    ...(pointer.rows !== undefined ? { rows: pointer.rows } : {}),
    cached: project.cache.has(pointer.digest),
  }));
  if (opts.json) return printJson({ tracked });
  if (tracked.length === 0) return print('no tracked data: track some with `mlx data add PATH`');
  print(
    await renderTable(
      ['path', 'kind', 'size', 'files', 'rows', 'digest', 'cached'],
      tracked.map((t) => [
        t.path,
        t.kind,
        formatBytes(t.size),
        String(t.files),
        t.rows === undefined ? '' : String(t.rows),
        t.digest.slice(0, 12),
        t.cached ? 'yes' : 'no',
      ]),
    ),
  );
}

export async function runDataShow(given: string, opts: { json?: boolean }): Promise<void> {
  const project = findProject();
  const [{ rel, pointer }] = resolvePointers(project, [given]);
  const cached = project.cache.has(pointer.digest);
  const files = pointer.kind === 'dir' && cached ? await project.cache.readManifest(pointer.digest) : undefined;
  if (opts.json) return printJson({ pointer: rel, ...pointer, digest: `sha256:${pointer.digest}`, cached, ...(files ? { manifest: files } : {}) });
  const lines = [
    `path:    ${trackedPath(rel, pointer)}`,
    `pointer: ${rel}`,
    `kind:    ${pointer.kind}`,
    `digest:  sha256:${pointer.digest}${cached ? '' : '  (not in the cache: mlx data pull)'}`,
    `size:    ${formatBytes(pointer.size)}${pointer.kind === 'dir' ? `, ${plural(pointer.files, 'file')}` : ''}`,
  ];
  if (pointer.rows !== undefined) lines.push(`rows:    ${count(pointer.rows)} (${pointer.format})`);
  if (pointer.columns) lines.push(`columns: ${pointer.columns.map((c) => `${c.name}:${c.type}`).join(', ')}`);
  print(printable(lines.join('\n'), { newlines: true }));
  if (files) {
    for (const f of files.slice(0, 20)) print(`  ${printable(f.path)}  ${formatBytes(f.size)}  ${f.digest.slice(0, 12)}`);
    if (files.length > 20) print(`  … and ${count(files.length - 20)} more (--json lists them all)`);
  }
}

export async function runDataLog(given: string, opts: { max: string; json?: boolean }): Promise<void> {
  const max = intFlag('--max', opts.max, { min: 1, max: 100000 });
  const project = findProject();
  const { pointerLog } = await import('../../data/history.js');
  const { projectPath } = await import('../../data/project.js');
  const { isPointerFile, pointerPathOf } = await import('../../data/pointer.js');
  const { rel } = projectPath(project, given);
  const pointerRel = isPointerFile(rel) ? rel : pointerPathOf(rel);
  const versions = pointerLog(project.root, pointerRel, max).map((v) => ({
    commit: v.commit,
    time: v.time,
    subject: v.subject,
    digest: v.pointer ? `sha256:${v.pointer.digest}` : null,
    size: v.pointer?.size ?? null,
    files: v.pointer?.files ?? null,
    cached: v.pointer ? project.cache.has(v.pointer.digest) : false,
  }));
  if (opts.json) return printJson({ pointer: pointerRel, versions });
  if (versions.length === 0) return print(`no commit has ${pointerRel}: commit it after \`mlx data add\``);
  print(
    await renderTable(
      ['commit', 'date', 'digest', 'size', 'files', 'cached', 'message'],
      versions.map((v) => [
        v.commit.slice(0, 8),
        formatTime(v.time),
        v.digest ? v.digest.slice(7, 19) : '(deleted)',
        v.size === null ? '' : formatBytes(v.size),
        v.files === null ? '' : String(v.files),
        v.cached ? 'yes' : 'no',
        v.subject,
      ]),
    ),
  );
}
