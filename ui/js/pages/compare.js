// #/compare?runs=a,b,c&sort=metric&dir=asc|desc&metric=k&x=step|time: runs side by side
// (differing values highlighted), sorted by a chosen metric; one metric's histories overlaid;
// a scatter of a param or metric against a metric; parallel coordinates of the params that
// differ and the metric. Readable for a sweep's 48 trials: short ids, names cut with the full
// one as a tooltip, the first column fixed while scrolling, one distinct colour per run.
import { ApiError, get } from '../api.js';
import { chartWidth, colorOf, lineChart, loadHistory, xModeToggle } from '../chart.js';
import { add, errorLine, fmtDuration, fmtNum, fmtTime, h, kv, muted, section } from '../dom.js';
import { parallelCoordinates, ramp, scatterPlot } from '../plots.js';
import { statusBadge } from '../sweep-info.js';

const LOWER_IS_BETTER = /loss|error|err$|mse|mae|rmse|perplexity|latency|time/i;
const MAX_AXES = 12;

const short = (id) => id.slice(0, 8);
const cut = (text, n = 18) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export async function renderCompare(el, _args, query) {
  const ids = [
    ...new Set(
      (query.get('runs') ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
  add(el, h('p', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / '), h('h1', null, `Compare ${ids.length} runs`));
  if (ids.length < 2) {
    add(el, errorLine('Pick at least two runs in a runs table, then press Compare.'));
    return;
  }
  // A run that cannot be read (a mistyped or removed id in the link) is named, and the rest compared.
  const settled = await Promise.allSettled(ids.map((id) => get('runs/get', { run_id: id }).then((r) => r.run)));
  const refused = settled.flatMap((r, i) => (r.status === 'rejected' ? [[ids[i], r.reason]] : []));
  if (refused.some(([, err]) => err instanceof ApiError && err.status === 401)) throw refused.find(([, err]) => err.status === 401)[1];
  const loaded = settled.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  for (const [id, err] of refused) add(el, errorLine(`Run ${JSON.stringify(id)} left out: ${String(err.message ?? err).split('\n')[0]}`));
  if (loaded.length < 2) {
    add(el, errorLine('Fewer than two runs to compare: pick runs again in a runs table.'));
    return;
  }
  const expIds = [...new Set(loaded.map((r) => r.info.experiment_id))];
  const expNames = new Map(
    await Promise.all(
      expIds.map((id) =>
        get('experiments/get', { experiment_id: id })
          .then((r) => [id, r.experiment.name])
          .catch(() => [id, id]),
      ),
    ),
  );
  const metricKeys = [...new Set(loaded.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const paramKeys = [...new Set(loaded.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const sortKey = metricKeys.includes(query.get('sort')) ? query.get('sort') : '';
  const dir = ['asc', 'desc'].includes(query.get('dir')) ? query.get('dir') : LOWER_IS_BETTER.test(sortKey) ? 'asc' : 'desc';
  const latest = (r, k) => (r.data.metrics ?? []).find((m) => m.key === k)?.value;
  const runs = sortKey ? sortRuns(loaded, (r) => latest(r, sortKey), dir) : loaded;
  const label = (r) => r.info.run_name || short(r.info.run_id);
  const color = new Map(runs.map((r, i) => [r.info.run_id, colorOf(i)]));
  const params = runs.map((r) => kv(r.data.params));
  const metrics = runs.map((r) => Object.fromEntries((r.data.metrics ?? []).map((m) => [m.key, m.value])));
  const go = (changes) => {
    const q = new URLSearchParams(query);
    for (const [k, v] of Object.entries(changes)) {
      if (v) q.set(k, v);
      else q.delete(k);
    }
    location.hash = `#/compare?${q}`.replace(/%2C/g, ',');
  };

  const row = (name, values, cls, best) => {
    const text = (v) => (v instanceof Node ? v.textContent : (v ?? ''));
    const differ = new Set(values.map(text)).size > 1;
    return h(
      'tr',
      { class: `${cls ?? ''} ${differ ? 'diff' : 'same'}`, dataset: { key: name } },
      h('th', { title: name }, cut(name, 28)),
      values.map((v, i) =>
        h('td', { class: `${cls === 'metric' ? 'num' : ''} ${best === i ? 'best' : ''}`, title: v instanceof Node ? null : String(v ?? '') }, v ?? ''),
      ),
    );
  };
  const group = (title) => h('tr', { class: 'group-row' }, h('th', { colspan: runs.length + 1 }, title));
  // The best value of the sorted-by metric in bold: the highest, or the lowest for a loss or an error.
  const bestIndex = sortKey
    ? bestOf(
        runs.map((r) => latest(r, sortKey)),
        LOWER_IS_BETTER.test(sortKey),
      )
    : -1;
  const tbl = h(
    'table',
    { class: `grid compare ${runs.length > 8 ? 'wide' : ''}`, id: 'compare-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'Run'),
        runs.map((r) =>
          h(
            'th',
            { class: 'run-head', title: `${label(r)}\n${r.info.run_id}` },
            h('span', { class: 'swatch', dataset: { color: color.get(r.info.run_id) } }),
            h('a', { href: `#/runs/${encodeURIComponent(r.info.run_id)}` }, cut(label(r))),
          ),
        ),
      ),
    ),
    h(
      'tbody',
      null,
      row(
        'Run ID',
        runs.map((r) => h('code', { title: r.info.run_id }, short(r.info.run_id))),
        'attr',
      ),
      row(
        'Experiment',
        runs.map((r) => expNames.get(r.info.experiment_id) ?? r.info.experiment_id),
        'attr',
      ),
      row(
        'Status',
        runs.map((r) => statusBadge(r)),
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
      group('Metrics (latest)'),
      metricKeys.map((k) =>
        row(
          k,
          metrics.map((m) => (k in m ? fmtNum(m[k]) : undefined)),
          'metric',
          k === sortKey ? bestIndex : -1,
        ),
      ),
      group('Parameters'),
      paramKeys.map((k) =>
        row(
          k,
          params.map((p) => p[k]),
          'param',
        ),
      ),
    ),
  );
  // Colours by DOM, not a style attribute: the page's CSP allows no inline styles.
  for (const sw of tbl.querySelectorAll('.swatch')) sw.style.background = sw.dataset.color;
  const onlyDiff = h('input', { type: 'checkbox', id: 'only-diff', onchange: (e) => tbl.classList.toggle('only-diff', e.target.checked) });
  const sortSelect = h(
    'select',
    { id: 'compare-sort', onchange: (e) => go({ sort: e.target.value, dir: '' }) },
    h('option', { value: '', selected: !sortKey }, 'as picked'),
    metricKeys.map((k) => h('option', { value: k, selected: k === sortKey }, k)),
  );
  const dirSelect = sortKey
    ? h(
        'select',
        { id: 'compare-dir', onchange: (e) => go({ dir: e.target.value }) },
        h('option', { value: 'desc', selected: dir === 'desc' }, 'highest first'),
        h('option', { value: 'asc', selected: dir === 'asc' }, 'lowest first'),
      )
    : null;

  add(
    el,
    section(
      'Side by side',
      h(
        'p',
        { class: 'toolbar' },
        h('label', null, 'Sort runs by ', sortSelect),
        dirSelect,
        h('label', null, onlyDiff, ' Only rows that differ'),
        h('span', { class: 'legend diff' }, 'differs'),
      ),
      h('div', { class: 'scroll compare-scroll' }, tbl),
    ),
    chartSection(runs, label, metricKeys, query, color),
    plotsSection(runs, label, params, metrics, paramKeys, metricKeys, sortKey, color),
  );
}

/** The index of the best finite number (lowest when lowerBetter), or -1. */
function bestOf(values, lowerBetter) {
  let best = -1;
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    if (best < 0 || (lowerBetter ? v < values[best] : v > values[best])) best = i;
  });
  return best;
}

/** Runs by a value, in dir order; runs without it last, in their given order. */
function sortRuns(runs, value, dir) {
  const sign = dir === 'asc' ? 1 : -1;
  return runs
    .map((r, i) => [r, i])
    .sort(([a, i], [b, j]) => {
      const va = value(a);
      const vb = value(b);
      const na = typeof va === 'number' && Number.isFinite(va);
      const nb = typeof vb === 'number' && Number.isFinite(vb);
      if (na && nb && va !== vb) return sign * (va - vb);
      if (na !== nb) return na ? -1 : 1;
      return i - j;
    })
    .map(([r]) => r);
}

function chartSection(runs, label, keys, query, color) {
  if (!keys.length) return section('Chart', muted('These runs have no metrics.'));
  let metric = keys.includes(query.get('metric')) ? query.get('metric') : keys.includes(query.get('sort')) ? query.get('sort') : keys[0];
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
      // A run without this metric draws no line but keeps its place (and colour) in the legend.
      const series = await Promise.all(
        runs.map(async (r) => ({
          label: `${label(r)} · ${short(r.info.run_id)}`,
          color: color.get(r.info.run_id),
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

/** The scatter and the parallel coordinates, redrawn when their choices change. */
function plotsSection(runs, label, params, metrics, paramKeys, metricKeys, sortKey, color) {
  if (!metricKeys.length) return null;
  const value = (i, key) => (key.startsWith('m:') ? metrics[i][key.slice(2)] : params[i][key.slice(2)]);
  const varying = paramKeys.filter((k) => new Set(params.map((p) => p[k])).size > 1);
  const choices = [...varying.map((k) => [`p:${k}`, `param ${k}`]), ...metricKeys.map((k) => [`m:${k}`, `metric ${k}`])];
  let x = choices[0][0];
  let y = `m:${sortKey || metricKeys[0]}`;
  const scatterArea = h('div', { class: 'plot-area', id: 'scatter-area' });
  const parallelArea = h('div', { class: 'plot-area', id: 'parallel-area' });
  const runColor = (i, key) => {
    // Coloured by the metric on the ramp when it is a metric; else each run's own colour.
    const vals = runs.map((_, j) => value(j, key)).filter((v) => typeof v === 'number' && Number.isFinite(v));
    const v = value(i, key);
    if (!key.startsWith('m:') || typeof v !== 'number' || vals.length < 2) return color.get(runs[i].info.run_id);
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const t = hi === lo ? 0.5 : (v - lo) / (hi - lo);
    // The strong colour goes to the better runs: low values when the metric is a loss or an error
    // (the table's sort order is the user's choice of reading order, not the metric's goal).
    const lowerBetter = LOWER_IS_BETTER.test(key.slice(2));
    return ramp(lowerBetter ? 1 - t : t);
  };
  const draw = () => {
    const points = runs.map((r, i) => ({
      x: value(i, x),
      y: value(i, y),
      label: label(r),
      run: r.info.run_id,
      href: `#/runs/${encodeURIComponent(r.info.run_id)}`,
      color: color.get(r.info.run_id),
    }));
    const svg = scatterPlot(points, { xLabel: x.slice(2), yLabel: y.slice(2), width: Math.min(900, chartWidth()), height: 360, id: 'scatter' });
    const missing = Number(svg.dataset.missing);
    scatterArea.replaceChildren(svg);
    if (missing) scatterArea.append(muted(`${missing} run${missing === 1 ? '' : 's'} without both values left out.`));
    const axes = [
      ...varying.slice(0, MAX_AXES).map((k) => ({ label: k, values: params.map((p) => p[k]) })),
      { label: y.slice(2), values: runs.map((_, i) => value(i, y)) },
    ];
    const lines = runs.map((r, i) => ({ label: label(r), run: r.info.run_id, href: `#/runs/${encodeURIComponent(r.info.run_id)}`, color: runColor(i, y) }));
    parallelArea.replaceChildren(
      varying.length
        ? parallelCoordinates(axes, lines, { width: chartWidth(), height: 380, id: 'parallel' })
        : muted('These runs share every param: parallel coordinates need params that differ.'),
    );
    if (varying.length > MAX_AXES) parallelArea.append(muted(`The first ${MAX_AXES} of ${varying.length} params that differ.`));
  };
  const pick = (id, current, options, set) =>
    h(
      'select',
      { id, onchange: (e) => (set(e.target.value), draw()) },
      options.map(([v, text]) => h('option', { value: v, selected: v === current }, text)),
    );
  draw();
  return section(
    'Params and metrics',
    h(
      'p',
      { class: 'toolbar' },
      h(
        'label',
        null,
        'x ',
        pick('scatter-x', x, choices, (v) => (x = v)),
      ),
      h(
        'label',
        null,
        'y (and colour of the lines) ',
        pick(
          'scatter-y',
          y,
          metricKeys.map((k) => [`m:${k}`, `metric ${k}`]),
          (v) => (y = v),
        ),
      ),
    ),
    h('h3', null, 'Scatter'),
    scatterArea,
    h('h3', null, 'Parallel coordinates'),
    parallelArea,
  );
}
