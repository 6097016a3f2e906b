import fs from 'node:fs';
import path from 'node:path';
import { invalid, MlxError } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import { within } from './paths.js';
import { yaml } from './yaml.js';

/**
 * Removes a stage's output before the stage runs (so a stale file cannot pass for a new one), never
 * outside the project: a link is removed, not followed, and a path reached through a linked folder
 * that leads out of the project is refused.
 */
export function removeOutput(root: string, rel: string): void {
  const full = path.join(root, rel);
  const parent = path.dirname(full);
  let realParent: string;
  try {
    realParent = fs.realpathSync(parent);
  } catch {
    return; // no parent folder: nothing to remove
  }
  const realRoot = fs.realpathSync(root);
  if (!within(realParent, realRoot)) throw invalid(`output ${rel} is reached through a symbolic link that leads out of the project; mlx will not delete it`);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(full);
  } catch {
    return;
  }
  try {
    if (st.isDirectory()) fs.rmSync(full, { recursive: true, force: true });
    else fs.unlinkSync(full);
  } catch (err) {
    throw fileError(err, `output ${rel}`);
  }
}

/** The folder an output goes in, made before the stage runs, as DVC does, so `cmd > data/x.csv` works. */
export function prepareOutputParent(root: string, rel: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
}

const MAX_METRICS_BYTES = 1024 * 1024;

/**
 * The numbers in a metrics file (JSON or YAML), nested keys joined with dots:
 * {"val": {"accuracy": 0.9}} → {"val.accuracy": 0.9}. Other values (text, lists) are not metrics.
 */
export function readMetrics(root: string, rel: string): Record<string, number> {
  const full = path.join(root, rel);
  let text: string;
  try {
    if (fs.statSync(full).size > MAX_METRICS_BYTES) throw invalid(`metrics file ${rel} is over ${MAX_METRICS_BYTES} bytes; metrics files hold a few numbers`);
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    throw err instanceof MlxError ? err : fileError(err, `metrics file ${rel}`);
  }
  let doc: unknown;
  try {
    doc = yaml().parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw invalid(`metrics file ${rel} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`, err);
  }
  const out: Record<string, number> = {};
  const walk = (v: unknown, prefix: string, depth: number) => {
    if (depth > 20) return;
    if (typeof v === 'number' && Number.isFinite(v)) out[prefix] = v;
    else if (typeof v === 'boolean') out[prefix] = v ? 1 : 0;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, prefix ? `${prefix}.${k}` : k, depth + 1);
  };
  walk(doc, '', 0);
  return out;
}
