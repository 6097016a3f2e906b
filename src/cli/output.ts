import type { ChalkInstance } from 'chalk';

/** Prints exactly one JSON document on stdout. */
export function printJson(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}

/** Colors only on a TTY and never under NO_COLOR (https://no-color.org). */
export async function colors(): Promise<ChalkInstance> {
  const { Chalk, supportsColor } = await import('chalk');
  const off = !!process.env.NO_COLOR || !process.stdout.isTTY;
  return new Chalk({ level: off ? 0 : supportsColor ? supportsColor.level : 0 });
}

/** Renders rows as a table (plain borders, no color codes unless on a TTY). */
export async function renderTable(head: string[], rows: string[][], opts: { colAligns?: ('left' | 'right')[] } = {}): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const c = await colors();
  const table = new Table({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: [], compact: true },
    ...(opts.colAligns ? { colAligns: opts.colAligns } : {}),
    wordWrap: false,
  });
  for (const r of rows) table.push(r);
  return table.toString();
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Local time as YYYY-MM-DD HH:MM:SS. */
export function formatTime(ms: number | null | undefined): string {
  if (ms == null) return '';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A duration such as 850ms, 12.3s, 4m05s, 2h03m. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || ms < 0) return '';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A metric value for humans: up to 6 significant digits, NaN and ±Infinity spelled out. */
export function formatValue(v: number | string | null | undefined): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}
