import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { invalid } from './errors.js';
import { jsonNestsDeeperThan, tooDeepText } from './json-depth.js';

/**
 * Streams a JSON lines input as parsed values with their 1-based line numbers, skipping blank
 * lines; a line that is not JSON is an error naming the source and the line.
 */
export async function* jsonLines(input: Readable, label: string): AsyncGenerator<{ line: number; value: unknown }> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    // Rows are read by walkers that recurse (String(), JSON.stringify): refuse before they overflow.
    if (jsonNestsDeeperThan(text)) throw invalid(`${label} line ${line} ${tooDeepText()}`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw invalid(`${label} line ${line} is not valid JSON; JSON lines files hold one value per line`, err);
    }
    yield { line, value };
  }
}

/** A JSON object (not an array or a scalar), or an error naming the line. */
export function asObject(value: unknown, label: string, line: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${label} line ${line} is not a JSON object`);
  return value as Record<string, unknown>;
}
