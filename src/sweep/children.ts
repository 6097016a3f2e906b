/** The child runs of a sweep and what they add up to: one row per trial, sorted by the metric, and the best. */
import type { Run, RunStatus } from '../core/entities.js';
import { SYSTEM_TAGS } from '../core/entities.js';
import { invalid } from '../core/errors.js';
import type { TrackingStore } from '../store/store.js';
import type { Goal } from './sweep-plan.js';

export const TRIAL_TAG = 'mlx.sweep.trial';
export const EARLY_STOPPED_TAG = 'mlx.early_stopped';

/** Every active run whose parent is `parentRunId`, oldest first. */
export async function listChildRuns(store: TrackingStore, parentRunId: string, experimentId?: string): Promise<Run[]> {
  const experimentIds = experimentId !== undefined ? [experimentId] : (await store.listExperiments('all')).map((e) => e.experiment_id);
  const runs: Run[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns({
      experimentIds,
      filter: `tags.${SYSTEM_TAGS.parentRunId} = '${parentRunId.replace(/'/g, "''")}'`,
      orderBy: ['attributes.start_time ASC'],
      maxResults: 1000,
      pageToken,
    });
    runs.push(...page.runs);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return runs;
}

/**
 * The children of a parent run for `mlx compare --sweep`, in trial order, with the metric and goal
 * the sweep optimized (so compare marks its best the same way).
 */
export async function sweepChildren(store: TrackingStore, parentIdOrPrefix: string): Promise<{ runs: Run[]; metric: string | null; goal: Goal | null }> {
  const parent = await store.getRun(await store.resolveRunId(parentIdOrPrefix));
  const runs = await listChildRuns(store, parent.info.run_id, parent.info.experiment_id);
  if (runs.length === 0) throw invalid(`run ${parent.info.run_id} has no child runs; give the parent run that mlx sweep printed`);
  const order = (r: Run) => trialOf(r) ?? Infinity;
  runs.sort((a, b) => order(a) - order(b) || a.info.start_time - b.info.start_time);
  const goal = parent.tags['mlx.sweep.goal'];
  return { runs, metric: parent.tags['mlx.sweep.metric'] ?? null, goal: goal === 'min' || goal === 'max' ? goal : null };
}

/** The trial number a child recorded, or null for a run that is not a trial. */
export function trialOf(run: Run): number | null {
  const t = run.tags[TRIAL_TAG];
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : null;
}

/** The latest attempt of each trial (a resumed sweep runs a trial again after an interrupted attempt). */
export function latestAttempts(children: Run[]): Map<number, Run> {
  const byTrial = new Map<number, Run>();
  for (const r of children) {
    const t = trialOf(r);
    if (t === null) continue;
    const prev = byTrial.get(t);
    if (!prev || r.info.start_time >= prev.info.start_time) byTrial.set(t, r);
  }
  return byTrial;
}

/** Whether the sweep stopped this run by the median rule (tag mlx.early_stopped). */
export function isEarlyStopped(run: Run): boolean {
  return run.tags[EARLY_STOPPED_TAG] === 'true';
}

/** Whether a trial is settled: finished, early-stopped, or (unless retrying) failed. */
export function isDone(run: Run, retryFailed = false): boolean {
  const s = run.info.status;
  return s === 'FINISHED' || (s === 'KILLED' && isEarlyStopped(run)) || (s === 'FAILED' && !retryFailed);
}

export interface TrialRow {
  trial: number;
  run_id: string;
  run_name: string;
  status: RunStatus;
  early_stopped: boolean;
  /** The sweep's params only. */
  params: Record<string, string>;
  /** Latest value of the sweep metric; null when absent or there is no metric. */
  value: number | null;
  exit_code: number | null;
  best: boolean;
}

export interface SweepResults {
  rows: TrialRow[];
  best: TrialRow | null;
  counts: { finished: number; failed: number; killed: number; early_stopped: number; running: number; not_started: number };
}

/** One row per trial, best first by the metric (runs without a value last), and the best finished run. */
/** `size` is the number of trials planned, to count those never started. */
export function summarize(children: Run[], keys: string[], metric: string | null, goal: Goal | null, size = 0): SweepResults {
  const rows: TrialRow[] = [...latestAttempts(children)].map(([trial, r]) => {
    const v = metric !== null && Object.prototype.hasOwnProperty.call(r.metrics, metric) ? r.metrics[metric] : null;
    const code = r.tags[SYSTEM_TAGS.exitCode];
    return {
      trial,
      run_id: r.info.run_id,
      run_name: r.info.run_name,
      status: r.info.status,
      early_stopped: isEarlyStopped(r),
      params: Object.fromEntries(keys.filter((k) => k in r.params).map((k) => [k, r.params[k]])),
      value: v,
      exit_code: code !== undefined && /^-?\d+$/.test(code) ? Number(code) : null,
      best: false,
    };
  });
  const rank = (v: number | null) => (v === null || !Number.isFinite(v) ? Infinity : goal === 'max' ? -v : v);
  rows.sort((a, b) => (metric === null ? 0 : rank(a.value) - rank(b.value) || 0) || a.trial - b.trial);
  const best = rows.find((r) => r.status === 'FINISHED' && r.value !== null && Number.isFinite(r.value)) ?? null;
  if (best) best.best = true;
  const counts = { finished: 0, failed: 0, killed: 0, early_stopped: 0, running: 0, not_started: Math.max(0, size - rows.length) };
  for (const r of rows) {
    if (r.early_stopped && r.status === 'KILLED') counts.early_stopped++;
    else if (r.status === 'FINISHED') counts.finished++;
    else if (r.status === 'FAILED') counts.failed++;
    else if (r.status === 'KILLED') counts.killed++;
    else counts.running++;
  }
  return { rows, best, counts };
}
