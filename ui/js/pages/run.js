// #/runs/:id?x=step|time|relative: a run's info, description, artifacts, trials (for a sweep's
// parent), metric charts, params, tags, datasets and registered versions; name, description and
// tags can be edited and the run deleted, all through the REST API the CLI's clients use.
import { ApiError, get, post } from '../api.js';
import { add, fmtDuration, fmtNum, fmtTime, h, kv, kvTable, muted, runLink, section, table } from '../dom.js';
import { attempt, confirmButton, descriptionEditor, renameHeading, tagsEditor } from '../edit.js';
import { rerender } from '../links.js';
import { BEST_RUN_TAG, statusBadge, trialOf } from '../sweep-info.js';
import { artifactsSection } from './artifacts.js';
import { metricsSection } from './run-charts.js';
import { loadChildren, trialsSection } from './trials.js';

const NOTE = 'mlflow.note.content';
const SWEEP_SIZE_TAG = 'mlx.sweep.size';

export async function renderRun(el, [runId], query) {
  const { run } = await get('runs/get', { run_id: runId });
  const info = run.info;
  const tags = kv(run.data.tags);
  const [exp, versions, children] = await Promise.all([
    get('experiments/get', { experiment_id: info.experiment_id })
      .then((r) => r.experiment)
      .catch(() => null),
    get('model-versions/search', { filter: `run_id = '${info.run_id}'` })
      .then((r) => r.model_versions ?? [])
      .catch(() => []),
    loadChildren(info.run_id, info.experiment_id).catch(() => []),
  ]);
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const params = [...(run.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  // mlflow.* and mlx.* tags are what the tools recorded (source, command, sweep settings): shown, not edited.
  const system = (t) => t.key.startsWith('mlflow.') || t.key.startsWith('mlx.') || t.key === BEST_RUN_TAG;
  const userTags = (run.data.tags ?? []).filter((t) => !system(t));
  const sysTags = (run.data.tags ?? []).filter(system).sort((a, b) => a.key.localeCompare(b.key));
  const id = info.run_id;
  const expHref = `#/experiments/${encodeURIComponent(info.experiment_id)}`;
  const trial = trialOf(run);

  add(
    el,
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '#/experiments' }, 'Experiments'),
      ' / ',
      h('a', { href: expHref }, exp?.name ?? `experiment ${info.experiment_id}`),
      ' / ',
    ),
    h(
      'div',
      { class: 'title-row' },
      renameHeading({ name: info.run_name, placeholder: info.run_id, id: 'run-name', rename: (name) => post('runs/update', { run_id: id, run_name: name }) }),
      h('span', { class: 'spacer' }),
      info.lifecycle_stage === 'deleted'
        ? restoreButton(id)
        : confirmButton({
            label: 'Delete run',
            question: 'Delete this run? (mlx runs restore brings it back)',
            confirmLabel: 'Delete',
            id: 'delete-run',
            act: async () => {
              await post('runs/delete', { run_id: id });
              location.hash = expHref;
            },
          }),
    ),
    kvTable(
      [
        ['Run ID', h('code', null, info.run_id)],
        ['Status', statusBadge(run, 'run-status')],
        ['Started', fmtTime(info.start_time)],
        ['Ended', fmtTime(info.end_time)],
        ['Duration', info.end_time ? fmtDuration(info.end_time - info.start_time) : ''],
        ['User', info.user_id ?? ''],
        tags['mlflow.parentRunId'] ? ['Parent run', [runLink(tags['mlflow.parentRunId']), trial !== null ? muted(` (trial ${trial})`) : null]] : null,
        tags[BEST_RUN_TAG]
          ? ['Best run', h('span', { id: 'best-run' }, runLink(tags[BEST_RUN_TAG], bestName(children, tags[BEST_RUN_TAG])), bestValue(children, tags))]
          : null,
        tags['mlflow.source.name'] ? ['Source', tags['mlflow.source.name']] : null,
        tags['mlflow.source.git.commit'] ? ['Git commit', h('code', null, tags['mlflow.source.git.commit'])] : null,
        info.lifecycle_stage === 'deleted' ? ['Lifecycle', 'deleted'] : null,
        ['Artifact URI', h('code', null, info.artifact_uri ?? '')],
      ].filter(Boolean),
    ),
    section(
      'Description',
      descriptionEditor({
        text: tags[NOTE] ?? '',
        id: 'run-description',
        save: (text) => (text ? post('runs/set-tag', { run_id: id, key: NOTE, value: text }) : deleteTagIfAny(id, NOTE)),
      }),
    ),
    artifactsSection(info),
    liveTrials(run, children, tags),
    metricsSection(info.run_id, info.status, metrics, query, { bestOf: tags[BEST_RUN_TAG] ? (tags['mlx.sweep.metric'] ?? null) : null }),
    section(
      'Parameters',
      params.length
        ? table(
            ['Name', 'Value'],
            params.map((p) => [p.key, h('span', { class: 'value' }, p.value)]),
            { id: 'params' },
          )
        : muted('No parameters.'),
    ),
    metrics.length
      ? h(
          'details',
          { class: 'card' },
          h('summary', null, `Latest metric values (${metrics.length})`),
          table(
            ['Name', 'Latest value', 'Step', 'Time'],
            metrics.map((m) => [m.key, h('span', { class: 'num' }, fmtNum(m.value)), String(m.step ?? 0), fmtTime(m.timestamp)]),
            { id: 'metrics' },
          ),
        )
      : null,
    section(
      'Tags',
      tagsEditor({
        tags: userTags,
        id: 'run-tags',
        setTag: (key, value) => post('runs/set-tag', { run_id: id, key, value }),
        deleteTag: (key) => post('runs/delete-tag', { run_id: id, key }),
      }),
      sysTags.length
        ? h(
            'details',
            null,
            h('summary', null, `System tags (${sysTags.length}: recorded by mlx and MLflow)`),
            table(
              ['Name', 'Value'],
              sysTags.map((t) => [t.key, t.value]),
            ),
          )
        : null,
    ),
    datasetsSection(run.inputs?.dataset_inputs ?? []),
    versions.length
      ? section(
          'Registered models',
          table(
            ['Model', 'Version', 'Source'],
            versions.map((v) => [
              h('a', { href: `#/models/${encodeURIComponent(v.name)}` }, v.name),
              h('a', { href: `#/models/${encodeURIComponent(v.name)}/versions/${encodeURIComponent(v.version)}` }, `v${v.version}`),
              v.source ?? '',
            ]),
          ),
        )
      : null,
  );
}

