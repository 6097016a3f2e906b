// Two plots of runs drawn as SVG through the DOM (no markup strings, so names stay text): a
// scatter of one param or metric against another, and parallel coordinates (one vertical axis per
// param and the metric, one line per run, coloured by the metric), as MLflow's compare view has.
import { fmtNum } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** About five round tick values between lo and hi (1, 2, 2.5 or 5 times a power of ten apart). */
export function niceTicks(lo, hi, count = 5) {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/**
 * A scale for the values one axis shows: numbers when every present value is a number, else
 * categories in their natural order, evenly spaced. Numbers spanning 20 times or more, all
 * positive (learning rates), use a log scale; a few distinct numbers (a grid's values) are
 * their own ticks. at(v) is 0..1, or null for a run without a value.
 */
export function axisScale(values, { pad = 0 } = {}) {
  const present = values.filter((v) => v !== null && v !== undefined && v !== '');
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number' || NUMBER.test(v));
  if (numeric) {
    const nums = present.map(Number).filter(Number.isFinite);
    const distinct = [...new Set(nums)].sort((a, b) => a - b);
    let lo = distinct[0];
    let hi = distinct[distinct.length - 1];
    const log = lo > 0 && hi / lo >= 20;
    const f = log ? Math.log10 : (x) => x;
    if (lo === hi) [lo, hi] = log ? [lo / 10, hi * 10] : [lo - 1, hi + 1];
    const span = f(hi) - f(lo);
    // pad keeps points off the plot's edges (a scatter); an axis of parallel coordinates uses all of it.
    const at = (v) => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : pad + ((1 - 2 * pad) * (f(Number(v)) - f(lo))) / span);
    const tickValues = distinct.length <= 8 ? distinct : log ? distinct.filter((_, i) => i % Math.ceil(distinct.length / 6) === 0) : niceTicks(lo, hi);
    return { numeric, log, at, ticks: tickValues.map((t) => [at(t), fmtNum(Number(t.toPrecision(4)))]) };
  }
  const cats = [...new Set(present.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const pos = (i) => (cats.length === 1 ? 0.5 : pad + ((1 - 2 * pad) * i) / (cats.length - 1));
  const index = new Map(cats.map((c, i) => [c, pos(i)]));
  return { numeric, log: false, at: (v) => index.get(String(v)) ?? null, ticks: cats.map((c, i) => [pos(i), c.length > 14 ? `${c.slice(0, 13)}…` : c]) };
}

/** A colour from pale blue-grey (0, worst) through blue to crimson (1, best): readable on white. */
export function ramp(t) {
  const stops = [
    [176, 190, 210],
    [66, 118, 191],
    [120, 60, 160],
    [200, 30, 50],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgb(${c.join(',')})`;
}

/**
 * Scatter: points = [{x, y, label, href, color}]. Each point is a link to its run with the run's
 * name and values as its tooltip; a point without x or y is left out (data-missing counts them).
 */
export function scatterPlot(points, { xLabel, yLabel, width = 640, height = 360, id }) {
  const pad = { l: 70, r: 20, t: 14, b: 46 };
  const w = width - pad.l - pad.r;
  const hgt = height - pad.t - pad.b;
  const xs = axisScale(
    points.map((p) => p.x),
    { pad: 0.04 },
  );
  const ys = axisScale(
    points.map((p) => p.y),
    { pad: 0.05 },
  );
  const X = (t) => pad.l + t * w;
  const Y = (t) => pad.t + (1 - t) * hgt;
  const svg = s('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'plot scatter',
    id,
    role: 'img',
    'aria-label': `${yLabel} against ${xLabel}`,
  });
  svg.append(s('rect', { x: pad.l, y: pad.t, width: w, height: hgt, class: 'plot-bg' }));
  for (const [t, text] of xs.ticks)
    svg.append(
      s('line', { x1: X(t), x2: X(t), y1: pad.t, y2: pad.t + hgt, class: 'grid-line' }),
      s('text', { x: X(t), y: pad.t + hgt + 16, 'text-anchor': 'middle', class: 'tick' }, text),
    );
  for (const [t, text] of ys.ticks)
    svg.append(
      s('line', { x1: pad.l, x2: pad.l + w, y1: Y(t), y2: Y(t), class: 'grid-line' }),
      s('text', { x: pad.l - 6, y: Y(t) + 4, 'text-anchor': 'end', class: 'tick' }, text),
    );
  svg.append(s('text', { x: pad.l + w / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis-label' }, xLabel));
  svg.append(s('text', { x: 14, y: pad.t + hgt / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 14 ${pad.t + hgt / 2})` }, yLabel));
  let drawn = 0;
  for (const p of points) {
    const tx = xs.at(p.x);
    const ty = ys.at(p.y);
    if (tx === null || ty === null) continue;
    drawn++;
    svg.append(
      s(
        'a',
        { href: p.href, class: 'point' },
        s(
          'circle',
          { cx: X(tx), cy: Y(ty), r: 5, fill: p.color, 'data-run': p.run },
          s('title', {}, `${p.label}\n${xLabel} = ${p.x}\n${yLabel} = ${fmtNum(p.y)}`),
        ),
      ),
    );
  }
  svg.dataset.points = String(drawn);
  svg.dataset.missing = String(points.length - drawn);
  return svg;
}

