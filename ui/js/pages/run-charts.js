// The run page's metrics as MLflow's model-metrics tab shows them: one chart per metric in a
// grid, each with its own y axis and its own log-scale and smoothing controls; a metric logged
// once is a value, not a dot on an axis. While the run is RUNNING the grid refreshes itself.
import { get } from '../api.js';
import { lineChart, loadHistory, xModeToggle } from '../chart.js';
import { fmtNum, h, muted, section } from '../dom.js';

// Past this many charts the rest wait behind a button: each chart is a canvas and a history fetch.
const FIRST_CHARTS = 24;
const REFRESH_MS = 5000;
// Histories fetched at once: a run with 200 metrics must not open 200 requests together.
const PARALLEL = 6;

async function mapLimit(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/** uPlot listens on the window (resize, scroll): charts replaced on a refresh are destroyed, not just dropped. */
function destroyCharts(el) {
  for (const box of el.querySelectorAll('.chart')) box.chart?.destroy();
}

/** What the loaded histories hold: keys, point counts and last steps. */
const signature = (histories) =>
  [...histories].map(([k, pts]) => `${k}:${pts.length}:${pts[pts.length - 1]?.step}:${pts[pts.length - 1]?.timestamp}`).join('|');

/** The width of one chart cell: two per row on a wide screen, one on a narrow one. */
function cellWidth() {
  const w = (document.getElementById('app')?.clientWidth ?? 900) - 48;
  return w >= 900 ? Math.floor((w - 16) / 2) - 26 : w - 26;
}

/**
 * The "Metrics" section: the grid of charts, the values of single-point metrics and the x-axis
 * switch (query x=step|time|relative, kept in the URL). runInfo.status RUNNING starts a refresh
 * every 5 s that stops once the run ends or the page is left. bestOf names the metric a sweep's
 * parent copied from its best trial, labelled so rather than shown as the parent's own.
 */
export function metricsSection(runId, status, metrics, query, { bestOf = null } = {}) {
  // A running run without metrics yet still gets the grid: its first points appear on a refresh.
  if (!metrics.length && status !== 'RUNNING') return section('Metrics', muted('No metrics.'));
  let xMode = ['time', 'relative'].includes(query.get('x')) ? query.get('x') : 'step';
  // Per metric: log scale and smoothing, kept while the page lives (refreshes keep them).
  const settings = new Map();
  let histories = new Map();
  let showAll = false;
  const grid = h('div', { class: 'chart-grid', id: 'run-chart' });
  const values = h('div', { class: 'single-values', id: 'single-values' });
  const live = h('span', { class: 'live muted', id: 'live' });

  const chartCell = (key, points) => {
    const s = settings.get(key) ?? { log: false, smoothing: 0 };
    settings.set(key, s);
    const area = h('div', { class: 'chart-holder' });
    const draw = () => {
      const chart = lineChart([{ label: key, points }], { xMode, width: cellWidth(), height: 220, log: s.log, smoothing: s.smoothing, legend: false });
      const dropped = Number(chart.dataset.dropped ?? 0);
      // A log axis cannot show zero or negative values: say how many were left out rather than hide it.
      destroyCharts(area);
      area.replaceChildren(chart);
      if (dropped) area.append(h('p', { class: 'muted small-note' }, `${dropped} value${dropped === 1 ? '' : 's'} ≤ 0 not drawn on the log scale.`));
    };
    const logBox = h('input', { type: 'checkbox', class: 'log-toggle', checked: s.log, onchange: (e) => ((s.log = e.target.checked), draw()) });
    const smoothing = h('input', {
      type: 'range',
      class: 'smoothing',
      min: 0,
      max: 0.99,
      step: 0.01,
      value: s.smoothing,
      title: 'Smoothing (exponential moving average)',
      oninput: (e) => {
        s.smoothing = Number(e.target.value);
        shown.textContent = s.smoothing.toFixed(2);
      },
      onchange: draw,
    });
    const shown = h('span', { class: 'muted smoothing-value' }, s.smoothing.toFixed(2));
    const last = points[points.length - 1];
    draw();
    return h(
      'div',
      { class: 'metric-chart card', dataset: { metric: key } },
      h(
        'div',
        { class: 'chart-head' },
        h('strong', { class: 'metric-name', title: key }, key),
        h('span', { class: 'muted' }, ` ${fmtNum(last?.value)} @ step ${last?.step ?? 0}`),
        h('span', { class: 'spacer' }),
        h('label', { class: 'small' }, logBox, ' log'),
        h('label', { class: 'small' }, ' smooth ', smoothing, shown),
      ),
      area,
    );
  };

  const render = () => {
    destroyCharts(grid);
    const keys = [...histories.keys()].sort((a, b) => a.localeCompare(b));
    const series = keys.filter((k) => histories.get(k).length > 1);
    const single = keys.filter((k) => histories.get(k).length <= 1);
    const shownKeys = showAll ? series : series.slice(0, FIRST_CHARTS);
    const cells = shownKeys.map((k) => chartCell(k, histories.get(k)));
    if (series.length > shownKeys.length)
      cells.push(
        h('button', { type: 'button', id: 'more-charts', onclick: () => ((showAll = true), render()) }, `Show ${series.length - shownKeys.length} more charts`),
      );
    grid.replaceChildren(...cells);
    if (!keys.length) grid.replaceChildren(muted('No metrics yet.'));
    else if (!series.length) grid.replaceChildren(muted('Every metric of this run has one value: see them above.'));
    values.replaceChildren(
      ...single.map((k) => {
        const p = histories.get(k)[0];
        return h(
          'div',
          { class: 'value-tile', dataset: { metric: k } },
          h('div', { class: 'muted tile-key', title: k }, k === bestOf ? `${k} · best trial` : k),
          h('div', { class: 'tile-value num' }, fmtNum(p?.value)),
        );
      }),
    );
    values.hidden = single.length === 0;
  };

  const load = async (keys) => {
    const loaded = await mapLimit(keys, PARALLEL, async (k) => [k, await loadHistory(runId, k)]);
    histories = new Map(loaded);
  };

  grid.replaceChildren(muted('Loading…'));
  load(metrics.map((m) => m.key))
    .then(render)
    .catch((err) => grid.replaceChildren(h('p', { class: 'error' }, err.message)));

  if (status === 'RUNNING') {
    live.textContent = '● live: refreshing every 5 s';
    const page = `#/runs/${encodeURIComponent(runId)}`;
    let seen = false;
    const timer = setInterval(async () => {
      // The page was left (another route, or this one rendered again): stop asking.
      seen ||= grid.isConnected;
      if ((seen && !grid.isConnected) || !(location.hash === page || location.hash.startsWith(`${page}?`))) return clearInterval(timer);
      try {
        const { run } = await get('runs/get', { run_id: runId });
        const before = signature(histories);
        await load((run.data.metrics ?? []).map((m) => m.key));
        // Redrawn only when something new was logged: the charts keep their zoom and cursor otherwise.
        if (signature(histories) !== before) render();
        if (run.info.status !== 'RUNNING') {
          clearInterval(timer);
          live.textContent = `run ${run.info.status.toLowerCase()}: refresh stopped`;
          const badge = document.getElementById('run-status');
          if (badge) {
            badge.textContent = run.info.status;
            badge.className = `status ${run.info.status.toLowerCase()}`;
          }
        }
      } catch (err) {
        live.textContent = `refresh failed: ${err.message}`;
      }
    }, REFRESH_MS);
  }

  const setX = (m) => {
    xMode = m;
    const here = `#/runs/${encodeURIComponent(runId)}`;
    if (location.hash === here || location.hash.startsWith(`${here}?`)) history.replaceState(null, '', m === 'step' ? here : `${here}?x=${m}`);
    render();
  };
  return section('Metrics', values, h('div', { class: 'toolbar chart-controls' }, live, h('span', { class: 'spacer' }), xModeToggle(xMode, setX)), grid);
}