const TRIALS_REFRESH_MS = 5000;

/**
 * The trials leaderboard; while a sweep's parent is RUNNING it is read again every 5 s, so trials
 * appear and move as they finish (it stops when the sweep ends or the page is left).
 */
function liveTrials(run, children, tags) {
  const holder = h('div', { id: 'trials-holder' });
  const show = (kids, best) => holder.replaceChildren(trialsSection(run, kids, best) ?? '');
  show(children, tags[BEST_RUN_TAG]);
  if (run.info.status !== 'RUNNING' || !(SWEEP_SIZE_TAG in tags || children.length)) return holder;
  const page = location.hash.split('?')[0];
  let seen = false;
  const timer = setInterval(async () => {
    seen ||= holder.isConnected;
    if ((seen && !holder.isConnected) || location.hash.split('?')[0] !== page) return clearInterval(timer);
    try {
      const [{ run: now }, kids] = await Promise.all([get('runs/get', { run_id: run.info.run_id }), loadChildren(run.info.run_id, run.info.experiment_id)]);
      show(kids, kv(now.data.tags)[BEST_RUN_TAG]);
      if (now.info.status !== 'RUNNING') clearInterval(timer);
    } catch {
      // The next tick tries again; the leaderboard shown stays.
    }
  }, TRIALS_REFRESH_MS);
  return holder;
}

/** "Restore run" on a deleted run's page (runs/restore), then the page again. */
function restoreButton(id) {
  const err = h('span', { class: 'error inline', role: 'alert' });
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'small',
      id: 'restore-run',
      onclick: async () => (await attempt(btn, err, () => post('runs/restore', { run_id: id }))) && rerender(),
    },
    'Restore run',
  );
  return h('span', null, btn, err);
}

/** Clearing a description: the tag goes; a run that never had one is not an error. */
async function deleteTagIfAny(runId, key) {
  try {
    await post('runs/delete-tag', { run_id: runId, key });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
}

/** The best trial's name (its id when it is not among the trials loaded). */
function bestName(children, id) {
  const r = children.find((c) => c.info.run_id === id);
  return r?.info.run_name || id;
}

/** " (metric 0.93)" after the best run's link, from the trials when they are loaded. */
function bestValue(children, tags) {
  const metric = tags['mlx.sweep.metric'];
  const best = children.find((c) => c.info.run_id === tags[BEST_RUN_TAG]);
  const m = best && metric ? (best.data.metrics ?? []).find((x) => x.key === metric) : null;
  return m ? muted(` (${metric} ${fmtNum(m.value)})`) : null;
}

function datasetsSection(inputs) {
  if (!inputs.length) return null;
  return section(
    'Datasets',
    table(
      ['Name', 'Digest', 'Context', 'Source', 'Source type'],
      inputs.map((d) => [
        d.dataset?.name ?? '',
        h('code', null, d.dataset?.digest ?? ''),
        kv(d.tags)['mlflow.data.context'] ?? '',
        d.dataset?.source ?? '',
        d.dataset?.source_type ?? '',
      ]),
      { id: 'datasets' },
    ),
  );
}
