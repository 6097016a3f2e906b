// What the UI knows about sweeps (`mlx sweep`): the tags a parent and its trials carry, the
// status a trial stopped by the median rule shows, and a trials leaderboard's order.
import { h } from './dom.js';

export const PARENT_TAG = 'mlflow.parentRunId';
export const TRIAL_TAG = 'mlx.sweep.trial';
export const EARLY_STOPPED_TAG = 'mlx.early_stopped';
export const SWEEP_METRIC_TAG = 'mlx.sweep.metric';
export const SWEEP_GOAL_TAG = 'mlx.sweep.goal';
export const BEST_RUN_TAG = 'best_run_id';

const tagOf = (run, key) => (run.data?.tags ?? []).find((t) => t.key === key)?.value;

/**
 * Whether the sweep stopped this run early by the median rule (not a user or a crash): the tag
 * says so, whatever terminal status the run was given (mlx records KILLED, as MLflow has no other).
 */
export const isEarlyStopped = (run) => run.info.status !== 'RUNNING' && tagOf(run, EARLY_STOPPED_TAG) === 'true';

/** The status badge of a run: "EARLY_STOPPED" for a trial the sweep stopped, else the status. */
export function statusBadge(run, id) {
  const early = isEarlyStopped(run);
  const text = early ? 'EARLY_STOPPED' : String(run.info.status);
  return h(
    'span',
    {
      class: `status ${early ? 'early-stopped' : text.toLowerCase()}`,
      id,
      title: early ? `stopped by the sweep’s median rule (recorded as ${run.info.status})` : null,
    },
    text,
  );
}

export const parentOf = (run) => tagOf(run, PARENT_TAG) ?? null;
export const trialOf = (run) => {
  const t = tagOf(run, TRIAL_TAG);
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : null;
};

/** The sweep's metric and goal from the parent's tags (null when it optimized nothing). */
export function sweepGoal(parent) {
  const metric = tagOf(parent, SWEEP_METRIC_TAG) ?? null;
  const goal = tagOf(parent, SWEEP_GOAL_TAG) === 'min' ? 'min' : 'max';
  return { metric, goal };
}

const metricOf = (run, key) => {
  const m = (run.data?.metrics ?? []).find((x) => x.key === key);
  return m && typeof m.value === 'number' && Number.isFinite(m.value) ? m.value : null;
};

/**
 * Trials best first by the sweep's metric (runs without it last, then by trial number); without
 * a metric, in trial order.
 */
export function rankTrials(children, metric, goal) {
  const sign = goal === 'min' ? 1 : -1;
  return [...children].sort((a, b) => {
    if (metric) {
      const va = metricOf(a, metric);
      const vb = metricOf(b, metric);
      if (va !== null && vb !== null && va !== vb) return sign * (va - vb);
      if ((va === null) !== (vb === null)) return va === null ? 1 : -1;
    }
    return (trialOf(a) ?? Infinity) - (trialOf(b) ?? Infinity) || a.info.start_time - b.info.start_time;
  });
}

export { metricOf as sweepMetricOf };
