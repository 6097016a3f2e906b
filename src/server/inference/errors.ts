import type { Context } from 'hono';
import { MlxError, toHttpStatus } from '../../core/errors.js';
import { ImageTooLarge } from '../../serving/image-limits.js';
import { NotReadyError } from './state.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Status, code and message for anything a route threw. */
export function describeError(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message };
  // The body was within --max-body-mb; what it decodes to is not.
  if (err instanceof ImageTooLarge) return { status: 413, code: 'REQUEST_TOO_LARGE', message: err.message };
  if (err instanceof NotReadyError) return { status: 503, code: 'TEMPORARILY_UNAVAILABLE', message: err.message };
  if (err instanceof MlxError) return { status: toHttpStatus(err.code), code: err.code === 'INVALID_PARAMETER_VALUE' ? 'BAD_REQUEST' : err.code, message: err.message };
  return { status: 500, code: 'INTERNAL_ERROR', message: `inference failed: ${String((err as Error)?.message ?? err).split('\n')[0]}` };
}

/**
 * Errors in each protocol's own shape: Open Inference Protocol routes answer {"error": …},
 * the others MLflow's {"error_code": …, "message": …}.
 */
export function errorResponse(c: Context, err: unknown): Response {
  const { status, code, message } = describeError(err);
  const body = c.req.path.startsWith('/v2') ? { error: message } : { error_code: code, message };
  // A 413 answers before the upload was read: the connection cannot be reused for the next request.
  // A 503 (loading, or the queue is full) tells clients when to try again.
  const headers: Record<string, string> | undefined = status === 413 ? { Connection: 'close' } : status === 503 ? { 'Retry-After': '1' } : undefined;
  return c.json(body, status as 400, headers);
}
