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

// C0 controls (but those `newlines` keeps), DEL and C1 controls (U+0080–U+009F: a terminal may read U+009B as CSI).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from user data (a CSV header, a run name, a value in an error message) made safe to print
 * to a terminal: every control character is written out (ESC as \x1b, CR as \r), so a file
 * cannot move the cursor, retitle the window, rewrite what was printed before it or hide text.
 */
export function printable(text: string, opts: { newlines?: boolean } = {}): string {
  return text.replace(opts.newlines ? CONTROL_BUT_NEWLINE : CONTROL, (ch) => NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A table cell with a color: the text is escaped first, then painted, so only mlx's own colors reach the terminal. */
export interface PaintedCell {
  text: string;
  paint: (text: string) => string;
}

export type Cell = string | PaintedCell;

/** A cell painted with a chalk style (when colors are on). */
export const painted = (text: string, paint: (text: string) => string): PaintedCell => ({ text, paint });

/**
 * Renders rows as a table (plain borders, no color codes unless on a TTY). Every cell is user data
 * as far as this knows: control characters are escaped here, for every table of every command;
 * color a cell with painted(), never by passing chalk's output in.
 */
export async function renderTable(head: string[], rows: Cell[][], opts: { colAligns?: ('left' | 'right')[] } = {}): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const c = await colors();
  const table = new Table({
    // Headers may hold mlx's own line breaks (compare puts the run id under its name).
    head: head.map((h) => c.bold(printable(h, { newlines: true }))),
    style: { head: [], border: [], compact: true },
    ...(opts.colAligns ? { colAligns: opts.colAligns } : {}),
    wordWrap: false,
  });
  for (const r of rows) table.push(r.map((cell) => (typeof cell === 'string' ? printable(cell) : cell.paint(printable(cell.text)))));
  return table.toString();
}

const SGR = /(\u001b\[[0-9;]*m)/;

/**
 * Prints human output: its control characters are escaped as printable() does, but for mlx's own
 * line breaks, and (when colors are on) chalk's color codes. Colored text cannot tell mlx's codes from
 * ones in user data: tables (renderTable) and error lines escape everything instead.
 */
export function print(text: string): void {
  const colorsOn = !process.env.NO_COLOR && !!process.stdout.isTTY;
  const safe = colorsOn
    ? text
        .split(SGR)
        .map((part, i) => (i % 2 ? part : printable(part, { newlines: true })))
        .join('')
    : printable(text, { newlines: true });
  process.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
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
