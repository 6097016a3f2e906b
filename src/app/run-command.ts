import { spawn } from 'node:child_process';
import os from 'node:os';
import type { Writable } from 'node:stream';
import type { ArtifactRepository } from '../artifacts/repository.js';
import type { TrackingStore } from '../store/store.js';
import type { BatchEntry, RunStatus } from '../core/entities.js';
import { SYSTEM_TAGS } from '../core/entities.js';
import { parseProtocolLine, PROTOCOL_PREFIX } from '../core/log-protocol.js';

export const OUTPUT_ARTIFACT = 'logs/output.txt';

export interface RunCommandOptions {
  store: TrackingStore;
  runId: string;
  command: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where logs/output.txt goes: a local folder, or a tracking server (uploaded when the command ends). */
  artifacts: Pick<ArtifactRepository, 'openWriter'>;
  stdout: Writable;
  stderr: Writable;
  /** Where mlx's own warnings go (malformed ::mlx lines, refused values). */
  warn: (message: string) => void;
  /** How often buffered ::mlx entries are written, in ms. */
  flushIntervalMs?: number;
  /**
   * Run the command in a process group of its own and signal the whole group: for `sh -c CMD`
   * (pipeline stages), where a signal to the shell alone would leave what it started running.
   * The command gets no stdin (a background group reading the terminal would be stopped).
   */
  processGroup?: boolean;
  /** Started with the command's pid (system metrics, system-metrics.ts); stopped once it ends, before the run does. */
  sampler?: (pid: number) => { stop(): Promise<void> };
}

export interface RunCommandResult {
  status: RunStatus;
  exitCode: number;
  signal: NodeJS.Signals | null;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Splits a child's output into lines for `::mlx` parsing and returns what the terminal should
 * show: everything except complete `::mlx` lines (they are recorded, as GitHub Actions records
 * its workflow commands, and kept in logs/output.txt). Ordinary text, including partial lines
 * such as progress bars, passes through at once.
 */
export class ProtocolFilter {
  private held = '';
  private passing = false;
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): string {
    let out = '';
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', pos);
      const piece = chunk.slice(pos, nl < 0 ? undefined : nl);
      if (nl < 0) {
        if (this.passing) out += piece;
        else {
          const cand = this.held + piece;
          // Hold back only what may still become a protocol line.
          if (PROTOCOL_PREFIX.startsWith(cand) || cand.startsWith(PROTOCOL_PREFIX)) this.held = cand;
          else [out, this.held, this.passing] = [out + cand, '', true];
        }
        return out;
      }
      if (this.passing) {
        out += `${piece}\n`;
        this.onLine('');
      } else {
        const line = this.held + piece;
        this.onLine(line);
        if (!line.startsWith(PROTOCOL_PREFIX)) out += `${line}\n`;
      }
      [this.held, this.passing, pos] = ['', false, nl + 1];
    }
  }

  end(): string {
    const rest = this.held;
    this.held = '';
    if (!rest) return '';
    this.onLine(rest);
    return rest.startsWith(PROTOCOL_PREFIX) ? '' : rest;
  }
}

/**
 * Runs CMD without a shell as the body of a run: streams its output to the terminal and to the
 * run's logs/output.txt, logs its `::mlx` lines, forwards signals, and records how it ended.
 */
export async function runCommand(o: RunCommandOptions): Promise<RunCommandResult> {
  const output = o.artifacts.openWriter(OUTPUT_ARTIFACT);
  const log = output.stream;
  const pending: BatchEntry[] = [];
  let lineNo = 0;
  const onLine = (line: string) => {
    lineNo++;
    if (!line.startsWith(PROTOCOL_PREFIX)) return;
    try {
      const e = parseProtocolLine(line);
      if (e) pending.push(e);
    } catch (err) {
      o.warn(`ignored output line ${lineNo}: ${(err as Error).message}`);
    }
  };
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    flushing = flushing.then(() => writeEntries(o, pending.splice(0)));
    return flushing;
  };
  const timer = setInterval(flush, o.flushIntervalMs ?? 250);

  const [cmd, ...args] = o.command;
  const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: [o.processGroup ? 'ignore' : 'inherit', 'pipe', 'pipe'], detached: !!o.processGroup });
  const sampling = child.pid !== undefined ? o.sampler?.(child.pid) : undefined;
  let received: NodeJS.Signals | null = null;
  const forward = (sig: NodeJS.Signals) => {
    received = sig;
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (o.processGroup && child.pid !== undefined) {
      try {
        process.kill(-child.pid, sig);
        return;
      } catch {
        // the group is gone already: signal the child itself
      }
    }
    child.kill(sig);
  };
  for (const s of FORWARDED) process.on(s, forward);

  const pipe = (src: NodeJS.ReadableStream, dest: Writable) => {
    const filter = new ProtocolFilter(onLine);
    src.setEncoding('utf8');
    src.on('data', (chunk: string) => {
      log.write(chunk);
      const shown = filter.push(chunk);
      // Respect a slow terminal or pipe instead of buffering the child's output without bound.
      if (shown && !dest.write(shown)) {
        src.pause();
        dest.once('drain', () => src.resume());
      }
    });
    return new Promise<void>((resolve) =>
      src.on('end', () => {
        const rest = filter.end();
        if (rest) dest.write(rest);
        resolve();
      }),
    );
  };
  const streams = Promise.all([pipe(child.stdout!, o.stdout), pipe(child.stderr!, o.stderr)]);

  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  for (const s of FORWARDED) process.off(s, forward);
  await sampling?.stop();
  if (!ended.error) await streams;
  clearInterval(timer);
  await flush();
  // A lost output file is worth a warning, not a failed run: the command itself ran.
  await output.close().catch((err: Error) => o.warn(`could not store ${OUTPUT_ARTIFACT}: ${err.message}`));

  let exitCode: number;
  let status: RunStatus;
  if (ended.error) {
    const notFound = (ended.error as NodeJS.ErrnoException).code === 'ENOENT';
    o.warn(notFound ? `command not found: ${cmd}` : `could not start ${cmd}: ${ended.error.message}`);
    exitCode = notFound ? 127 : 126;
    status = 'FAILED';
  } else if (ended.signal || received) {
    const sig = ended.signal ?? received!;
    exitCode = ended.code ?? 128 + (os.constants.signals[sig] ?? 0);
    status = 'KILLED';
  } else {
    exitCode = ended.code ?? 1;
    status = exitCode === 0 ? 'FINISHED' : 'FAILED';
  }
  await o.store.setTag(o.runId, SYSTEM_TAGS.exitCode, String(exitCode));
  await o.store.updateRun(o.runId, { status, endTime: Date.now() });
  return { status, exitCode, signal: ended.signal };
}

/** Writes entries in one batch; if the batch is refused (say, a param changed), writes them one by one so the rest still land. */
async function writeEntries(o: RunCommandOptions, entries: BatchEntry[]): Promise<void> {
  if (entries.length === 0) return;
  try {
    await o.store.logBatch(o.runId, entries);
    return;
  } catch {
    // fall through to one-by-one
  }
  for (const e of entries) {
    try {
      if (e.type === 'metric') await o.store.logMetric(o.runId, e);
      else if (e.type === 'param') await o.store.logParam(o.runId, e.key, e.value);
      else await o.store.setTag(o.runId, e.key, e.value);
    } catch (err) {
      o.warn(`ignored ::mlx ${e.type} ${e.key}: ${(err as Error).message}`);
    }
  }
}
