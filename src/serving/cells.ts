/**
 * The one rule for numbers a model takes, on every input path (JSON instances, inputs, dataframes,
 * /v2 data, CSV bodies, `mlx predict` files): a value is a finite number or it is refused, and the
 * refusal names where it was (row and column) and what it was, shortened and safe to print.
 * Missing values (an empty cell, null) are refused too; a later `--on-error skip|null` for
 * `mlx predict` can catch CellError per row instead of stopping.
 */
import { MlxError } from '../core/errors.js';

/** Decimal numbers as CSV writers (pandas, R, spreadsheets) write them; not hex, not "Infinity", not "1_000". */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a CSV cell (or a numeric string in JSON lines) holds, or why it holds none. */
export function parseCell(text: string): number | CellProblem {
  const t = text.trim();
  if (t === '') return EMPTY;
  if (!DECIMAL.test(t)) return NOT_A_NUMBER;
  const v = Number(t);
  return Number.isFinite(v) ? v : OUT_OF_RANGE;
}

/** Why a value is not a number for a numeric input. */
export type CellProblem = 'empty' | 'not a number' | 'out of range';
const EMPTY: CellProblem = 'empty';
const NOT_A_NUMBER: CellProblem = 'not a number';
const OUT_OF_RANGE: CellProblem = 'out of range';

/** Why a JSON value is not a number for a numeric input, or null when it is a finite number. */
export function jsonValueProblem(v: unknown): CellProblem | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : OUT_OF_RANGE;
  if (v === null || v === undefined) return EMPTY;
  return NOT_A_NUMBER;
}

/** A refused value: where it was, what it was and why. */
export class CellError extends MlxError {
  constructor(
    readonly where: string,
    readonly value: unknown,
    readonly problem: CellProblem | string,
  ) {
    super('INVALID_PARAMETER_VALUE', cellMessage(where, value, problem));
  }
}

function cellMessage(where: string, value: unknown, problem: string): string {
  if (problem === EMPTY)
    return value === null || value === undefined
      ? `${where} is ${value === null ? 'null' : 'missing'}; every value must be a number (missing values are not allowed)`
      : `${where} is empty; every value must be a number (missing values are not allowed)`;
  if (problem === OUT_OF_RANGE) return `${where}: ${describeValue(value)} is out of range (not a finite number)`;
  if (problem === NOT_A_NUMBER) return `${where}: ${describeValue(value)} is not a number`;
  return `${where}: ${describeValue(value)} ${problem}`;
}

const MAX_SHOWN = 40;

/**
 * A value as a message shows it: strings quoted and cut to 40 characters, numbers as they are
 * (Infinity spelled out), lists and objects by kind only. Never JSON.stringify on the value itself:
 * a list nested 100,000 deep would overflow the stack, and a 10 MB string would fill the message.
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > MAX_SHOWN ? `${v.slice(0, MAX_SHOWN)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return 'an object';
}

/** Where a flat index falls in a row-major tensor: "row R, column C" (named when the names fit), else "at [i, j, k]". */
export function positionOf(index: number, dims: readonly number[], columns?: readonly string[] | null): string {
  if (dims.length === 2 && dims[1] > 0) {
    const row = Math.floor(index / dims[1]);
    const col = index % dims[1];
    return `row ${row}, column ${columns && columns.length === dims[1] ? JSON.stringify(columns[col]) : col}`;
  }
  if (dims.length === 1) return `row ${index}`;
  if (dims.length === 0 || dims.some((d) => d <= 0) || index >= dims.reduce((a, b) => a * b, 1)) return `position ${index}`;
  const at: number[] = [];
  let rest = index;
  for (let k = dims.length - 1; k >= 0; k--) {
    at.unshift(rest % dims[k]);
    rest = Math.floor(rest / dims[k]);
  }
  return `at [${at.join(', ')}]`;
}
