import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { BatchEntry } from './entities.js';
import { invalid, MlxError } from './errors.js';
import { fileError } from './file-errors.js';
import { jsonNestsDeeperThan, tooDeepText } from './json-depth.js';

function decodeValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity' || v === 'inf') return Infinity;
  if (v === '-Infinity' || v === '-inf') return -Infinity;
  return undefined;
}

/** Turns one parsed JSON line into an entry, or explains what is wrong with it. */
export function toBatchEntry(obj: unknown, now: number): BatchEntry {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('expected a JSON object');
  const o = obj as Record<string, unknown>;
  if (typeof o.key !== 'string') throw new Error('"key" must be a string');
  if (o.type === 'metric') {
    const value = decodeValue(o.value);
    if (value === undefined) throw new Error(`metric "value" must be a number (or "NaN", "Infinity", "-Infinity"), got ${JSON.stringify(o.value)}`);
    const step = o.step ?? 0;
    if (typeof step !== 'number' || !Number.isSafeInteger(step)) throw new Error(`"step" must be an integer, got ${JSON.stringify(o.step)}`);
    const ts = o.timestamp ?? now;
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)
      throw new Error(`"timestamp" must be an integer of epoch milliseconds, got ${JSON.stringify(o.timestamp)}`);
    return { type: 'metric', key: o.key, value, step, timestamp: ts };
  }
  if (o.type === 'param' || o.type === 'tag') {
    const v = o.value;
    if (v === undefined || v === null || typeof v === 'object') throw new Error(`${o.type} "value" must be a string, number or boolean`);
    return { type: o.type, key: o.key, value: String(v) };
  }
  throw new Error(`"type" must be "metric", "param" or "tag", got ${JSON.stringify(o.type)}`);
}

export interface BatchLines {
  entries: AsyncGenerator<BatchEntry>;
  /** The line being read, so errors raised while storing an entry can name it. */
  readonly line: number;
}

/**
 * Streams JSON lines as batch entries. A malformed line becomes an MlxError naming the source
 * and line number, so the caller's transaction rolls back and nothing of the file is written.
 */
export function readBatchLines(input: Readable, sourceName: string): BatchLines {
  const state = { line: 0 };
  async function* entries(): AsyncGenerator<BatchEntry> {
    const rl = createInterface({ input, crlfDelay: Infinity });
    const now = Date.now();
    try {
      for await (const line of rl) {
        state.line++;
        if (line.trim() === '') continue;
        // The messages below quote the value with JSON.stringify, which recurses.
        if (jsonNestsDeeperThan(line)) throw invalid(`${sourceName} line ${state.line} ${tooDeepText()}`);
        let entry: BatchEntry;
        try {
          entry = toBatchEntry(JSON.parse(line), now);
        } catch (err) {
          const why = err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as Error).message;
          throw invalid(`${sourceName} line ${state.line}: ${why}`, err);
        }
        yield entry;
      }
    } catch (err) {
      // A read that failed is the file's, said as such: a raw EACCES would pass for the store's.
      throw fileError(err, `batch file ${JSON.stringify(sourceName)}`);
    } finally {
      rl.close();
    }
  }
  return {
    entries: entries(),
    get line() {
      return state.line;
    },
  };
}

/** Prefixes an error raised while storing an entry with the line it came from. */
export function atLine(err: unknown, sourceName: string, line: number): unknown {
  // Line 0: nothing was read yet (say, the run is deleted), so no line is at fault.
  if (err instanceof MlxError && line > 0 && !err.message.startsWith(`${sourceName} line `))
    return new MlxError(err.code, `${sourceName} line ${line}: ${err.message}`, { cause: err });
  return err;
}
