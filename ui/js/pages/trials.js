// A parent run's trials (its child runs, as `mlx sweep` makes them) as a leaderboard: best first
// by the sweep's metric, each trial a link, the best marked, early-stopped trials as such.
import { getAll } from '../api.js';
import { fmtDuration, fmtNum, h, kv, muted, runLink, section, table } from '../dom.js';
import { isEarlyStopped, PARENT_TAG, rankTrials, statusBadge, sweepGoal, sweepMetricOf, trialOf } from '../sweep-info.js';

// A sweep of more trials than this shows the best ones; the runs table lists them all.
const MAX_TRIALS = 5000;

/** The child runs of a parent, in its experiment (runs/search on the parent tag). */
export function loadChildren(parentId, experimentId) {
  return getAll(
    'runs/search',
    {
      experiment_ids: experimentId,
      filter: `tags.${PARENT_TAG} = '${parentId.replace(/'/g, "''")}'`,
      max_results: 1000,
      order_by: 'attributes.start_time ASC',
    },
    'runs',
    MAX_TRIALS,
  );
}

/** The leaderboard section, or null when the run has no children. */
export function trialsSection(parent, children, bestRunId) {
  if (!children.length) return null;
  const { metric, goal } = sweepGoal(parent);
  const ranked = rankTrials(children, metric, goal);
  // The params that vary between trials: the ones the sweep searched.
  const params = ranked.map((r) => kv(r.data.params));
  const keys = [...new Set(params.flatMap((p) => Object.keys(p)))].filter((k) => new Set(params.map((p) => p[k])).size > 1).sort();
  const best = bestRunId ?? (metric && sweepMetricOf(ranked[0], metric) !== null ? ranked[0].info.run_id : null);
  const early = ranked.filter(isEarlyStopped).length;
  const rows = ranked.map((r, i) => {
    const isBest = r.info.run_id === best;
    const value = metric ? sweepMetricOf(r, metric) : null;
    return h(
      'tr',
      { class: `${isBest ? 'best' : ''} ${isEarlyStopped(r) ? 'early' : ''}`, dataset: { run: r.info.run_id } },
      h('td', { class: 'num' }, String(i + 1)),
      h('td', { class: 'num' }, trialOf(r) ?? ''),
      h('td', null, runLink(r.info.run_id, r.info.run_name || r.info.run_id.slice(0, 8)), isBest ? h('span', { class: 'chip best-chip' }, 'best') : null),
      h('td', null, statusBadge(r)),
      metric ? h('td', { class: 'num metric' }, value === null ? '' : fmtNum(value)) : null,
      keys.map((k) => h('td', { class: 'param' }, params[i][k] ?? '')),
      h('td', { class: 'nowrap' }, r.info.end_time ? fmtDuration(r.info.end_time - r.info.start_time) : ''),
    );
  });
  const head = ['#', 'Trial', 'Run', 'Status', ...(metric ? [`${metric} (${goal})`] : []), ...keys, 'Duration'];
  const summary = [
    `${children.length} trial${children.length === 1 ? '' : 's'}`,
    metric ? `sorted by ${metric}, ${goal === 'min' ? 'lowest' : 'highest'} first` : 'in trial order',
    early ? `${early} stopped early` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  return section(
    `Trials (${children.length})`,
    h('p', { class: 'muted', id: 'trials-summary' }, summary),
    h('div', { class: 'scroll' }, table(head, rows, { id: 'trials', class: 'grid trials' })),
    metric
      ? h('p', { class: 'muted' }, 'Compare all: ', h('a', { href: compareHref(ranked, metric) }, `open the ${Math.min(ranked.length, 100)} best in Compare`))
      : null,
    children.length >= MAX_TRIALS ? muted(`Showing the first ${MAX_TRIALS} trials.`) : null,
  );
}

const compareHref = (ranked, metric) =>
  `#/compare?runs=${ranked
    .slice(0, 100)
    .map((r) => encodeURIComponent(r.info.run_id))
    .join(',')}&sort=${encodeURIComponent(metric)}`;
