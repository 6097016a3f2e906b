/** Self-contained SVG line charts of metric histories, one panel per metric, for `mlx compare --plot`. */

import { formatNumber, formatTicks } from './format-number.js';

export interface SeriesPoint {
  step: number;
  value: number;
  timestamp: number;
}

export interface RunSeries {
  runId: string;
  runName: string;
  points: SeriesPoint[];
}

export interface MetricSeries {
  metric: string;
  runs: RunSeries[];
}

export interface SvgChartOptions {
  title?: string;
}

export interface Ticks {
  min: number;
  max: number;
  step: number;
  values: number[];
}

/** Okabe–Ito colors, safe for the common color-vision deficiencies; its yellow is left out as unreadable on white. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000'];
// Past seven runs colors repeat, so the line style tells the second round apart.
const DASHES = ['', '7 4', '2 3', '9 3 2 3'];

const WIDTH = 800;
const LEFT = 72;
const RIGHT = 24;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PANEL_H = 260;
const PLOT_TOP = 30;
const PLOT_H = PANEL_H - PLOT_TOP - 46;
const LEGEND_ROW = 20;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
// Above this many points per run the markers would merge into a thick smear.
const MAX_MARKERS = 50;

/** Escapes text for XML content and attributes, replacing characters XML 1.0 cannot hold at all. */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Tick values about `target` apart, spaced 1, 2 or 5 times a power of ten, covering [min, max]. */
export function niceTicks(min: number, max: number, target = 5, integer = false): Ticks {
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    [min, max] = [min - pad, max + pad];
  }
  // Halving before subtracting keeps the range finite even for ±1e308.
  let step = niceStep((max / 2 - min / 2) / (target / 2));
  if (integer && step < 1) step = 1;
  const lo = Math.floor(min / step + 1e-9);
  const hi = Math.ceil(max / step - 1e-9);
  if (!Number.isFinite(step) || step <= 0 || !(hi - lo <= 1000)) return { min, max, step: max - min, values: [min, max] };
  const values: number[] = [];
  for (let i = lo; i <= hi; i++) {
    const v = Number((i * step).toPrecision(12));
    values.push(Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, v)));
  }
  return { min: values[0], max: values[values.length - 1], step, values };
}

function niceStep(raw: number): number {
  const exp = Math.floor(Math.log10(raw));
  const f = raw / 10 ** exp;
  // Round to the nearest nice factor on a log scale (as d3 does), not always up: rounding up
  // would turn 2.4 into 5 and leave a 20-step axis with only four ticks.
  const nice = f >= Math.sqrt(50) ? 10 : f >= Math.sqrt(10) ? 5 : f >= Math.sqrt(2) ? 2 : 1;
  return Number((nice * 10 ** exp).toPrecision(2));
}

/** An SVG document charting each metric's history, one colored line per run, readable in any browser. */
export function renderMetricsSvg(series: MetricSeries[], opts: SvgChartOptions = {}): string {
  const title = opts.title ?? 'mlx compare';
  if (series.length === 0) {
    return svgDoc(400, 120, title, [`<text x="200" y="66" text-anchor="middle" font-size="14" fill="#555">no metrics</text>`]);
  }
  // One color per run across all panels, in order of first appearance, so one legend serves all.
  const runs = new Map<string, { name: string; index: number }>();
  for (const s of series) {
    for (const r of s.runs) if (!runs.has(r.runId)) runs.set(r.runId, { name: r.runName, index: runs.size });
  }
  const style = (runId: string) => {
    const i = runs.get(runId)?.index ?? 0;
    return { color: PALETTE[i % PALETTE.length], dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length] };
  };

  const legend = renderLegend([...runs].map(([id, r]) => ({ id, name: r.name, ...style(id) })));
  const top = 44 + legend.rows * LEGEND_ROW + 4;
  const body = [
    `<text x="${LEFT}" y="26" font-size="16" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
    `<g class="legend" transform="translate(0,44)">${legend.svg}</g>`,
    ...series.map((s, i) => renderPanel(s, top + i * PANEL_H, style)),
  ];
  return svgDoc(WIDTH, top + series.length * PANEL_H + 8, title, body);
}

function svgDoc(width: number, height: number, title: string, body: string[]): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    // An explicit background keeps the chart readable in dark-mode viewers and when rasterized.
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

interface LegendEntry {
  id: string;
  name: string;
  color: string;
  dash: string;
}

function runLabel(id: string, name: string): string {
  const short = id.slice(0, 8);
  return name && name !== id ? `${truncate(name, 40)} (${short})` : short;
}

function renderLegend(entries: LegendEntry[]): { svg: string; rows: number } {
  const parts: string[] = [];
  let x = LEFT;
  let row = 0;
  for (const e of entries) {
    const label = runLabel(e.id, e.name);
    // No text metrics without a browser: ~7 px per character at 12 px is close for Latin text.
    const w = 34 + label.length * 7 + 18;
    if (x + w > WIDTH - RIGHT && x > LEFT) [x, row] = [LEFT, row + 1];
    const y = row * LEGEND_ROW;
    parts.push(
      `<g class="legend-item" data-run-id="${escapeXml(e.id)}">` +
        `<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${e.color}" stroke-width="2.5"${dashAttr(e.dash)}/>` +
        `<circle cx="${x + 13}" cy="${y}" r="3" fill="${e.color}"/>` +
        `<text x="${x + 32}" y="${y}" dy="0.35em" fill="#222">${escapeXml(label)}</text></g>`,
    );
    x += w;
  }
  return { svg: parts.join(''), rows: entries.length === 0 ? 0 : row + 1 };
}

