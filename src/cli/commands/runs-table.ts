import type { Run } from '../../core/entities.js';
import { parseFilter, parseOrderBy, type FilterExpr, type Identifier } from '../../core/search/index.js';
import { usage } from '../flags.js';

// Which columns `mlx runs list` shows, and the parent → children tree of sweeps and pipelines.

export const MAX_METRIC_COLUMNS = 4;
export const MAX_PARAM_COLUMNS = 3;
const PARENT_TAG = 'mlflow.parentRunId';
const EARLY_STOPPED_TAG = 'mlx.early_stopped';
const BEST_RUN_TAG = 'best_run_id';

export type KeyKind = 'params' | 'metrics' | 'tags';
export interface KeyColumn {
  kind: KeyKind;
  key: string;
}
export const columnName = (c: KeyColumn) => `${c.kind}.${c.key}`;

/** Parses --columns params.lr,metrics.acc,tags.stage (backquotes allowed around a key with dots or spaces). */
export function parseColumns(text: string): KeyColumn[] {
  const out: KeyColumn[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim();
    if (!t) continue;
    const m = /^(params|metrics|tags|param|metric|tag)\.(.+)$/.exec(t);
    if (!m) throw usage(`--columns ${JSON.stringify(t)}: name columns as params.KEY, metrics.KEY or tags.KEY (e.g. --columns params.lr,metrics.acc)`);
    const kind = (m[1].endsWith('s') ? m[1] : `${m[1]}s`) as KeyKind;
    const key = m[2].replace(/^`(.*)`$/, '$1');
    if (!out.some((c) => c.kind === kind && c.key === key)) out.push({ kind, key });
  }
  return out;
}

const identColumn = (i: Identifier): KeyColumn | null =>
  i.type === 'metric'
    ? { kind: 'metrics', key: i.key }
    : i.type === 'param'
      ? { kind: 'params', key: i.key }
      : i.type === 'tag'
        ? { kind: 'tags', key: i.key }
        : null;

function filterIdents(e: FilterExpr | null, out: Identifier[] = []): Identifier[] {
  if (!e) return out;
  if (e.kind === 'and' || e.kind === 'or') for (const x of e.items) filterIdents(x, out);
  else out.push(e.ident);
  return out;
}

/** The columns --order-by and --filter name: always shown, whatever else is left out. */
export function queryColumns(filter: string | undefined, orderBy: string[] | undefined): KeyColumn[] {
  const idents = [...(orderBy?.length ? parseOrderBy(orderBy).map((t) => t.ident as Identifier) : []), ...filterIdents(filter ? parseFilter(filter) : null)];
  const out: KeyColumn[] = [];
  for (const c of idents.map(identColumn)) if (c && !out.some((o) => o.kind === c.kind && o.key === c.key)) out.push(c);
  return out;
}

/**
 * The keys worth a column: those whose values differ between the runs first (a param every
 * run shares tells nothing), then those most runs have.
 */
export function rankKeys(runs: Run[], kind: 'params' | 'metrics'): string[] {
  const seen = new Map<string, { count: number; values: Set<string> }>();
  for (const r of runs)
    for (const [k, v] of Object.entries(r[kind])) {
      const e = seen.get(k) ?? { count: 0, values: new Set<string>() };
      e.count++;
      e.values.add(String(v));
      seen.set(k, e);
    }
  return [...seen]
    .sort((a, b) => Number(b[1].values.size > 1) - Number(a[1].values.size > 1) || b[1].count - a[1].count || a[0].localeCompare(b[0]))
    .map(([k]) => k);
}

export interface ColumnChoice {
  columns: KeyColumn[];
  /** Keys the runs have that got no column, by kind. */
  hidden: { params: number; metrics: number };
}

/**
 * The key columns of the table: --columns as given (or every key with --wide, or the best few by
 * rankKeys), and always the ones the query orders or filters by; params before metrics.
 */
