/**
 * Starts one trial of a sweep as a real `mlx run` process. A process per child (rather than
 * runCommand in this process) lets the sweep stop one child alone (early stopping, --fail-fast),
 * keeps each child's signal forwarding and stdin handling as `mlx run` defines them, and makes
 * every child exactly the run a user would get by typing the command.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface LaunchSpec {
  trial: number;
  trackingUri: string;
  /** Experiment name. */
  experiment: string;
  runName: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** The trial's command, already substituted. */
  command: string[];
  /** The whole environment of the child. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Every line the child prints, when the user asked to see them. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last line the child wrote on stderr that was not mlx's own. */
  lastLine: string | null;
  /** The first stderr line that reads as an error (see ERROR_LINE): why a trial failed, before the noise that follows it. */
  firstError: string | null;
  /** Set when the process could not be started at all. */
  error?: string;
}

export interface ChildHandle {
  /** The child's run id once `mlx run` has created it; null if it ended before that. */
  readonly runId: Promise<string | null>;
  readonly exited: Promise<ChildExit>;
  /** Asks the child to stop: `mlx run` forwards the signal to the command and records KILLED. */
  stop(signal: NodeJS.Signals): void;
  /** SIGKILL to the child and everything it started. */
  kill(): void;
}

export type Launcher = (spec: LaunchSpec) => ChildHandle;

export const MLX_BIN = fileURLToPath(new URL('../../bin/mlx.js', import.meta.url));
const RUN_LINE = /^mlx: run ([0-9a-f]{32}) \(/;
const OWN_LINE = /^mlx: run [0-9a-f]{32} /;
/**
 * A line that says what went wrong: Python's `ValueError: …` (not the `Traceback` header or the
 * `File "…"` lines before it), `error:`, `fatal:`, `No such file`, `command not found`,
 * `Permission denied`, `Killed`. The first such line is the cause; later ones are usually its echo.
 */
const ERROR_LINE = /error|exception|fatal|failed|cannot|can't|not found|no such file|denied|killed|panic|abort/i;

/** The first error-looking line among a child's stderr lines (trimmed, at most 300 characters), or null. */
export function firstErrorLine(lines: Iterable<string>): string | null {
  for (const l of lines) {
    const t = l.trim();
    if (t && !OWN_LINE.test(t) && !RUN_LINE.test(t) && !/^Traceback \(most recent call last\)/.test(t) && ERROR_LINE.test(t)) return t.slice(0, 300);
  }
  return null;
}

/** The `mlx run` arguments of a trial. */
export function mlxRunArgs(spec: LaunchSpec): string[] {
  // --flag=value, so a value starting with "-" is never read as a flag.
  return [
    `--tracking-uri=${spec.trackingUri}`,
    'run',
    `--experiment=${spec.experiment}`,
    `--name=${spec.runName}`,
    ...Object.entries(spec.params).map(([k, v]) => `--param=${k}=${v}`),
    ...Object.entries(spec.tags).map(([k, v]) => `--tag=${k}=${v}`),
    '--',
    ...spec.command,
  ];
}

/** Launches `node bin/mlx.js run … -- CMD` for one trial, in its own process group. */
export function spawnMlxRun(spec: LaunchSpec, bin: string = MLX_BIN): ChildHandle {
  const posix = process.platform !== 'win32';
  // Its own process group: a Ctrl-C on the terminal reaches only the sweep, which forwards it
  // once to every child, and kill() can take the command down with `mlx run`.
  const child = spawn(process.execPath, [bin, ...mlxRunArgs(spec)], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: posix,
    windowsHide: true,
  });
  let resolveId!: (id: string | null) => void;
  const runId = new Promise<string | null>((r) => (resolveId = r));
  let lastLine: string | null = null;
  let firstError: string | null = null;

  const lines = (stream: 'stdout' | 'stderr', src: NodeJS.ReadableStream) => {
    let held = '';
    const onLine = (line: string) => {
      if (stream === 'stderr') {
        const m = RUN_LINE.exec(line);
        if (m) resolveId(m[1]);
        else if (!OWN_LINE.test(line) && line.trim() !== '') {
          lastLine = line.trim().slice(0, 300);
          firstError ??= firstErrorLine([line]);
        }
      }
      spec.onLine?.(stream, line);
    };
    src.setEncoding('utf8');
    src.on('data', (chunk: string) => {
      const parts = (held + chunk).split('\n');
      held = parts.pop()!;
      for (const p of parts) onLine(p.replace(/\r$/, ''));
    });
    return new Promise<void>((resolve) =>
      src.on('end', () => {
        if (held) onLine(held);
        resolve();
      }),
    );
  };
  const streams = Promise.all([lines('stdout', child.stdout!), lines('stderr', child.stderr!)]);
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('error', (err) => {
      resolveId(null);
      resolve({ code: null, signal: null, lastLine, firstError, error: err.message });
    });
    child.on('close', async (code, signal) => {
      await streams;
      resolveId(null);
      resolve({ code, signal, lastLine, firstError });
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  return {
    runId,
    exited,
    stop(signal) {
      if (alive()) child.kill(signal);
    },
    kill() {
      if (!alive()) return;
      try {
        if (posix) process.kill(-child.pid!, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
  };
}
