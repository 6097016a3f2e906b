import { escapeHtml, formatReportNumber, reportCss } from '../core/html.js';
import type { ColumnReport, DriftReport } from './analyze.js';
import type { Column } from './dataset.js';
import { categoryValues } from './summary.js';

const esc = escapeHtml;
const fmt = formatReportNumber;

const W = 460;
const H = 180;
const PAD = { l: 44, r: 10, t: 10, b: 34 };
const REF = '#0072B2';
const CUR = '#E69F00';

interface Bar {
  label: string;
  ref: number;
  cur: number;
}

/** Shares per equal-width bin over both samples' range (at most 30 bins), for the overlaid histogram. */
function numericBars(ref: Float64Array, cur: Float64Array): Bar[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of [ref, cur]) for (const v of a) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (!Number.isFinite(lo)) return [];
  const bins = hi === lo ? 1 : Math.min(30, Math.max(5, Math.ceil(Math.log2(ref.length + cur.length) + 1)));
  const width = (hi - lo) / bins || 1;
  const count = (a: Float64Array) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of a) if (Number.isFinite(v)) c[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    return c.map((x) => x / Math.max(a.length, 1));
  };
  const r = count(ref);
  const c = count(cur);
  // Bin starts rounded to the bin width's precision: no 3.667e-4 where the eye expects 0.
  const edge = (x: number) => (Math.abs(x) < width / 100 ? '0' : fmt(Number(x.toPrecision(Math.max(2, Math.ceil(Math.log10(Math.abs(x) / width)) + 2)))));
  return r.map((v, i) => ({ label: edge(lo + i * width), ref: v, cur: c[i] }));
}

function categoricalBars(ref: string[], cur: string[]): Bar[] {
  const share = (a: string[]) => {
    const m = new Map<string, number>();
    for (const v of a) m.set(v, (m.get(v) ?? 0) + 1);
    for (const [k, v] of m) m.set(k, v / Math.max(a.length, 1));
    return m;
  };
  const r = share(ref);
  const c = share(cur);
  const keys = [...new Set([...r.keys(), ...c.keys()])].sort((a, b) => (r.get(b) ?? 0) + (c.get(b) ?? 0) - ((r.get(a) ?? 0) + (c.get(a) ?? 0)));
  return keys.slice(0, 20).map((k) => ({ label: k, ref: r.get(k) ?? 0, cur: c.get(k) ?? 0 }));
}

/** An inline SVG chart: overlaid histograms (numbers) or paired bars (categories), shares on y. */
function chart(col: ColumnReport): string {
  const s = col.samples;
  if (!s) return '';
  const bars =
    col.type === 'numerical'
      ? numericBars(s.reference.numbers, s.current.numbers)
      : categoricalBars(categoryValues(s.reference as Column), categoryValues(s.current as Column));
  if (bars.length === 0) return '';
  const max = Math.max(...bars.flatMap((b) => [b.ref, b.cur]), 1e-9);
  const pw = W - PAD.l - PAD.r;
  const ph = H - PAD.t - PAD.b;
  const bw = pw / bars.length;
  const y = (v: number) => PAD.t + ph - (v / max) * ph;
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${PAD.l - 4}" y="${(y(v) + 3).toFixed(1)}" text-anchor="end" font-size="9" fill="#666">${(v * 100).toFixed(0)}%</text>`);
  }
  bars.forEach((b, i) => {
    const x = PAD.l + i * bw;
    if (col.type === 'numerical') {
      // Overlaid, translucent: where they differ is what catches the eye.
      parts.push(
        `<rect x="${(x + 0.5).toFixed(1)}" y="${y(b.ref).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(PAD.t + ph - y(b.ref)).toFixed(1)}" fill="${REF}" fill-opacity="0.45"><title>reference ${(b.ref * 100).toFixed(1)}% from ${esc(b.label)}</title></rect>`,
      );
      parts.push(
        `<rect x="${(x + 0.5).toFixed(1)}" y="${y(b.cur).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(PAD.t + ph - y(b.cur)).toFixed(1)}" fill="${CUR}" fill-opacity="0.45"><title>current ${(b.cur * 100).toFixed(1)}% from ${esc(b.label)}</title></rect>`,
      );
    } else {
      const half = (bw - 2) / 2;
      parts.push(
        `<rect x="${(x + 1).toFixed(1)}" y="${y(b.ref).toFixed(1)}" width="${half.toFixed(1)}" height="${(PAD.t + ph - y(b.ref)).toFixed(1)}" fill="${REF}"><title>${esc(b.label)}: reference ${(b.ref * 100).toFixed(1)}%</title></rect>`,
      );
      parts.push(
        `<rect x="${(x + 1 + half).toFixed(1)}" y="${y(b.cur).toFixed(1)}" width="${half.toFixed(1)}" height="${(PAD.t + ph - y(b.cur)).toFixed(1)}" fill="${CUR}"><title>${esc(b.label)}: current ${(b.cur * 100).toFixed(1)}%</title></rect>`,
      );
    }
    const every = Math.ceil(bars.length / 8);
    if (i % every === 0)
      parts.push(
        `<text x="${(x + bw / 2).toFixed(1)}" y="${H - PAD.b + 12}" text-anchor="middle" font-size="9" fill="#666">${esc(b.label.length > 10 ? `${b.label.slice(0, 9)}…` : b.label)}</text>`,
      );
  });
  parts.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${PAD.t + ph}" y2="${PAD.t + ph}" stroke="#999"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(col.column)} distributions">${parts.join('')}</svg>`;
}

