import type { Context } from 'hono';
import { MlxError } from '../../core/errors.js';
import { clientLeft, httpFailure } from '../http-errors.js';

/**
 * Errors in each protocol's own shape, with the statuses and codes of the one table
 * (server/http-errors.ts): Open Inference Protocol routes answer {"error": …}, the others
 * MLflow's scoring server's {"error_code": …, "message": …}.
 */
export function errorResponse(c: Context, err: unknown): Response {
  // A read that failed because the client is gone is not the model's failure (and nobody hears this answer).
  const left = clientLeft(c) && httpFailure(err, 'scoring').unexpected;
  const { status, code, message, unexpected } = httpFailure(
    left ? new MlxError('BAD_REQUEST', 'the connection closed before the request arrived', { cause: err }) : err,
    'scoring',
  );
  const text = unexpected ? `inference failed: ${message}` : message;
  const body = c.req.path.startsWith('/v2') ? { error: text } : { error_code: code, message: text };
  // A 413 answers before the upload was read: the connection cannot be reused for the next request.
  // A 503 (loading, or the queue is full) tells clients when to try again.
  const headers: Record<string, string> | undefined = status === 413 ? { Connection: 'close' } : status === 503 ? { 'Retry-After': '1' } : undefined;
  return c.json(body, status as 400, headers);
}
