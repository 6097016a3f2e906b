import { invalid } from './errors.js';
import { RUN_STATUSES, type BatchEntry, type RunStatus } from './entities.js';

/** Limits as in MLflow (mlflow/utils/validation.py). */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 5000,
  runNameLength: 250,
  experimentNameLength: 500,
} as const;

const KEY_RE = /^[\p{L}\p{N}_\-./ ]+$/u;

function show(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/** A param, metric or tag key: letters, digits, `_ - . / space`, at most 250 characters, not a relative path. */
export function validateKey(kind: 'param' | 'metric' | 'tag', key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw invalid(`${kind} key must not be empty`);
  if (key.length > LIMITS.keyLength) throw invalid(`${kind} key ${show(key)} is ${key.length} characters long; the limit is ${LIMITS.keyLength}`);
  if (!KEY_RE.test(key))
    throw invalid(`${kind} key ${show(key)} has characters other than letters, digits, underscores (_), dashes (-), periods (.), spaces ( ) and slashes (/)`);
  const parts = key.split('/');
  if (key.startsWith('/') || parts.some((p) => p === '..' || p === '.'))
    throw invalid(`${kind} key ${show(key)} must be a relative path without "." or ".." segments`);
}

export function validateParamValue(key: string, value: string): void {
  if (value.length > LIMITS.paramValueLength)
    throw invalid(`param ${show(key)} has a value of ${value.length} characters; the limit is ${LIMITS.paramValueLength}`);
}

export function validateTagValue(key: string, value: string): void {
  if (value.length > LIMITS.tagValueLength) throw invalid(`tag ${show(key)} has a value of ${value.length} characters; the limit is ${LIMITS.tagValueLength}`);
}

/** Parses a metric value as given on a command line: a decimal number, NaN, Infinity or -Infinity. */
export function parseMetricValue(key: string, text: string): number {
  const t = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t))
    throw invalid(`metric ${show(key)} value ${show(text)} is not a number; give a decimal number, NaN or Infinity`);
  return Number(t);
}

/** Parses an integer flag such as --step or --timestamp. */
export function parseInteger(what: string, text: string): number {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) throw invalid(`${what} ${show(text)} is not an integer`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw invalid(`${what} ${show(text)} is out of range`);
  return n;
}

export function validateStep(step: number): void {
  if (!Number.isSafeInteger(step)) throw invalid(`metric step ${String(step)} is not an integer`);
}

export function validateTimestamp(ts: number): void {
  if (!Number.isSafeInteger(ts) || ts < 0) throw invalid(`timestamp ${String(ts)} is not a non-negative integer of milliseconds`);
}

export function validateRunName(name: string): void {
  if (name.length > LIMITS.runNameLength) throw invalid(`run name ${show(name)} is ${name.length} characters long; the limit is ${LIMITS.runNameLength}`);
}

export function validateExperimentName(name: string): void {
  if (typeof name !== 'string' || name.trim() === '') throw invalid('experiment name must not be empty');
  if (name.length > LIMITS.experimentNameLength)
    throw invalid(`experiment name ${show(name)} is ${name.length} characters long; the limit is ${LIMITS.experimentNameLength}`);
}

export function parseRunStatus(text: string): RunStatus {
  const s = text.toUpperCase();
  if (!(RUN_STATUSES as readonly string[]).includes(s)) throw invalid(`run status ${show(text)} is not one of ${RUN_STATUSES.join(', ')}`);
  return s as RunStatus;
}

/** Parses `key=value` as given to --param / --tag. */
export function parseKeyValue(kind: 'param' | 'tag', text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw invalid(`--${kind} ${show(text)} is not of the form KEY=VALUE`);
  const key = text.slice(0, i);
  validateKey(kind, key);
  return [key, text.slice(i + 1)];
}

const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ALIAS_RE = /^[A-Za-z0-9_-]+$/;

/** Registered model names: letters, digits, `_ . -`, starting with a letter or digit, so `models:/NAME/3` URIs stay unambiguous. */
export function validateModelName(name: string): void {
  if (typeof name !== 'string' || name === '') throw invalid('model name must not be empty');
  if (name.length > LIMITS.keyLength) throw invalid(`model name ${show(name)} is ${name.length} characters long; the limit is ${LIMITS.keyLength}`);
  if (!MODEL_NAME_RE.test(name)) throw invalid(`model name ${show(name)} may hold only letters, digits, "_", "." and "-", starting with a letter or digit`);
}

/** Aliases as in MLflow: letters, digits, `_ -`; `latest` and `v<digits>` are reserved because URIs use them. */
export function validateAlias(alias: string): void {
  if (typeof alias !== 'string' || alias === '') throw invalid('alias must not be empty');
  if (alias.length > 255) throw invalid(`alias ${show(alias)} is longer than 255 characters`);
  if (!ALIAS_RE.test(alias)) throw invalid(`alias ${show(alias)} may hold only letters, digits, "_" and "-"`);
  if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias))
    throw invalid(`alias ${show(alias)} is reserved ("latest" and "v<number>" name versions in model URIs); pick another, e.g. "champion"`);
}

/** A model version number as typed: a positive integer. */
export function parseVersion(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text)))
    throw invalid(`model version ${show(text)} is not a positive integer`);
  return Number(text);
}

/**
 * Checks one `log batch` entry before any store writes it: its key (once per type and key), a
 * metric's value, step and timestamp, a param's or tag's value, and a param given twice with
 * different values (`params` holds the batch's params so far). Returns true for a param not
 * seen before in the batch.
 */
export function checkBatchEntry(e: BatchEntry, seenKeys: Set<string>, params: Map<string, string>): boolean {
  const seen = `${e.type}\0${e.key}`;
  if (!seenKeys.has(seen)) {
    validateKey(e.type, e.key);
    seenKeys.add(seen);
  }
  if (e.type === 'metric') {
    if (typeof e.value !== 'number') throw invalid(`metric ${JSON.stringify(e.key)} value is not a number`);
    validateStep(e.step);
    validateTimestamp(e.timestamp);
    return false;
  }
  if (e.type === 'param') {
    validateParamValue(e.key, e.value);
    const prev = params.get(e.key);
    if (prev !== undefined && prev !== e.value)
      throw invalid(`param ${JSON.stringify(e.key)} is given twice with different values (${JSON.stringify(prev)}, ${JSON.stringify(e.value)})`);
    return prev === undefined;
  }
  if (e.type === 'tag') {
    validateTagValue(e.key, e.value);
    return false;
  }
  throw invalid(`unknown entry type ${JSON.stringify((e as { type: unknown }).type)}`);
}
