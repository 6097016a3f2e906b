import { KeyBudget, type ColumnStats } from './column-stats.js';
import type { TableProfiler } from './profile.js';
import { mergeStats, reviveStats } from './stats-merge.js';
import { EXAMPLES, show, UNIQUE_LIMIT, type Example, type Validator } from './validate.js';
import { SortedRun, UniqueSeen } from './value-sets.js';

/**
 * What one segment of a file hands back (from a worker thread, as a structured clone): its rows, its
 * newlines (the line numbers of the segments after it), its columns' statistics, and for validation
 * its violations with lines counted from the segment's start. Merged in file order into the profiler
 * or validator of the whole file.
 */
export interface SegmentResult {
  names: string[];
  rows: number;
  newlines: number;
  stats: ColumnStats[];
  /** Per expectation, in the schema's order. */
  tallies?: { n: number; examples: Example[] }[];
  uniques?: (UniqueSeen | null | undefined)[];
}

export function profilerResult(p: TableProfiler, newlines: number): SegmentResult {
  for (const s of p.stats) s.seal();
  return { names: p.stats.map((s) => s.name), rows: p.rows, newlines, stats: p.stats };
}

export function validatorResult(v: Validator, expectations: readonly object[], newlines: number): SegmentResult {
  const r = profilerResult(v.profiler, newlines);
  r.tallies = expectations.map((x) => {
    const t = v.tallies.get(x as never)!;
    return { n: t.n, examples: t.examples };
  });
  r.uniques = expectations.map((x) => v.uniques.get(x as never));
  r.uniques.forEach((u, i) => {
    if (!u) return;
    // A column still a candidate key holds these same numbers, already sorted: sorted once, and handed on once.
    const keys = v.profiler.stats.find((s) => s.name === (expectations[i] as { column?: string }).column)?.keys;
    u.seal(keys?.sorted?.length === u.nums.size ? keys.sorted : undefined);
  });
  return r;
}

/** Adds a segment's statistics to the whole file's profiler; the first segment's become the profiler's own. */
export function mergeProfiler(p: TableProfiler, r: SegmentResult, first: boolean): void {
  p.rows += r.rows;
  for (let i = 0; i < p.stats.length; i++)
    if (first) p.stats[i] = reviveStats(r.stats[i], p.budget);
    else mergeStats(p.stats[i], reviveStats(r.stats[i], new KeyBudget(Infinity)));
}

/** Adds a segment's statistics and violations to the whole file's validator; `offset` is the newlines before the segment. */
export function mergeValidator(v: Validator, expectations: readonly object[], r: SegmentResult, first: boolean, offset: number): void {
  mergeProfiler(v.profiler, r, first);
  expectations.forEach((x, i) => {
    const key = x as never;
    const t = v.tallies.get(key)!;
    const local = r.tallies![i];
    let later: Example[] = local.examples.map((e) => ({ line: e.line + offset, value: e.value }));
    t.n += local.n;
    if (v.uniques.has(key)) {
      const { n, examples } = mergeUnique(v, key, r.uniques![i], first, offset);
      t.n += n;
      later = [...later, ...examples].sort((a, b) => a.line - b.line);
    }
    t.examples.push(...later.slice(0, Math.max(0, EXAMPLES - t.examples.length)));
  });
}

/** A unique expectation's values across segments: a value of this segment already seen before it is a duplicate at the line it appears on. */
function mergeUnique(v: Validator, key: never, plain: UniqueSeen | null | undefined, first: boolean, offset: number): { n: number; examples: Example[] } {
  const all = v.uniques.get(key);
  const examples: Example[] = [];
  let n = 0;
  if (first || !all || !plain) {
    v.uniques.set(key, first && plain ? UniqueSeen.revive(plain) : null);
    return { n, examples };
  }
  const seen = UniqueSeen.revive(plain);
  // The duplicates (the first EXAMPLES by line kept), then the union if the limit allows it all.
  const dup = (line: number, text: string) => {
    n++;
    if (examples.length === EXAMPLES && line + offset > examples[EXAMPLES - 1].line) return;
    examples.push({ line: line + offset, value: show(text) });
    examples.sort((a, b) => a.line - b.line);
    if (examples.length > EXAMPLES) examples.pop();
  };
  all.run ??= new SortedRun(all.sorted!);
  all.sorted = null;
  all.run.add(seen.sorted!, (value) => {
    const line = seen.nums.lineOf(value);
    dup(line, seen.numberText(value, line));
    return true;
  });
  const numberDups = n;
  for (const [text, line] of seen.strs) if (all.strs.has(text)) dup(line, text);
  // The whole file's numbers are merged already; its texts would gain this segment's new ones.
  if (all.size + seen.strs.size - (n - numberDups) > UNIQUE_LIMIT) {
    v.uniques.set(key, null);
    return { n, examples };
  }
  // (Lines and texts are read only from a later segment's own values, never from the whole file's.)
  for (const [text, line] of seen.strs) if (!all.strs.has(text)) all.strs.set(text, line + offset);
  return { n, examples };
}
