import fs from 'node:fs';
import { invalid, MlxError, notFound } from './errors.js';

// What the kernel answers for a path with nothing at its end (or a file where a folder should be).
const MISSING = new Set(['ENOENT', 'ENOTDIR']);
const DENIED = new Set(['EACCES', 'EPERM']);

/** True for an error the operating system gave (it names its system call): ENOENT, EACCES, EISDIR… */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException | null;
  return typeof e?.code === 'string' && typeof e.syscall === 'string';
}

/**
 * The system's reason for a file system error without the call and path Node appends:
 * "EISDIR: illegal operation on a directory" rather than "…, read". The path is in the message
 * mlx writes around it, as the user gave it.
 */
export function systemReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException | null;
  const message = String(e?.message ?? err);
  const m = /^(E[A-Z0-9]+): ([^,]*)/.exec(message);
  if (m) return `${m[1]}: ${m[2]}`;
  return e?.code ? `${e.code}: ${message.split('\n')[0]}` : message.split('\n')[0];
}

/**
 * A failed read of `label` (as users read it: `input "data.csv"`) as one line that keeps the
 * file system's error as its cause: "does not exist" only when nothing is there, "permission
 * denied" when something is and may not be read, else the system's reason. An MlxError, or an
 * error the system did not give, is returned as it is.
 */
export function fileError(err: unknown, label: string): unknown {
  if (err instanceof MlxError || !isSystemError(err)) return err;
  const code = err.code!;
  if (MISSING.has(code)) return notFound(`${label} does not exist`, err);
  if (DENIED.has(code)) return invalid(`${label} cannot be read: permission denied`, err);
  return invalid(`${label} cannot be read (${systemReason(err)})`, err);
}

/**
 * The stats of a file or folder the user named, checked readable as the read that follows will
 * find it (a file its owner keeps private is not "missing"); throws fileError's one line.
 */
export function readableStat(file: string, label: string): fs.Stats {
  try {
    const stat = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
    return stat;
  } catch (err) {
    throw fileError(err, label);
  }
}

/** A file's text, or fileError's one line for why it cannot be read. */
export function readTextFile(file: string, label: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fileError(err, label);
  }
}
