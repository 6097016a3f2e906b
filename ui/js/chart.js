// Metric charts with uPlot (served from the package's node_modules, never a CDN): one or more
// metric histories, of one or several runs, overlaid on a shared x axis of steps or time.
import uPlot from '/ui/vendor/uplot.esm.js';
import { getAll } from './api.js';
import { h } from './dom.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** Every point of a run's metric, in step order (metrics/get-history, all pages). */
export async function loadHistory(runId, key) {
  const points = await getAll('metrics/get-history', { run_id: runId, metric_key: key, max_results: 25000 }, 'metrics', 1_000_000);
  return points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
}

const STEP_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2.5e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 1e8, 1e9];

const X_LABELS = { step: 'step', time: 'time', relative: 'seconds since start' };

const toNumber = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Aligns series on one x array as uPlot wants: x is the step, or the timestamp in seconds;
 * a series without a point at some x gets null there (lines span the gap).
 */
export function alignSeries(series, xMode) {
  // 'relative' is seconds since each series' first point, so runs started hours apart overlay.
  const xFn = (s) => {
    const t0 = Math.min(...s.points.map((p) => p.timestamp));
    if (xMode === 'time') return (p) => p.timestamp / 1000;
    if (xMode === 'relative') return (p) => (p.timestamp - t0) / 1000;
    return (p) => Number(p.step);
  };
  const xOfs = series.map(xFn);
  const xs = [...new Set(series.flatMap((s, i) => s.points.map(xOfs[i])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s, i) => {
    const col = new Array(xs.length).fill(null);
    for (const p of s.points) col[index.get(xOfs[i](p))] = toNumber(p.value);
    return col;
  });
  return [xs, ...ys];
}

/** A chart element; series = [{label, points: [{step, timestamp, value}]}]. */
export function lineChart(series, { xMode = 'step', width = 800, height = 320 } = {}) {
  const total = series.reduce((n, s) => n + s.points.length, 0);
  const box = h('div', { class: 'chart', dataset: { points: String(total), series: String(series.length), x: xMode } });
  if (total === 0) {
    box.append(h('p', { class: 'muted' }, 'No points to draw.'));
    return box;
  }
  const data = alignSeries(series, xMode);
  const few = data[0].length <= 60;
  const opts = {
    width: Math.max(320, Math.floor(width)),
    height,
    scales: { x: { time: xMode === 'time' } },
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    // Steps are whole numbers: no ticks at 0.5.
    axes: [xMode === 'step' ? { label: 'step', incrs: STEP_INCRS } : { label: X_LABELS[xMode] }, {}],
    series: [
      { label: X_LABELS[xMode] },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: 1.5,
        spanGaps: true,
        points: { show: few, size: 5 },
      })),
    ],
  };
  // uPlot measures its legend and axes, so it draws once the box is in the document.
  const draw = () => {
    if (!box.isConnected) return requestAnimationFrame(draw);
    box.chart = new uPlot(opts, data, box);
  };
  requestAnimationFrame(draw);
  return box;
}

/** The "x: step | time | relative time" switch; onChange gets 'step', 'time' or 'relative'. */
export function xModeToggle(current, onChange, name = 'xmode') {
  const opt = (value, label) =>
    h('label', { class: 'radio' }, h('input', { type: 'radio', name, value, checked: current === value, onchange: () => onChange(value) }), ` ${label}`);
  return h('span', { class: 'xmode' }, 'x: ', opt('step', 'step'), opt('time', 'time'), opt('relative', 'relative time'));
}

/** Width available to a chart inside the main column. */
export const chartWidth = () => Math.min(1100, (document.getElementById('app')?.clientWidth ?? 900) - 48);
