import type { Hono } from 'hono';
import { invalid } from '../../core/errors.js';
import { toFeedbackItem } from '../../inference-log/feedback-items.js';
import type { FeedbackItem } from '../../inference-log/record.js';
import { requestJson, requireJsonType } from './body.js';
import { HttpError } from '../http-errors.js';
import type { ServingState } from './state.js';

const SHAPES = '{"request_id": "…", "label": …}, {"feedback": [{"request_id", "label"}, …]} or a JSON array of them';

/** The feedback items of a POST /feedback body: one item, {"feedback": [...]}, or a plain array. */
export function feedbackItems(body: unknown): FeedbackItem[] {
  let list: unknown[];
  if (Array.isArray(body)) list = body;
  else if (body && typeof body === 'object' && Array.isArray((body as { feedback?: unknown }).feedback)) list = (body as { feedback: unknown[] }).feedback;
  else if (body && typeof body === 'object' && 'request_id' in body) list = [body];
  else throw invalid(`the body must be ${SHAPES}`);
  if (list.length === 0) throw invalid('no feedback items: send at least one {"request_id", "label"}');
  const single = list.length === 1 && !Array.isArray(body) && !('feedback' in (body as object));
  // The same checks as `mlx feedback FILE`.
  return list.map((x, i) => toFeedbackItem(x, single ? 'the body' : `feedback[${i}]`));
}

/** POST /feedback: ground truth for logged predictions, joined by request id (needs --log-inputs). */
export function feedbackRoutes(app: Hono, state: ServingState): void {
  app.post('/feedback', async (c) => {
    // Ground truth drives mlx monitor's accuracy and its retraining trigger: no other site's page may write it.
    requireJsonType(c, '/feedback');
    const sink = state.sink;
    if (!sink) throw new HttpError(409, 'INVALID_STATE', 'start mlx serve with --log-inputs to collect feedback');
    const items = feedbackItems(await requestJson(c, state));
    // {matched, unknown} (and whatever else the log reports, e.g. labels for requests it sampled out).
    return c.json(await sink.feedback(items));
  });
}
