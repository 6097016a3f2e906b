import { escapeHtml, formatReportNumber as fmt, reportCss } from '../../core/html.js';

// Data's control characters written out (\x1b), as the terminal output shows them, then HTML-escaped.
const esc = (s: string) => escapeHtml(s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
import type { ColumnProfile } from './profile.js';
import type { ExpectationResult, ValidationReport } from './validate.js';

const cell = (v: unknown) => (typeof v === 'number' ? fmt(v) : v === null || v === undefined ? '–' : esc(String(v)));
const SUMMARY: [string, (c: ColumnProfile) => unknown][] = [
  ['type', (c) => c.type],
  ['count', (c) => c.count],
  ['nulls', (c) => c.nulls],
  ['null share', (c) => c.null_share],
  ['distinct', (c) => c.distinct],
  ['min', (c) => c.min],
  ['median', (c) => c.quantiles?.['0.5']],
  ['max', (c) => c.max],
  ['mean', (c) => c.mean],
  ['std', (c) => c.std],
  ['length', (c) => (c.length ? `${c.length.min}–${c.length.max}` : undefined)],
  ['top', (c) => (c.top ? `${c.top.value} (${c.top.count})` : undefined)],
];

function resultRow(r: ExpectationResult): string {
  const cls = r.status === 'failed' ? (r.severity === 'error' ? 'drift' : 'warn') : '';
  const examples = r.examples?.length ? r.examples.map((e) => `line ${e.line}: ${esc(e.value)}`).join('<br>') : '';
  const params = Object.entries(r.expected)
    .filter(([k]) => k !== 'column')
    .map(([k, v]) => `${esc(k)}=${esc(JSON.stringify(v).slice(0, 120))}`)
    .join(' ');
  return `<tr class="${cls}"><td>${r.status === 'failed' ? (r.severity === 'error' ? '✗ error' : '! warn') : r.status === 'skipped' ? '– skipped' : '✓'}</td><td>${esc(r.column ?? '')}</td><td>${esc(r.expect)}</td><td class="p">${params}</td><td>${esc(r.message)}</td><td class="ex">${examples}</td></tr>`;
}

function columnSection(c: ColumnProfile, ref: ColumnProfile | undefined, results: ExpectationResult[]): string {
  const failed = results.filter((r) => r.column === c.name && r.status === 'failed');
  const bad = failed.some((r) => r.severity === 'error');
  const verdict = failed.length === 0 ? '<span class="ok">ok</span>' : `<span class="bad">${failed.map((r) => esc(r.expect)).join(', ')}</span>`;
  const rows = SUMMARY.map(([k, f]) => `<tr><th>${k}</th>${ref ? `<td>${cell(f(ref))}</td>` : ''}<td>${cell(f(c))}</td></tr>`).join('');
  return `<section class="col ${bad ? 'drift' : ''}"><h3>${esc(c.name)} ${verdict}</h3><table class="sum"><tr><th></th>${ref ? '<th>reference</th>' : ''}<th>validated</th></tr>${rows}</table></section>`;
}

/** One self-contained HTML page (inline CSS, nothing fetched): the verdict, every expectation with example rows, and per-column summaries. */
export function renderValidationHtml(r: ValidationReport, generatedAt: Date = new Date()): string {
  const s = r.statistics;
  const verdict = r.valid
    ? `Valid: ${s.passed} of ${s.evaluated} expectations passed${s.warnings ? `, ${s.warnings} warning${s.warnings > 1 ? 's' : ''}` : ''}`
    : `Invalid: ${s.errors} expectation${s.errors > 1 ? 's' : ''} failed${s.warnings ? `, ${s.warnings} warning${s.warnings > 1 ? 's' : ''}` : ''} (of ${s.evaluated})`;
  const refs = new Map((r.reference ?? []).map((c) => [c.name, c]));
  const order = [...r.results].sort((a, b) => rank(a) - rank(b));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data validation: ${esc(r.source)}</title>
<style>
${reportCss(!r.valid)}
tr.warn td{color:#8a5a00}td.p{color:#555;font-family:ui-monospace,monospace;font-size:12px;max-width:260px;overflow-wrap:anywhere}td.ex{font-family:ui-monospace,monospace;font-size:12px}
section.col{display:inline-block;vertical-align:top;margin:8px 8px 8px 0;min-width:280px}
</style></head><body>
<h1>Data validation</h1>
<p class="verdict">${esc(verdict)}</p>
<p class="meta">data <code>${esc(r.source)}</code> (${r.rows} rows) · schema <code>${esc(r.schema)}</code> · generated ${generatedAt.toISOString()} by mlx</p>
<table><tr><th></th><th>column</th><th>expectation</th><th>parameters</th><th>result</th><th>example rows</th></tr>${order.map(resultRow).join('')}</table>
<h2>Columns</h2>
${r.columns.map((c) => columnSection(c, refs.get(c.name), r.results)).join('\n')}
</body></html>
`;
}

function rank(r: ExpectationResult): number {
  if (r.status === 'failed') return r.severity === 'error' ? 0 : 1;
  return r.status === 'skipped' ? 2 : 3;
}