function summaryRows(col: ColumnReport): string {
  const r = col.reference as unknown as Record<string, unknown>;
  const c = col.current as unknown as Record<string, unknown>;
  const keys = col.type === 'numerical' ? ['count', 'missing', 'mean', 'std', 'min', 'median', 'max'] : ['count', 'missing', 'unique'];
  return keys.map((k) => `<tr><th>${k}</th><td>${fmt(r[k] as number)}</td><td>${fmt(c[k] as number)}</td></tr>`).join('');
}

function section(col: ColumnReport): string {
  const verdict = col.drift ? '<span class="bad">drift</span>' : '<span class="ok">no drift</span>';
  const stat =
    col.p_value !== null ? `p-value ${fmt(col.p_value)} (threshold ${fmt(col.threshold)})` : `distance ${fmt(col.statistic)} (threshold ${fmt(col.threshold)})`;
  return `<section class="col ${col.drift ? 'drift' : ''}"><h3>${esc(col.column)} ${verdict}</h3>
<p class="meta">${col.role === 'prediction' ? 'prediction · ' : ''}${col.type} · ${esc(col.test)} · statistic ${fmt(col.statistic)} · ${stat}</p>
<div class="row">${chart(col)}<table class="sum"><tr><th></th><th style="color:${REF}">reference</th><th style="color:${CUR}">current</th></tr>${summaryRows(col)}</table></div></section>`;
}

/** One self-contained HTML page (inline CSS and SVG, nothing fetched) with the verdict and every column. */
export function renderDriftHtml(r: DriftReport, generatedAt: Date = new Date()): string {
  const all = [...(r.prediction ? [r.prediction] : []), ...r.columns];
  const rows = all
    .map(
      (c) =>
        `<tr class="${c.drift ? 'drift' : ''}"><td>${esc(c.column)}${c.role === 'prediction' ? ' (prediction)' : ''}</td><td>${c.type}</td><td>${c.test}</td><td>${fmt(c.statistic)}</td><td>${fmt(c.p_value)}</td><td>${fmt(c.threshold)}</td><td>${c.drift ? 'drift' : 'ok'}</td></tr>`,
    )
    .join('');
  const verdict = r.dataset_drift
    ? `Dataset drift: ${r.drifted_columns} of ${r.number_of_columns} columns drifted (${(r.drift_share * 100).toFixed(0)}% ≥ ${(r.drift_share_threshold * 100).toFixed(0)}%)`
    : `No dataset drift: ${r.drifted_columns} of ${r.number_of_columns} columns drifted (${(r.drift_share * 100).toFixed(0)}% &lt; ${(r.drift_share_threshold * 100).toFixed(0)}%)`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drift report: ${esc(r.current.file)}</title>
<style>
${reportCss(r.dataset_drift)}
</style></head><body>
<h1>Drift report</h1>
<p class="verdict">${verdict}</p>
<p class="meta">reference <code>${esc(r.reference.file)}</code> (${r.reference.rows} rows) · current <code>${esc(r.current.file)}</code> (${r.current.rows} rows${r.current.window ? `, logged ${new Date(r.current.window.since).toISOString()} to ${new Date(r.current.window.until).toISOString()}` : ''}) · ${esc(r.correction.note)} · generated ${generatedAt.toISOString()} by mlx</p>
<p class="legend">Charts:<span style="background:${REF}"></span>reference<span style="background:${CUR}"></span>current (shares of each sample)</p>
<table><tr><th>column</th><th>type</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>verdict</th></tr>${rows}</table>
${all.map(section).join('\n')}
</body></html>
`;
}
