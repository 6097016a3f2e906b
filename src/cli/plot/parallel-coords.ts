import { escapeXml } from './svg-chart.js';
import { formatNumber } from './format-number.js';

// A parallel-coordinates chart of a sweep (W&B's and Optuna's view of a search): one vertical
// axis per param and one for the metric, one line per trial, colored by the metric, so which
// values lead to good results shows as a bundle of same-colored lines.

export interface ParallelRun {
  runId: string;
  name: string;
  params: Record<string, string>;
  /** The metric's latest value; null (or NaN) draws the line grey up to the params only. */
  value: number | null;
}

export interface ParallelOptions {
  params: string[];
  metric: string;
  goal: 'min' | 'max';
  title: string;
}

const WIDTH = 800;
const TOP = 70;
const HEIGHT = 420;
const BOTTOM = 40;
const SIDE = 70;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

interface Axis {
  name: string;
  /** Where a value sits from 0 (bottom) to 1 (top), or null when the run has none. */
  pos: (v: string | number | null) => number | null;
  labels: { at: number; text: string }[];
}

const isNumber = (s: string) => /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s.trim());

/** A numeric axis (log when every value is positive and they span more than two decades) or a categorical one. */
function paramAxis(name: string, values: string[]): Axis {
  const present = values.filter((v) => v !== undefined);
  if (present.length && present.every(isNumber)) return numericAxis(name, present.map(Number));
  const cats = [...new Set(present)].sort();
  const at = (v: string) => (cats.length === 1 ? 0.5 : cats.indexOf(v) / (cats.length - 1));
  return { name, pos: (v) => (v === null || v === undefined ? null : at(String(v))), labels: cats.slice(0, 12).map((c) => ({ at: at(c), text: c })) };
}

function numericAxis(name: string, nums: number[]): Axis {
  const finite = nums.filter(Number.isFinite);
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  const log = lo > 0 && hi / lo > 100;
  const t = (x: number) => (log ? Math.log10(x) : x);
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const span = t(hi) - t(lo);
  const pos = (v: string | number | null) => {
    if (v === null || v === undefined) return null;
    const x = Number(v);
    return Number.isFinite(x) ? (t(x) - t(lo)) / span : null;
  };
  const labels = [0, 0.5, 1].map((f) => {
    const x = log ? 10 ** (t(lo) + f * span) : lo + f * (hi - lo);
    return { at: f, text: formatNumber(x, 3) };
  });
  return { name: log ? `${name} (log)` : name, pos, labels };
}

/** From red (worst) through amber to green (best): t = 0 worst, 1 best. */
function color(t: number): string {
  const stops = [
    [213, 94, 0],
    [230, 159, 0],
    [0, 158, 115],
  ];
  const x = Math.min(1, Math.max(0, t)) * 2;
  const i = Math.min(1, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c.join(',')})`;
}

/** The chart as one SVG document. */
export function renderParallelCoordinatesSvg(runs: ParallelRun[], o: ParallelOptions): string {
  const metricValues = runs.map((r) => r.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const axes: Axis[] = [
    ...o.params.map((p) =>
      paramAxis(
        p,
        runs.map((r) => r.params[p]),
      ),
    ),
    numericAxis(o.metric, metricValues.length ? metricValues : [0]),
  ];
  axes[axes.length - 1].name = `${o.metric} (${o.goal === 'min' ? 'lower' : 'higher'} is better)`;
  const metricAxis = axes[axes.length - 1];
  const x = (i: number) => SIDE + (axes.length === 1 ? 0 : (i * (WIDTH - 2 * SIDE)) / (axes.length - 1));
  const y = (p: number) => TOP + (1 - p) * (HEIGHT - TOP - BOTTOM);
  const fmt = (n: number) => n.toFixed(1);
  const body: string[] = [];
  body.push(`<text x="${SIDE}" y="26" font-size="16" font-weight="bold" fill="#222">${escapeXml(o.title)}</text>`);
  // Worst first, so the best lines are drawn on top.
  const quality = (v: number | null) => {
    const p = v === null ? null : metricAxis.pos(v);
    return p === null ? null : o.goal === 'min' ? 1 - p : p;
  };
  const ordered = [...runs].sort((a, b) => (quality(a.value) ?? -1) - (quality(b.value) ?? -1));
  for (const r of ordered) {
    const q = quality(r.value);
    const pts: string[] = [];
    axes.forEach((a, i) => {
      const p = i === axes.length - 1 ? (r.value === null ? null : a.pos(r.value)) : a.pos(r.params[o.params[i]] ?? null);
      if (p !== null) pts.push(`${fmt(x(i))},${fmt(y(p))}`);
    });
    const tip = `${r.name}: ${o.params.map((p) => `${p}=${r.params[p] ?? '-'}`).join(' ')} ${o.metric}=${r.value ?? '-'}`;
    body.push(
      `<polyline class="trial" data-run-id="${escapeXml(r.runId)}" points="${pts.join(' ')}" fill="none" stroke="${q === null ? '#bbb' : color(q)}" stroke-width="2" stroke-opacity="0.8"><title>${escapeXml(tip)}</title></polyline>`,
    );
  }
  axes.forEach((a, i) => {
    const ax = fmt(x(i));
    body.push(`<line x1="${ax}" y1="${y(1)}" x2="${ax}" y2="${y(0)}" stroke="#444" stroke-width="1.5"/>`);
    const name = a.name.length > 22 ? `${a.name.slice(0, 21)}…` : a.name;
    // The outer axes' names grow inwards, so they stay inside the chart.
    const anchor = axes.length > 1 && i === 0 ? 'start' : axes.length > 1 && i === axes.length - 1 ? 'end' : 'middle';
    const nx = anchor === 'start' ? fmt(x(i) - 10) : anchor === 'end' ? fmt(x(i) + 10) : ax;
    body.push(
      `<text x="${nx}" y="${TOP - 14}" text-anchor="${anchor}" font-weight="bold" fill="#222">${escapeXml(name)}<title>${escapeXml(a.name)}</title></text>`,
    );
    for (const l of a.labels) {
      const text = l.text.length > 14 ? `${l.text.slice(0, 13)}…` : l.text;
      body.push(`<text x="${fmt(x(i) + 5)}" y="${fmt(y(l.at) + 4)}" font-size="11" fill="#555">${escapeXml(text)}</text>`);
    }
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FONT}" font-size="12">`,
    `<title>${escapeXml(o.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

/** Stacks SVG documents vertically into one (nested <svg> elements), for one --plot file. */
export function stackSvgs(docs: string[]): string {
  let y = 0;
  let width = 0;
  const parts: string[] = [];
  for (const d of docs) {
    const m = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(d);
    const w = m ? Number(m[1]) : WIDTH;
    const h = m ? Number(m[2]) : HEIGHT;
    parts.push(d.replace(/^<\?xml[^>]*>\n?/, '').replace('<svg ', `<svg y="${y}" `));
    y += h;
    width = Math.max(width, w);
  }
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">`,
    ...parts,
    `</svg>`,
    '',
  ].join('\n');
}
