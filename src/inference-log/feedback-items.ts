import { invalid } from '../core/errors.js';
import type { FeedbackItem } from './record.js';

const MAX_ID = 256;
const MAX_LABEL = 1000;

/** One feedback item from parsed JSON (a POST /feedback body or a JSON line), or an error naming where it came from. */
export function toFeedbackItem(value: unknown, where: string): FeedbackItem {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${where} is not an object {"request_id": "...", "label": ...}`);
  const o = value as Record<string, unknown>;
  return checked(o.request_id, o.label, where);
}

function checked(id: unknown, label: unknown, where: string): FeedbackItem {
  if (typeof id !== 'string' || id.trim() === '') throw invalid(`${where} has no request_id (the X-Mlx-Request-Id of the response)`);
  if (id.length > MAX_ID) throw invalid(`${where}: request_id is ${id.length} characters long; the limit is ${MAX_ID}`);
  if (label === undefined || label === null || label === '') throw invalid(`${where} (request_id ${JSON.stringify(id)}) has no label`);
  if (typeof label === 'number') {
    if (!Number.isFinite(label)) throw invalid(`${where}: label ${label} is not a finite number`);
  } else if (typeof label !== 'string') throw invalid(`${where}: label must be a string or a number, not ${Array.isArray(label) ? 'a list' : typeof label}`);
  else if (label.length > MAX_LABEL) throw invalid(`${where}: label is ${label.length} characters long; the limit is ${MAX_LABEL}`);
  return { request_id: id.trim(), label };
}

/**
 * Feedback items from a file's text: JSON lines ({"request_id","label"} per line) when the
 * first non-blank character is `{`, else CSV with a header holding request_id and label.
 * Everything is checked before anything is returned; an empty input is an error.
 */
export async function parseFeedbackText(text: string, source: string): Promise<FeedbackItem[]> {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw invalid(`${source} is empty; give CSV (request_id,label) or JSON lines ({"request_id": ..., "label": ...})`);
  const items = body.trimStart().startsWith('{') ? jsonLinesItems(body, source) : await csvItems(body, source);
  if (items.length === 0) throw invalid(`${source} has no feedback rows, only a header`);
  return items;
}

function jsonLinesItems(text: string, source: string): FeedbackItem[] {
  const items: FeedbackItem[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw invalid(`${source} line ${i + 1} is not valid JSON; JSON lines files hold one {"request_id": ..., "label": ...} per line`, err);
    }
    items.push(toFeedbackItem(value, `${source} line ${i + 1}`));
  });
  return items;
}

async function csvItems(text: string, source: string): Promise<FeedbackItem[]> {
  const { parse } = await import('csv-parse/sync');
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw invalid(`${source} is not valid CSV: ${(err as Error).message.split('\n')[0]}`, err);
  }
  const header = records[0].map((h) => h.trim());
  const [id, label] = [header.indexOf('request_id'), header.indexOf('label')];
  if (id < 0 || label < 0)
    throw invalid(`${source}: the CSV header must name the columns request_id and label (it has ${header.map((h) => JSON.stringify(h)).join(', ')})`);
  return records.slice(1).map((r, i) => checked(r[id], r[label]?.trim(), `${source} row ${i + 2}`));
}
