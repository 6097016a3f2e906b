// #/compare?runs=a,b,c&metric=k&x=step|time: chosen runs side by side (differing values
// highlighted) and one metric's histories of all of them overlaid on one chart.
import { get } from '../api.js';
import { chartWidth, lineChart, loadHistory, xModeToggle } from '../chart.js';
import { add, errorLine, fmtDuration, fmtNum, fmtTime, h, kv, muted, runLink, section } from '../dom.js';

export async function renderCompare(el, _args, query) {
  const ids = [
    ...new Set(
      (query.get('runs') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  add(el, h('p', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / '), h('h1', null, `Compare ${ids.length} runs`));
  if (ids.length < 2) {
    add(el, errorLine('Pick at least two runs in a runs table, then press Compare.'));
    return;
  }
  const runs = await Promise.all(ids.map((id) => get('runs/get', { run_id: id }).then((r) => r.run)));
  const label = (r) => r.info.run_name || r.info.run_id.slice(0, 8);
  const params = runs.map((r) => kv(r.data.params));
  const metrics = runs.map((r) => Object.fromEntries((r.data.metrics ?? []).map((m) => [m.key, fmtNum(m.value)])));
  const keysOf = (objs) => [...new Set(objs.flatMap((o) => Object.keys(o)))].sort();

  const row = (name, values, cls) => {
    const differ = new Set(values.map((v) => v ?? '')).size > 1;
    return h(
      'tr',
      { class: `${cls ?? ''} ${differ ? 'diff' : 'same'}`, dataset: { key: name } },
      h('th', null, name),
      values.map((v) => h('td', { class: cls === 'metric' ? 'num' : null }, v ?? '')),
    );
  };
  const group = (title) => h('tr', { class: 'group-row' }, h('th', { colspan: runs.length + 1 }, title));
  const tbl = h(
    'table',
    { class: 'grid compare', id: 'compare-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'Run'),
        runs.map((r) => h('th', null, runLink(r.info.run_id, label(r)))),
      ),
    ),
    h(
      'tbody',
      null,
      row(
        'Run ID',
        runs.map((r) => r.info.run_id),
        'attr',
      ),
      row(
        'Experiment',
        runs.map((r) => r.info.experiment_id),
        'attr',
      ),
      row(
        'Status',
        runs.map((r) => r.info.status),
        'attr',
      ),
      row(
        'Started',
        runs.map((r) => fmtTime(r.info.start_time)),
        'attr',
      ),
      row(
        'Duration',
        runs.map((r) => (r.info.end_time ? fmtDuration(r.info.end_time - r.info.start_time) : '')),
        'attr',
      ),
      group('Parameters'),
      keysOf(params).map((k) =>
        row(
          k,
          params.map((p) => p[k]),
          'param',
        ),
      ),
      group('Metrics (latest)'),
      keysOf(metrics).map((k) =>
        row(
          k,
          metrics.map((m) => m[k]),
          'metric',
        ),
      ),
    ),
  );
  const onlyDiff = h('input', { type: 'checkbox', id: 'only-diff', onchange: (e) => tbl.classList.toggle('only-diff', e.target.checked) });

  add(
    el,
    section(
      'Side by side',
      h('p', { class: 'toolbar' }, h('label', null, onlyDiff, ' Only rows that differ'), h('span', { class: 'legend diff' }, 'differs')),
      h('div', { class: 'scroll' }, tbl),
    ),
    chartSection(runs, label, keysOf(metrics), query),
  );
}

function chartSection(runs, label, keys, query) {
  if (!keys.length) return section('Chart', muted('These runs have no metrics.'));
  let metric = keys.includes(query.get('metric')) ? query.get('metric') : keys[0];
  let xMode = ['time', 'relative'].includes(query.get('x')) ? query.get('x') : 'step';
  const area = h('div', { class: 'chart-area', id: 'compare-chart' });
  const redraw = async () => {
    const q = new URLSearchParams(query);
    q.set('metric', metric);
    if (xMode !== 'step') q.set('x', xMode);
    else q.delete('x');
    if (location.hash.startsWith('#/compare?')) history.replaceState(null, '', `#/compare?${q}`.replace(/%2C/g, ','));
    area.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      // A run without this metric draws no line but keeps its place in the legend.
      const series = await Promise.all(
        runs.map(async (r) => ({
          label: label(r),
          points: (r.data.metrics ?? []).some((m) => m.key === metric) ? await loadHistory(r.info.run_id, metric) : [],
        })),
      );
      area.replaceChildren(lineChart(series, { xMode, width: chartWidth() }));
    } catch (err) {
      area.replaceChildren(h('p', { class: 'error' }, err.message));
    }
  };
  const select = h(
    'select',
    { id: 'compare-metric', onchange: (e) => ((metric = e.target.value), redraw()) },
    keys.map((k) => h('option', { value: k, selected: k === metric }, k)),
  );
  redraw();
  return section(
    'Chart',
    h(
      'div',
      { class: 'toolbar' },
      h('label', null, 'Metric ', select),
      h('span', { class: 'spacer' }),
      xModeToggle(xMode, (m) => ((xMode = m), redraw()), 'compare-x'),
    ),
    area,
  );
}