function renderPanel(s: MetricSeries, y0: number, style: (runId: string) => { color: string; dash: string }): string {
  const out: string[] = [`<g class="panel" data-metric="${escapeXml(s.metric)}" transform="translate(0,${y0})">`];
  out.push(`<text x="${LEFT}" y="18" font-size="14" font-weight="bold" fill="#222">${escapeXml(truncate(s.metric, 90))}</text>`);
  const runs = s.runs.map((r) => ({
    ...r,
    // Sorted copies: the caller's arrays stay untouched and lines never zigzag back in x.
    points: [...r.points].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp),
  }));
  const finite = runs.flatMap((r) => r.points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.step)));
  if (finite.length === 0) {
    out.push(frame(), `<text x="${LEFT + PLOT_W / 2}" y="${PLOT_TOP + PLOT_H / 2}" text-anchor="middle" fill="#777">no finite values</text>`, '</g>');
    return out.join('\n');
  }

  // A summary metric (one value per run, such as final_accuracy) has no history to draw:
  // a dot per run on one value axis compares them at a glance.
  if (runs.every((r) => r.points.length <= 1)) {
    out.push(renderSummary(runs, style), '</g>');
    return out.join('\n');
  }

  // Metrics logged without a step all sit at step 0; wall-clock time is then the only useful x.
  const t0 = extent(finite.map((p) => p.timestamp))[0];
  const byTime = new Set(finite.map((p) => p.step)).size === 1 && new Set(finite.map((p) => p.timestamp)).size > 1;
  const xOf = (p: SeriesPoint) => (byTime ? (p.timestamp - t0) / 1000 : p.step);
  const xs = finite.map(xOf);
  const ys = finite.map((p) => p.value);
  const xt = niceTicks(...extent(xs), 8, !byTime && xs.every(Number.isInteger));
  const yt = niceTicks(...extent(ys), 5);
  const px = (x: number) => LEFT + scale(x, xt) * PLOT_W;
  const py = (y: number) => PLOT_TOP + (1 - scale(y, yt)) * PLOT_H;

  const xLabels = formatTicks(xt.values, xt.step);
  const yLabels = formatTicks(yt.values, yt.step);
  const grid: string[] = [];
  xt.values.forEach((v, i) => {
    const x = fmt(px(v));
    grid.push(`<line x1="${x}" y1="${PLOT_TOP}" x2="${x}" y2="${PLOT_TOP + PLOT_H}" stroke="#e6e6e6"/>`);
    grid.push(`<text class="tick x" x="${x}" y="${PLOT_TOP + PLOT_H + 16}" text-anchor="middle" fill="#555">${xLabels[i]}</text>`);
  });
  yt.values.forEach((v, i) => {
    const y = fmt(py(v));
    grid.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + PLOT_W}" y2="${y}" stroke="#e6e6e6"/>`);
    grid.push(`<text class="tick y" x="${LEFT - 8}" y="${y}" dy="0.35em" text-anchor="end" fill="#555">${yLabels[i]}</text>`);
  });
  out.push(...grid, frame());
  out.push(`<text x="${LEFT + PLOT_W / 2}" y="${PLOT_TOP + PLOT_H + 36}" text-anchor="middle" fill="#333">${byTime ? 'relative time (s)' : 'step'}</text>`);

  for (const r of runs) {
    const segments = splitAtGaps(r.points).map((seg) => seg.map((p) => ({ p, x: px(xOf(p)), y: py(p.value) })));
    const count = segments.reduce((n, seg) => n + seg.length, 0);
    if (count === 0) continue;
    const { color, dash } = style(r.runId);
    const label = `${runLabel(r.runId, r.runName)} · ${s.metric}`;
    out.push(`<g class="series" data-run-id="${escapeXml(r.runId)}" fill="none" stroke="${color}">`);
    out.push(`<title>${escapeXml(label)}</title>`);
    for (const seg of segments) {
      const pts = decimate(seg);
      out.push(
        `<polyline points="${pts.map((q) => `${fmt(q.x)},${fmt(q.y)}`).join(' ')}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dashAttr(dash)}/>`,
      );
      // An isolated point draws no line at all, so it always gets a marker.
      if (count > MAX_MARKERS && seg.length > 1) continue;
      for (const q of seg) {
        const tip = `${label}: step ${q.p.step}, value ${formatNumber(q.p.value, 6)}`;
        out.push(`<circle cx="${fmt(q.x)}" cy="${fmt(q.y)}" r="3" fill="${color}" stroke="#fff" stroke-width="1"><title>${escapeXml(tip)}</title></circle>`);
      }
    }
    out.push('</g>');
  }
  out.push('</g>');
  return out.join('\n');
}

