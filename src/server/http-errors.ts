import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { MlxError, type ErrorCode } from '../core/errors.js';
import { ImageTooLarge } from '../serving/image-limits.js';

/**
 * Whose error codes a body carries: MLflow's tracking server (`mlx server`, as MLflow's REST
 * clients read them) or MLflow's scoring server (`mlx serve`'s /invocations and /predict, as
 * clients of `mlflow models serve` read them). The statuses are the same for both.
 */
export type Dialect = 'tracking' | 'scoring';

/** An answer with a status of its own, outside the MlxError codes: no such route (404), a media type (415), a conflict (409). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A request (its body, its rows, its form) over a limit the server keeps: 413. */
export class TooLarge extends Error {}

interface Row {
  status: number;
  /** The error_code each dialect answers with. */
  tracking: string;
  scoring: string;
}

const same = (status: number, code: string): Row => ({ status, tracking: code, scoring: code });

/**
 * The one table from MlxError codes to HTTP: MLflow's statuses (ERROR_CODE_TO_HTTP_STATUS in
 * mlflow/exceptions.py), except INVALID_STATE, 500 there and 400 here as mlx has always answered
 * it (mlx says it of a request that what is stored refuses, not of a server fault). The scoring
 * server answers bad input with BAD_REQUEST where the tracking server says INVALID_PARAMETER_VALUE
 * (mlflow/pyfunc/scoring_server), so each dialect keeps its own.
 * USAGE (a bad flag, exit code 2) is mlx's own code, which MLflow's clients do not know: over HTTP
 * it is a bad parameter like any other.
 */
const TABLE: Record<ErrorCode, Row> = {
  INVALID_PARAMETER_VALUE: { status: 400, tracking: 'INVALID_PARAMETER_VALUE', scoring: 'BAD_REQUEST' },
  USAGE: { status: 400, tracking: 'INVALID_PARAMETER_VALUE', scoring: 'BAD_REQUEST' },
  BAD_REQUEST: same(400, 'BAD_REQUEST'),
  INVALID_STATE: same(400, 'INVALID_STATE'),
  RESOURCE_ALREADY_EXISTS: same(400, 'RESOURCE_ALREADY_EXISTS'),
  RESOURCE_DOES_NOT_EXIST: same(404, 'RESOURCE_DOES_NOT_EXIST'),
  UNAUTHENTICATED: same(401, 'UNAUTHENTICATED'),
  // A store mlx may read but not write: refused like a read-only index (Elasticsearch's 403), not
  // a 500 that MLflow clients would retry for minutes.
  PERMISSION_DENIED: same(403, 'PERMISSION_DENIED'),
  TEMPORARILY_UNAVAILABLE: same(503, 'TEMPORARILY_UNAVAILABLE'),
  INTERNAL_ERROR: same(500, 'INTERNAL_ERROR'),
};

// Each server has answered its 413s with its own code since its first release; clients match on them.
// (MLflow's REQUEST_LIMIT_EXCEEDED is its rate limit, 429; mlx server uses the name for a size limit.)
const TOO_LARGE: Row = { status: 413, tracking: 'REQUEST_LIMIT_EXCEEDED', scoring: 'REQUEST_TOO_LARGE' };

/** The code and status of a body that stopped arriving, which listen() answers on the socket itself. */
export const BODY_TIMEOUT = { status: 408, code: 'BAD_REQUEST' } as const;

export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  /** Nothing a route meant to answer: a bug or a failure below, for the server's log. */
  unexpected: boolean;
}

/** Status, code and message for anything a route threw, in a dialect's codes; unknown errors are a 500 with their first line. */
export function httpFailure(err: unknown, dialect: Dialect): HttpFailure {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, unexpected: false };
  // The body was within the limit; what it decodes to is not.
  if (err instanceof TooLarge || err instanceof ImageTooLarge)
    return { status: TOO_LARGE.status, code: TOO_LARGE[dialect], message: err.message, unexpected: false };
  if (err instanceof MlxError) {
    const row = TABLE[err.code] ?? TABLE.INTERNAL_ERROR;
    return { status: row.status, code: row[dialect], message: err.message, unexpected: false };
  }
  return { status: 500, code: 'INTERNAL_ERROR', message: String((err as Error)?.message ?? err).split('\n')[0], unexpected: true };
}

/**
 * Whether the client went away before its request had arrived (or listen() cut a body that stopped
 * arriving, and answered 408 itself): the failed read is not the server's error, and nobody hears
 * the answer.
 */
export function clientLeft(c: Context): boolean {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return !!incoming && !incoming.complete && incoming.socket?.destroyed !== false;
}
