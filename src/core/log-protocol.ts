import type { BatchEntry } from './entities.js';
import { invalid } from './errors.js';
import { parseInteger, parseMetricValue, validateKey, validateParamValue, validateTagValue } from './validation.js';

export const PROTOCOL_PREFIX = '::mlx ';

/**
 * Parses one line a training script printed. Returns null for ordinary output, the entry for
 * `::mlx metric KEY=VALUE [step=N] [timestamp=MS]`, `::mlx param KEY=VALUE`, `::mlx tag KEY=VALUE`,
 * and throws MlxError for a line that starts with `::mlx ` but is malformed.
 */
export function parseProtocolLine(line: string, now: () => number = Date.now): BatchEntry | null {
  if (!line.startsWith(PROTOCOL_PREFIX)) return null;
  const body = line.slice(PROTOCOL_PREFIX.length).replace(/\r$/, '');
  const sp = body.indexOf(' ');
  const kind = sp < 0 ? body : body.slice(0, sp);
  const rest = sp < 0 ? '' : body.slice(sp + 1).trim();
  const eq = rest.indexOf('=');
  if (kind !== 'metric' && kind !== 'param' && kind !== 'tag') throw invalid(`unknown ::mlx command ${JSON.stringify(kind)}; use metric, param or tag`);
  if (eq <= 0) throw invalid(`::mlx ${kind} line ${JSON.stringify(line)} is not of the form KEY=VALUE`);
  const key = rest.slice(0, eq).trim();
  validateKey(kind, key);
  const after = rest.slice(eq + 1);
  if (kind === 'param') {
    validateParamValue(key, after);
    return { type: 'param', key, value: after };
  }
  if (kind === 'tag') {
    validateTagValue(key, after);
    return { type: 'tag', key, value: after };
  }
  const [valueText, ...opts] = after.trim().split(/\s+/);
  const value = parseMetricValue(key, valueText ?? '');
  let step = 0;
  let timestamp: number | undefined;
  for (const opt of opts) {
    const m = /^(step|timestamp)=(.*)$/.exec(opt);
    if (!m) throw invalid(`::mlx metric ${key}: unexpected ${JSON.stringify(opt)}; only step=N and timestamp=MS may follow the value`);
    if (m[1] === 'step') step = parseInteger('step', m[2]);
    else timestamp = parseInteger('timestamp', m[2]);
  }
  return { type: 'metric', key, value, step, timestamp: timestamp ?? now() };
}
