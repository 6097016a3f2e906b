import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseTimeFlag } from '../../core/durations.js';
import { usage } from '../../core/errors.js';
import { resolveDataFile } from '../../data/validation/data-source.js';
import { TableProfiler, type DataProfile } from '../../data/validation/profile.js';
import { defaultThreads, profileFile } from '../../data/validation/scan-file.js';
import { inferSchema } from '../../data/validation/schema.js';
import { formatSchema } from '../../data/validation/schema-file.js';
import type { LogWindow } from '../../inference-log/inference-log.js';
import { withStore } from '../context.js';
import { intFlag, numberFlag } from '../flags.js';
import { formatValue, print, printJson, renderTable } from '../output.js';
import { feedLoggedTraffic } from '../../app/data-validation.js';

export interface ProfileFlags {
  out?: string;
  tolerance: string;
  maxCategories: string;
  json?: boolean;
  since?: string;
  until?: string;
  threads?: string;
}

const SERVING = 'serving:';

/** The window of a `serving:MODEL` source, or null for a file (whose --since/--until must not be given). */
export function servingWindow(source: string, f: { since?: string; until?: string }): LogWindow | null {
  if (!source.startsWith(SERVING)) {
    if (f.since !== undefined || f.until !== undefined) throw usage(`--${f.since !== undefined ? 'since' : 'until'} only applies to a serving:MODEL source`);
    return null;
  }
  const model = source.slice(SERVING.length).trim();
  if (!/^[\w.-]+$/.test(model)) throw usage(`${JSON.stringify(source)}: give the served model's name after serving:, e.g. serving:clf`);
  const now = Date.now();
  const since = f.since !== undefined ? parseTimeFlag('--since', f.since, now) : 0;
  const until = f.until !== undefined ? parseTimeFlag('--until', f.until, now) : now + 1;
  if (since >= until) throw usage(`--since ${f.since} is not before --until ${f.until ?? 'now'}`);
  return { model, since, until };
}

/** Profiles a file, a pointer's file, or logged traffic. */
/** --threads N (1-64), or the default (min(cores, 2)) when not given. */
export function threadsFlag(text: string | undefined): number {
  return text === undefined ? defaultThreads() : intFlag('--threads', text, { min: 1, max: 64 });
}

export async function profileSource(source: string, w: LogWindow | null, cmd: Command, maxCategories: number, threads: number): Promise<DataProfile> {
  if (w)
    return withStore(cmd, false, async (store) => {
      const { inferenceLogOf } = await import('../../store/inference-log-of.js');
      const profiler = new TableProfiler(false);
      feedLoggedTraffic(await inferenceLogOf(store), w, profiler);
      return profiler.profile(source, 'serving', { maxCategories });
    });
  const { file } = resolveDataFile(source);
  return profileFile(file, { maxCategories, threads });
}

/** Writes text to a file whole or not at all (a temporary file renamed into place). */
export function writeWhole(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export async function runProfile(source: string, f: ProfileFlags, cmd: Command): Promise<void> {
  const tolerance = numberFlag('--tolerance', f.tolerance, { min: 0, max: 100 });
  const maxCategories = intFlag('--max-categories', f.maxCategories, { min: 0, max: 1000 });
  const threads = threadsFlag(f.threads);
  if (f.out !== undefined && !/\.json$/i.test(f.out)) throw usage(`--out ${JSON.stringify(f.out)} must name a .json file`);
  const w = servingWindow(source, f);
  const profile = await profileSource(source, w, cmd, maxCategories, threads);
  const schema = inferSchema(profile, { tolerance });
  if (f.out) writeWhole(f.out, formatSchema(schema));
  if (f.json) return printJson({ ...profile, ...(f.out ? { schema: f.out, expectations: schema.expectations.length } : {}) });
  const rows = profile.columns.map((c) => [
    c.name,
    c.type,
    c.nulls ? `${c.nulls} (${formatValue(c.null_share * 100)}%)` : '0',
    c.distinct === null ? `>${1000}` : String(c.distinct),
    c.min === undefined || c.min === null ? '' : formatValue(c.min as number | string),
    c.max === undefined || c.max === null ? '' : formatValue(c.max as number | string),
    c.mean === undefined || c.mean === null ? '' : formatValue(c.mean),
    [
      c.unique ? 'unique' : '',
      c.categories ? `${c.categories.length} categories` : '',
      c.length && c.type === 'string' ? `length ${c.length.min}-${c.length.max}` : '',
    ]
      .filter(Boolean)
      .join(', '),
  ]);
  print(await renderTable(['column', 'type', 'nulls', 'distinct', 'min', 'max', 'mean', 'notes'], rows));
  print(
    `${profile.rows} rows, ${profile.columns.length} columns${f.out ? `; schema with ${schema.expectations.length} expectations written to ${f.out}` : ''}`,
  );
}
