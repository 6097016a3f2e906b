// #/runs/:id?metrics=a,b&x=step|time: a run's info, params, metrics (latest values and a chart
// of their histories), tags, datasets, registered versions and artifacts.
import { get } from '../api.js';
import { chartWidth, lineChart, loadHistory, xModeToggle } from '../chart.js';
import { add, fmtDuration, fmtNum, fmtTime, h, kv, kvTable, muted, runLink, section, table } from '../dom.js';
import { artifactsSection } from './artifacts.js';

export async function renderRun(el, [runId], query) {
  const { run } = await get('runs/get', { run_id: runId });
  const info = run.info;
  const tags = kv(run.data.tags);
  const [exp, versions] = await Promise.all([
    get('experiments/get', { experiment_id: info.experiment_id })
      .then((r) => r.experiment)
      .catch(() => null),
    get('model-versions/search', { filter: `run_id = '${info.run_id}'` })
      .then((r) => r.model_versions ?? [])
      .catch(() => []),
  ]);
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const params = [...(run.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const userTags = (run.data.tags ?? []).filter((t) => !t.key.startsWith('mlflow.')).sort((a, b) => a.key.localeCompare(b.key));
  const sysTags = (run.data.tags ?? []).filter((t) => t.key.startsWith('mlflow.')).sort((a, b) => a.key.localeCompare(b.key));

  add(
    el,
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '#/experiments' }, 'Experiments'),
      ' / ',
      h('a', { href: `#/experiments/${encodeURIComponent(info.experiment_id)}` }, exp?.name ?? `experiment ${info.experiment_id}`),
      ' / ',
    ),
    h('h1', { id: 'run-name' }, info.run_name || info.run_id),
    kvTable(
      [
        ['Run ID', h('code', null, info.run_id)],
        ['Status', h('span', { class: `status ${String(info.status).toLowerCase()}` }, info.status)],
        ['Started', fmtTime(info.start_time)],
        ['Ended', fmtTime(info.end_time)],
        ['Duration', info.end_time ? fmtDuration(info.end_time - info.start_time) : ''],
        ['User', info.user_id ?? ''],
        tags['mlflow.parentRunId'] ? ['Parent run', runLink(tags['mlflow.parentRunId'])] : null,
        tags['mlflow.source.name'] ? ['Source', tags['mlflow.source.name']] : null,
        tags['mlflow.source.git.commit'] ? ['Git commit', h('code', null, tags['mlflow.source.git.commit'])] : null,
        info.lifecycle_stage === 'deleted' ? ['Lifecycle', 'deleted'] : null,
        ['Artifact URI', h('code', null, info.artifact_uri ?? '')],
      ].filter(Boolean),
    ),
    chartSection(info.run_id, metrics, query),
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
    section(
      'Metrics',
      metrics.length
        ? table(
            ['Name', 'Latest value', 'Step', 'Time'],
            metrics.map((m) => [m.key, h('span', { class: 'num' }, fmtNum(m.value)), String(m.step ?? 0), fmtTime(m.timestamp)]),
            { id: 'metrics' },
          )
        : muted('No metrics.'),
    ),
    section(
      'Tags',
      userTags.length
        ? table(
            ['Name', 'Value'],
            userTags.map((t) => [t.key, t.value]),
            { id: 'tags' },
          )
        : muted('No tags.'),
      sysTags.length
        ? h(
            'details',
            null,
            h('summary', null, `System tags (${sysTags.length})`),
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
    artifactsSection(info),
  );
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

/** Checkboxes of the run's metrics, the step/time switch and the chart of the checked ones. */
function chartSection(runId, metrics, query) {
  if (!metrics.length) return null;
  const keys = metrics.map((m) => m.key);
  const asked = (query.get('metrics') ?? '').split(',').filter((k) => keys.includes(k));
  const chosen = new Set(asked.length ? asked : [keys[0]]);
  let xMode = ['time', 'relative'].includes(query.get('x')) ? query.get('x') : 'step';
  const area = h('div', { class: 'chart-area', id: 'run-chart' });
  const cache = new Map();

  const redraw = async () => {
    const q = new URLSearchParams({ metrics: [...chosen].join(',') });
    if (xMode !== 'step') q.set('x', xMode);
    // Keep the choice in the URL (for reloads and links) without re-rendering the page,
    // unless the user has already moved on to another page.
    const here = `#/runs/${encodeURIComponent(runId)}`;
    if (location.hash === here || location.hash.startsWith(`${here}?`)) history.replaceState(null, '', `${here}?${q}`);
    area.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const series = await Promise.all(
        [...chosen].map(async (key) => {
          if (!cache.has(key)) cache.set(key, loadHistory(runId, key));
          return { label: key, points: await cache.get(key) };
        }),
      );
      area.replaceChildren(series.length ? lineChart(series, { xMode, width: chartWidth() }) : h('p', { class: 'muted' }, 'Pick a metric to chart.'));
    } catch (err) {
      cache.clear();
      area.replaceChildren(h('p', { class: 'error' }, err.message));
    }
  };
  const picks = keys.map((key) =>
    h(
      'label',
      { class: 'pick' },
      h('input', {
        type: 'checkbox',
        value: key,
        checked: chosen.has(key),
        onchange: (e) => {
          if (e.target.checked) chosen.add(key);
          else chosen.delete(key);
          redraw();
        },
      }),
      ` ${key}`,
    ),
  );
  redraw();
  return section(
    'Charts',
    h(
      'div',
      { class: 'toolbar chart-controls' },
      h('span', { class: 'picks' }, picks),
      h('span', { class: 'spacer' }),
      xModeToggle(xMode, (m) => ((xMode = m), redraw())),
    ),
    area,
  );
}