function renderSummary(runs: RunSeries[], style: (runId: string) => { color: string; dash: string }): string {
  const shown = runs.filter((r) => r.points.length === 1 && Number.isFinite(r.points[0].value));
  const [lo, hi] = extent(shown.map((r) => r.points[0].value));
  // Padding keeps the extreme dots and their labels off the frame.
  const pad = (hi - lo) * 0.12;
  const xt = niceTicks(lo - pad, hi + pad, 8);
  const px = (x: number) => LEFT + scale(x, xt) * PLOT_W;
  const rowH = PLOT_H / Math.max(shown.length, 1);
  const labels = formatTicks(xt.values, xt.step);
  const out: string[] = [];
  xt.values.forEach((v, i) => {
    const x = fmt(px(v));
    out.push(`<line x1="${x}" y1="${PLOT_TOP}" x2="${x}" y2="${PLOT_TOP + PLOT_H}" stroke="#e6e6e6"/>`);
    out.push(`<text class="tick x" x="${x}" y="${PLOT_TOP + PLOT_H + 16}" text-anchor="middle" fill="#555">${labels[i]}</text>`);
  });
  out.push(frame());
  out.push(`<text x="${LEFT + PLOT_W / 2}" y="${PLOT_TOP + PLOT_H + 36}" text-anchor="middle" fill="#333">value (one per run)</text>`);
  shown.forEach((r, i) => {
    const { color } = style(r.runId);
    const p = r.points[0];
    const y = fmt(PLOT_TOP + rowH * (i + 0.5));
    const x = px(p.value);
    const label = `${runLabel(r.runId, r.runName)}: ${formatNumber(p.value, 6)}`;
    // The value is written beside its dot, on whichever side has room.
    const right = x < LEFT + PLOT_W * 0.7;
    out.push(
      `<g class="series" data-run-id="${escapeXml(r.runId)}"><title>${escapeXml(label)}</title>` +
        `<line x1="${LEFT}" y1="${y}" x2="${fmt(x)}" y2="${y}" stroke="${color}" stroke-width="2" stroke-opacity="0.35"/>` +
        `<circle cx="${fmt(x)}" cy="${y}" r="5" fill="${color}"/>` +
        `<text x="${fmt(right ? x + 9 : x - 9)}" y="${y}" dy="0.35em" text-anchor="${right ? 'start' : 'end'}" fill="#222">${escapeXml(formatNumber(p.value, 6))}</text></g>`,
    );
  });
  return out.join('\n');
}

function frame(): string {
  return `<rect x="${LEFT}" y="${PLOT_TOP}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#999"/>`;
}

// Position in [0, 1]; halving first keeps extreme domains (±1e308) from overflowing.
function scale(v: number, t: Ticks): number {
  const span = t.max / 2 - t.min / 2;
  return span > 0 ? (v / 2 - t.min / 2) / span : 0.5;
}

// NaN and ±Infinity cannot be drawn: they end a line, and the next finite point starts a new one.
function splitAtGaps(points: SeriesPoint[]): SeriesPoint[][] {
  const segments: SeriesPoint[][] = [[]];
  for (const p of points) {
    if (Number.isFinite(p.value) && Number.isFinite(p.step)) segments[segments.length - 1].push(p);
    else if (segments[segments.length - 1].length > 0) segments.push([]);
  }
  return segments.filter((seg) => seg.length > 0);
}

// A line of 100k points is megabytes of SVG but only ~700 px wide: keeping the lowest and highest
// point of each pixel column draws the same picture.
function decimate<T extends { x: number; y: number }>(pts: T[]): T[] {
  if (pts.length <= 2 * PLOT_W) return pts;
  const out: T[] = [];
  let lo = 0;
  let hi = 0;
  for (let i = 1; i <= pts.length; i++) {
    if (i < pts.length && Math.floor(pts[i].x) === Math.floor(pts[lo].x)) {
      if (pts[i].y < pts[lo].y) lo = i;
      if (pts[i].y > pts[hi].y) hi = i;
      continue;
    }
    out.push(...(lo === hi ? [pts[lo]] : lo < hi ? [pts[lo], pts[hi]] : [pts[hi], pts[lo]]));
    [lo, hi] = [i, i];
  }
  return out;
}

// Math.min(...xs) overflows the call stack past ~100k arguments; long histories are that big.
function extent(values: number[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) [min, max] = [Math.min(min, v), Math.max(max, v)];
  return [min, max];
}

function fmt(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
}

function dashAttr(dash: string): string {
  return dash ? ` stroke-dasharray="${dash}"` : '';
}

function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}
