import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import { profileTable } from './dataset-profile.js';
import { ignoreCacheInGit, ignoreInGit } from './gitignore.js';
import { projectPath, type DataProject } from './project.js';
import { isPointerFile, pointerPathOf, readPointer, writePointer, type Pointer } from './pointer.js';
import { StatCache } from './stat-cache.js';

export interface AddedData {
  path: string;
  pointer: string;
  kind: 'file' | 'dir';
  digest: string;
  size: number;
  files: number;
  /** false when the data and its pointer were already as they are (a re-add of unchanged data). */
  changed: boolean;
  rows?: number;
  gitignore?: string;
}

export interface AddDataOptions {
  cwd?: string;
  /** Bytes hashed so far, and the total (progress). */
  onBytes?: (done: number, total: number) => void;
  /** Hard-link small files into the cache instead of copying them (`--link`; see AddOptions.link). */
  link?: boolean;
}

/**
 * `mlx data add`: checks every path first (inside the project, there, not a pointer, not already
 * inside a tracked folder, no tracked data inside it), then stores each in the cache and writes
 * its pointer and .gitignore entry. Files whose stat is unchanged since the last add are not read.
 */
export async function addData(project: DataProject, paths: string[], opts: AddDataOptions = {}): Promise<AddedData[]> {
  const cwd = opts.cwd ?? process.cwd();
  const targets = paths.map((given) => checkAddable(project, given, cwd));
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.rel)) throw invalid(`path ${JSON.stringify(t.given)} is given twice`);
    seen.add(t.rel);
  }
  ignoreCacheInGit(project.root);
  const out: AddedData[] = [];
  for (const t of targets) out.push(await addOne(project, t, opts));
  return out;
}

interface Target {
  given: string;
  abs: string;
  rel: string;
  isDir: boolean;
}

function checkAddable(project: DataProject, given: string, cwd: string): Target {
  if (isPointerFile(given))
    throw invalid(`${JSON.stringify(given)} is a pointer file; give the data path it describes (${JSON.stringify(given.slice(0, -9))})`);
  const { abs, rel } = projectPath(project, given, cwd);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw invalid(`path ${JSON.stringify(given)} is a symbolic link loop; remove it`);
    throw fileError(err, `path ${JSON.stringify(given)}`);
  }
  if (!stat.isFile() && !stat.isDirectory()) throw invalid(`path ${JSON.stringify(given)} is neither a file nor a folder`);
  // A path inside a tracked folder is already versioned by that folder's pointer.
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = parts.slice(0, i).join('/');
    if (fs.existsSync(path.join(project.root, pointerPathOf(parent))))
      throw invalid(
        `path ${JSON.stringify(given)} is already tracked by ${JSON.stringify(pointerPathOf(parent))}; add the folder again instead (\`mlx data add ${parent}\`)`,
      );
  }
  if (stat.isDirectory()) {
    const inner = findInnerPointer(abs);
    if (inner)
      throw invalid(
        `folder ${JSON.stringify(given)} holds tracked data (${JSON.stringify(path.relative(cwd, inner))}); remove that pointer first or add the folders inside separately`,
      );
  }
  return { given, abs, rel, isDir: stat.isDirectory() };
}

function previousPointer(file: string): Pointer | undefined {
  try {
    return readPointer(file);
  } catch {
    // None, or broken: this add writes a good one.
    return undefined;
  }
}

function findInnerPointer(dir: string): string | undefined {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.git' || e.name === '.mlx') continue;
    const p = path.join(dir, e.name);
    if (e.isFile() && isPointerFile(e.name)) return p;
    if (e.isDirectory()) {
      const found = findInnerPointer(p);
      if (found) return found;
    }
  }
  return undefined;
}

async function addOne(project: DataProject, t: Target, opts: AddDataOptions): Promise<AddedData> {
  const state = StatCache.load(project.root, t.rel);
  const total = t.isDir ? 0 : fs.statSync(t.abs).size;
  let done = 0;
  const added = await project.cache.add(t.abs, {
    label: t.given,
    link: opts.link,
    known: (rel, stamp) => state.lookup(rel, stamp),
    onFile: (size) => opts.onBytes?.((done += size), total),
  });
  const pointer: Pointer = { version: 1, path: path.basename(t.abs), kind: added.kind, digest: added.digest, size: added.size, files: added.files };
  const pointerFile = pointerPathOf(t.abs);
  const before = previousPointer(pointerFile);
  if (before && before.digest === added.digest && before.kind === added.kind) {
    // Unchanged data: its rows and columns are those already recorded (not re-read).
    if (before.format) Object.assign(pointer, { format: before.format, rows: before.rows, columns: before.columns });
  } else if (added.kind === 'file') {
    const table = await profileTable(t.abs);
    if (table) Object.assign(pointer, { format: table.format, rows: table.num_rows, columns: table.columns });
  }
  const changed = writePointer(pointerFile, pointer);
  const gitignore = ignoreInGit(project.root, t.abs);
  const digestOf = new Map((added.entries ?? []).map((e) => [e.path, e.digest]));
  state.replace(
    [...(added.stamps ?? [])].map(([rel, stamp]) => [rel, stamp, added.kind === 'file' ? added.digest : digestOf.get(rel)!] as const),
    added.digest,
  );
  state.save();
  return {
    path: t.rel,
    pointer: pointerPathOf(t.rel),
    kind: added.kind,
    digest: added.digest,
    size: added.size,
    files: added.files,
    changed,
    ...(pointer.rows !== undefined ? { rows: pointer.rows } : {}),
    ...(gitignore ? { gitignore: path.relative(project.root, gitignore) } : {}),
  };
}
