// Metric charts with uPlot (served from the package's node_modules, never a CDN): one or more
// metric histories, of one or several runs, overlaid on a shared x axis of steps or time.
import uPlot from '/ui/vendor/uplot.esm.js';
import { getAll } from './api.js';
import { h } from './dom.js';

// Tableau's 10 then 10 more of distinct hue and lightness; past 20 runs, colours come from the
// golden angle around the hue wheel, so 48 trials still get 48 tellable-apart lines.
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
  '#0b3d91',
  '#ff9896',
  '#98df8a',
  '#ffbb78',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#9edae5',
  '#393b79',
  '#637939',
];

/** The colour of the i-th series, distinct for any number of series. */
export function colorOf(i) {
  if (i < COLORS.length) return COLORS[i];
  const hue = Math.round((i * 137.508) % 360);
  return `hsl(${hue}, ${i % 2 ? 55 : 70}%, ${i % 3 ? 38 : 50}%)`;
}

/** The colour at a quarter opacity (for raw values under a smoothed line). */
export const faint = (c) => (c.startsWith('#') ? `${c}44` : c.replace(/^hsl\((.*)\)$/, 'hsla($1, 0.27)'));

/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled
 * towards zero); weight 0 returns the values as they are; nulls stay gaps.
 */
export function smooth(values, weight) {
  if (!(weight > 0)) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

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

/**
 * A chart element; series = [{label, points: [{step, timestamp, value}]}]. log draws the y axis
 * on a log scale (values <= 0 cannot be drawn there and are left out, data-dropped counts them);
 * smoothing (0..0.99) draws each series smoothed over its raw values, shown faint.
 */
export function lineChart(series, { xMode = 'step', width = 800, height = 320, log = false, smoothing = 0, legend = true } = {}) {
  const total = series.reduce((n, s) => n + s.points.length, 0);
  const box = h('div', { class: 'chart', dataset: { points: String(total), series: String(series.length), x: xMode, log: String(log) } });
  if (total === 0) {
    box.append(h('p', { class: 'muted' }, 'No points to draw.'));
    return box;
  }
  const aligned = alignSeries(series, xMode);
  let dropped = 0;
  const ys = aligned.slice(1).map((col) =>
    log
      ? col.map((v) => {
          if (v !== null && v <= 0) {
            dropped++;
            return null;
          }
          return v;
        })
      : col,
  );
  box.dataset.dropped = String(dropped);
  const smoothed = smoothing > 0;
  const data = [aligned[0], ...(smoothed ? ys.flatMap((col) => [col, smooth(col, smoothing)]) : ys)];
  const few = data[0].length <= 60;
  const lines = series.flatMap((s, i) => {
    const stroke = s.color ?? colorOf(i);
    const line = { label: s.label, stroke, width: 1.5, spanGaps: true, points: { show: few, size: 5 } };
    // Raw values stay visible but faint under the smoothed line, as in TensorBoard and MLflow.
    return smoothed
      ? [
          { ...line, label: `${s.label} (raw)`, stroke: faint(stroke), width: 1, points: { show: false } },
          { ...line, label: s.label },
        ]
      : [line];
  });
  const opts = {
    width: Math.max(240, Math.floor(width)),
    height,
    scales: { x: { time: xMode === 'time' }, y: log ? { distr: 3 } : {} },
    legend: { show: legend, live: true },
    cursor: { drag: { x: true, y: false } },
    // Steps are whole numbers: no ticks at 0.5.
    axes: [xMode === 'step' ? { label: 'step', incrs: STEP_INCRS } : { label: X_LABELS[xMode] }, { size: 60 }],
    series: [{ label: X_LABELS[xMode] }, ...lines],
  };
  // uPlot measures its legend and axes, so it draws once the box is in the document; a box
  // replaced before it was ever shown (a refresh, the user moving on) stops asking after ~10 s.
  let frames = 0;
  const draw = () => {
    if (!box.isConnected) return ++frames < 600 ? requestAnimationFrame(draw) : undefined;
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
