import path from 'node:path';
import { findControlChar } from '../core/control-chars.js';
import { invalid } from '../core/errors.js';

/** Files and folders a stage may never declare as an output: repro deletes outputs before it runs a stage. */
const RESERVED = new Set(['.mlx', '.git', 'mlx.yaml', 'mlx.lock']);

/**
 * A path from mlx.yaml as a normalized project-relative path ("data/raw.csv"), or a refusal: absolute
 * paths, `..` out of the project, control characters and the project's own files are refused, since
 * repro deletes and rewrites outputs and no mlx.yaml may reach outside the folder it describes.
 */
export function projectPath(where: string, text: string, opts: { output?: boolean } = {}): string {
  if (typeof text !== 'string' || text.trim() === '') throw invalid(`${where}: a path must be a non-empty string, got ${JSON.stringify(text)}`);
  const bad = findControlChar(text);
  if (bad !== null) throw invalid(`${where}: path ${JSON.stringify(text)} contains a control character; rename it`);
  if (path.isAbsolute(text) || /^[A-Za-z]:/.test(text)) throw invalid(`${where}: path ${JSON.stringify(text)} must be relative to the folder of mlx.yaml`);
  const norm = path.posix.normalize(text.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) throw invalid(`${where}: path ${JSON.stringify(text)} is outside the project (the folder of mlx.yaml)`);
  if (norm === '.' || norm === '') throw invalid(`${where}: path ${JSON.stringify(text)} is the whole project; name a file or folder inside it`);
  if (opts.output && RESERVED.has(norm.split('/')[0])) throw invalid(`${where}: ${JSON.stringify(text)} cannot be an output: mlx keeps its own files there`);
  return norm;
}

/** True when a is b or inside it (or the other way round): two such paths name overlapping data. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** True when inner is outer or inside it. */
export function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`);
}
