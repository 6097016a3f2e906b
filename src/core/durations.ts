import { MlxError } from './errors.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration flag such as 90s, 10m, 1.5h or 2d, in milliseconds (positive), else a usage error naming the flag. */
export function parseDuration(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * UNITS[m[2]]) : NaN;
  if (!(ms > 0)) throw new MlxError('USAGE', `${flag} ${JSON.stringify(text)} is not a duration; give a positive number with a unit: 30s, 10m, 1h or 2d`);
  return ms;
}

/**
 * A point in time as --since / --until take it: a duration ago (30m, 1h), or an ISO 8601
 * date or date-time (2026-11-26, 2026-11-26T10:00, local time unless it names a zone).
 */
export function parseTimeFlag(flag: string, text: string, now: number): number {
  if (/^\s*\d+(\.\d+)?\s*[smhd]\s*$/.test(text)) return now - parseDuration(flag, text);
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    // A bare date would be read as UTC midnight by Date; people mean their own midnight.
    const ms = Date.parse(t.length === 10 ? `${t}T00:00` : t.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  throw new MlxError('USAGE', `${flag} ${JSON.stringify(text)} is neither a duration ago (30m, 1h, 2d) nor a date-time such as 2026-11-26T10:00`);
}
