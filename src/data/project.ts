import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../core/errors.js';
import { ObjectCache } from './objects/object-cache.js';
import { isPointerFile } from './pointer.js';

/** A data project: the folder holding `.mlx/` (or the git repository's top), its cache and its state. */
export interface DataProject {
  root: string;
  cache: ObjectCache;
}

/** The nearest folder at or above `cwd` that has a `.mlx` folder or a `.git`; else cwd itself (created on first write). */
export function findProject(cwd = process.cwd()): DataProject {
  const start = path.resolve(cwd);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.mlx')) || fs.existsSync(path.join(dir, '.git'))) return openProject(dir);
    if (path.dirname(dir) === dir) return openProject(start);
  }
}

export function openProject(root: string): DataProject {
  const real = fs.realpathSync(root);
  return { root: real, cache: ObjectCache.open(real) };
}

/**
 * A path the user named, resolved inside the project (through symbolic links, so a link cannot
 * lead out): refused when it leaves the project or lies in `.mlx/` or `.git/`.
 */
export function projectPath(project: DataProject, given: string, cwd = process.cwd()): { abs: string; rel: string } {
  const abs = path.resolve(cwd, given);
  // The parent is resolved (the path itself may not exist yet: a checkout target, a deleted file).
  let real: string;
  try {
    real = path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    real = abs;
  }
  const rel = path.relative(project.root, real);
  if (rel === '') throw invalid(`path ${JSON.stringify(given)} is the project itself; give a file or folder inside it`);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw invalid(`path ${JSON.stringify(given)} is outside the project ${JSON.stringify(project.root)}; give a file or folder inside it`);
  const top = rel.split(path.sep)[0];
  if (top === '.mlx' || top === '.git') throw invalid(`path ${JSON.stringify(given)} is inside ${top}/, which mlx and git manage; give a data file or folder`);
  return { abs: real, rel: rel.split(path.sep).join('/') };
}

// Folders never searched for pointers: mlx's and git's own, and installed packages.
const NOT_SEARCHED = new Set(['.mlx', '.git', 'node_modules', '.venv', '__pycache__']);

/** Every pointer file in the project (paths relative to the root, sorted), not descending into tracked folders. */
export function findPointers(project: DataProject): string[] {
  const out: string[] = [];
  const visit = (dir: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isFile() && isPointerFile(e.name)) out.push(childRel);
      // A folder tracked by its own pointer is data: nothing inside it is searched.
      else if (e.isDirectory() && !NOT_SEARCHED.has(e.name) && !names.has(`${e.name}.mlx.json`)) visit(path.join(dir, e.name), childRel);
    }
  };
  visit(project.root, '');
  return out.sort();
}