export function chooseColumns(runs: Run[], o: { columns?: KeyColumn[]; wide?: boolean; query: KeyColumn[] }): ColumnChoice {
  const params = rankKeys(runs, 'params');
  const metrics = rankKeys(runs, 'metrics');
  let chosen: KeyColumn[];
  if (o.columns) chosen = [...o.columns];
  else if (o.wide)
    chosen = [...params.sort().map((key) => ({ kind: 'params' as const, key })), ...metrics.sort().map((key) => ({ kind: 'metrics' as const, key }))];
  else
    chosen = [
      ...params
        .slice(0, MAX_PARAM_COLUMNS)
        .sort()
        .map((key) => ({ kind: 'params' as const, key })),
      ...metrics
        .slice(0, MAX_METRIC_COLUMNS)
        .sort()
        .map((key) => ({ kind: 'metrics' as const, key })),
    ];
  for (const q of o.query) if (!chosen.some((c) => c.kind === q.kind && c.key === q.key)) chosen.push(q);
  if (!o.columns) {
    const order: Record<KeyKind, number> = { params: 0, metrics: 1, tags: 2 };
    chosen.sort((a, b) => order[a.kind] - order[b.kind]);
  }
  const shown = (kind: KeyKind, keys: string[]) => keys.filter((k) => !chosen.some((c) => c.kind === kind && c.key === k)).length;
  return { columns: chosen, hidden: { params: shown('params', params), metrics: shown('metrics', metrics) } };
}

/** A run's value for a key column, as text ('' when it has none). */
export function cellValue(r: Run, c: KeyColumn, format: (v: number) => string): string {
  if (c.kind === 'metrics') return c.key in r.metrics ? format(r.metrics[c.key]) : '';
  return (c.kind === 'params' ? r.params[c.key] : r.tags[c.key]) ?? '';
}

/** A status as people read it: an early-stopped sweep trial is not a run someone killed. */
export function statusText(r: Run): string {
  return r.info.status === 'KILLED' && r.tags[EARLY_STOPPED_TAG] === 'true' ? 'EARLY_STOPPED' : r.info.status;
}

export interface TreeRow {
  run: Run;
  /** The tree drawing before the name: '' at the top, '├─ ' / '└─ ' (with '│  ' above) below. */
  prefix: string;
  /** The parent is shown above and named this run its best (the parent's metrics are this run's). */
  best: boolean;
  /** A parent whose best child is shown below it: its copied metrics are not shown twice. */
  bestShownBelow: boolean;
}

/**
 * Nests each run under its parent when the parent is in the list too (sweep trials, pipeline
 * stages), keeping the list's order among siblings; a child whose parent is not listed stays at
 * the top level.
 */
export function runTree(runs: Run[]): TreeRow[] {
  const ids = new Set(runs.map((r) => r.info.run_id));
  const children = new Map<string, Run[]>();
  const top: Run[] = [];
  for (const r of runs) {
    const p = r.tags[PARENT_TAG];
    if (p && p !== r.info.run_id && ids.has(p)) children.set(p, [...(children.get(p) ?? []), r]);
    else top.push(r);
  }
  const out: TreeRow[] = [];
  const seen = new Set<string>();
  const walk = (r: Run, lead: string, prefix: string, parent: Run | null) => {
    if (seen.has(r.info.run_id)) return;
    seen.add(r.info.run_id);
    const kids = children.get(r.info.run_id) ?? [];
    const bestId = r.tags[BEST_RUN_TAG];
    out.push({
      run: r,
      prefix,
      best: !!parent && parent.tags[BEST_RUN_TAG] === r.info.run_id,
      bestShownBelow: !!bestId && kids.some((k) => k.info.run_id === bestId),
    });
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      walk(k, `${lead}${last ? '   ' : '│  '}`, `${lead}${last ? '└─ ' : '├─ '}`, r);
    });
  };
  for (const r of top) walk(r, '', '', null);
  // Runs in a parent cycle (never made by mlx) are listed rather than lost.
  for (const r of runs) walk(r, '', '', null);
  return out;
}