/**
 * Parallel coordinates: axes = [{label, values: one per run}], runs = [{label, href, color}].
 * A run's line breaks where it has no value on an axis.
 */
export function parallelCoordinates(axes, runs, { width = 900, height = 360, id }) {
  const pad = { l: 40, r: 60, t: 30, b: 30 };
  const w = width - pad.l - pad.r;
  const hgt = height - pad.t - pad.b;
  const scales = axes.map((a) => axisScale(a.values));
  const X = (i) => pad.l + (axes.length === 1 ? w / 2 : (i * w) / (axes.length - 1));
  const Y = (t) => pad.t + (1 - t) * hgt;
  const svg = s('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'plot parallel',
    id,
    role: 'img',
    'aria-label': `parallel coordinates of ${axes.map((a) => a.label).join(', ')}`,
  });
  const lines = s('g', { class: 'lines' });
  svg.append(lines);
  // Drawn last-first, so the first runs (best first when sorted) lie on top.
  [...runs.keys()].reverse().forEach((j) => {
    const r = runs[j];
    let d = '';
    let pen = false;
    axes.forEach((a, i) => {
      const t = scales[i].at(a.values[j]);
      if (t === null) return void (pen = false);
      d += `${pen ? 'L' : 'M'}${X(i).toFixed(1)},${Y(t).toFixed(1)} `;
      pen = true;
    });
    if (!d) return;
    const tip = [r.label, ...axes.map((a) => `${a.label} = ${a.values[j] ?? '—'}`)].join('\n');
    lines.append(s('a', { href: r.href, class: 'run-line' }, s('path', { d, stroke: r.color, 'data-run': r.run }, s('title', {}, tip))));
  });
  axes.forEach((a, i) => {
    const g = s('g', { class: 'axis', 'data-axis': a.label });
    g.append(s('line', { x1: X(i), x2: X(i), y1: pad.t, y2: pad.t + hgt, class: 'axis-line' }));
    for (const [t, text] of scales[i].ticks) g.append(s('text', { x: X(i) + 5, y: Y(t) + 4, class: 'tick' }, text));
    g.append(s('text', { x: X(i), y: pad.t - 12, 'text-anchor': 'middle', class: 'axis-label' }, a.label.length > 22 ? `${a.label.slice(0, 21)}…` : a.label));
    svg.append(g);
  });
  svg.dataset.lines = String(lines.childNodes.length);
  svg.dataset.axes = String(axes.length);
  return svg;
}
