/** What the self-contained HTML reports (drift, data validation) share: escaping, number format, the page's base style. */

/** Text made safe inside HTML elements and attribute values. */
export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A number as a report shows it: 4 significant digits, exponents for very large or small values, '–' for none. */
export const formatReportNumber = (v: number | null | undefined) =>
  v === null || v === undefined
    ? '–'
    : !Number.isFinite(v)
      ? String(v)
      : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
        ? v.toExponential(3)
        : String(Number(v.toPrecision(4)));

/** The reports' base style; `verdictBad` colours the verdict box. */
export function reportCss(verdictBad: boolean): string {
  return `body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px}.verdict{font-size:18px;padding:12px 16px;border-radius:6px;background:${verdictBad ? '#fde8e4' : '#e6f4ea'};border-left:6px solid ${verdictBad ? '#D55E00' : '#009E73'}}
table{border-collapse:collapse;font-size:13px}td,th{padding:4px 8px;border-bottom:1px solid #eee;text-align:left}
tr.drift td{color:#a33;font-weight:600}.bad{color:#D55E00}.ok{color:#009E73}.meta{color:#555;font-size:13px;margin:2px 0 8px}
section.col{border:1px solid #e5e5e5;border-radius:6px;padding:8px 14px;margin:14px 0}section.col.drift{border-color:#f0b8a8}
.row{display:flex;gap:20px;flex-wrap:wrap;align-items:flex-start}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 12px}`;
}
