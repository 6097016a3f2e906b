import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { invalid, MlxError } from '../core/errors.js';

// Commands a user gives as one string (`mlx drift --on-drift "…"`, `mlx monitor --on-drift`), run
// without a shell. Errors name the command, not the flag: callers word them with their flag.

/** Splits a command line into words as a shell would, quotes and backslashes included, but expands nothing. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) cur += text[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") [quote, inWord] = [ch, true];
    else if (ch === '\\' && i + 1 < text.length) [cur, inWord] = [cur + text[++i], true];
    else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      [cur, inWord] = ['', false];
    } else [cur, inWord] = [cur + ch, true];
  }
  if (quote) throw invalid(`${JSON.stringify(text)} has an unclosed ${quote} quote`);
  if (inWord) words.push(cur);
  if (words.length === 0) throw invalid('needs a command');
  return words;
}

/** Finds a command as the OS would (a path, or a name on PATH), so a typo is refused before any work. */
export function checkCommand(name: string): void {
  const ok = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  const found = name.includes('/') ? ok(name) : (process.env.PATH ?? '').split(path.delimiter).some((d) => d && ok(path.join(d, name)));
  if (!found) throw invalid(`command not found: ${name}`);
}

/**
 * Runs a hook command (the retraining trigger) without a shell, with `env` added to mlx's own
 * environment; resolves with its exit code. With outputToStderr its stdout goes to stderr, so
 * `--json` keeps stdout one JSON document.
 */
export function runHook(command: string[], env: Record<string, string>, outputToStderr = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      stdio: ['inherit', outputToStderr ? 2 : 'inherit', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new MlxError('INVALID_PARAMETER_VALUE', err.code === 'ENOENT' ? `command not found: ${command[0]}` : `could not start ${command[0]}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
