import fs from 'node:fs';
import path from 'node:path';
import { invalid, notFound } from '../../core/errors.js';
import { readTextFile } from '../../core/file-errors.js';

/** A dataset pointer's suffix: `mlx data add data.csv` writes `data.csv.mlx.json` beside it. */
export const POINTER_SUFFIX = '.mlx.json';

/**
 * The data file a profile or validation reads for a name given on the command line: the file
 * itself, or for a dataset pointer (`PATH.mlx.json`) the file it describes, beside it (its "path",
 * else its own name less the suffix). A pointer whose data is not in the workspace says how to get it.
 */
export function resolveDataFile(given: string): { file: string; pointer?: string } {
  if (!given.endsWith(POINTER_SUFFIX)) return { file: given };
  const text = readTextFile(given, `dataset pointer ${JSON.stringify(given)}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalid(`dataset pointer ${given} is not valid JSON; restore it from git (git checkout -- ${given}) or add the data again with mlx data add`, err);
  }
  const named = doc !== null && typeof doc === 'object' ? (doc as { path?: unknown; kind?: unknown }) : {};
  if (named.kind === 'dir') throw invalid(`dataset pointer ${given} tracks a folder; profile or validate one of its files`);
  const rel = typeof named.path === 'string' && named.path !== '' ? path.basename(named.path) : path.basename(given.slice(0, -POINTER_SUFFIX.length));
  const file = path.join(path.dirname(given), rel);
  if (!fs.existsSync(file)) throw notFound(`${file} (tracked by ${given}) is not in the workspace; run mlx data checkout ${given} first`);
  return { file, pointer: given };
}
