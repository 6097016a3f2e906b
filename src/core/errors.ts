/** Error codes, named as in MLflow's databricks_pb2.ErrorCode so REST clients see familiar values. */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'BAD_REQUEST'
  | 'USAGE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** The one error type of mlx: a stable code and a one-line message saying what was wrong and what to do. */
export class MlxError extends Error {
  readonly code: ErrorCode;
  /** options.cause: the error this one reports (a driver's, the file system's), shown by MLX_DEBUG=1. */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MlxError';
    this.code = code;
  }
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  USAGE: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  UNAUTHENTICATED: 401,
  // A store mlx may read but not write: refused like a read-only index (Elasticsearch's 403), not
  // a 500 that MLflow clients would retry for minutes.
  PERMISSION_DENIED: 403,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

/** HTTP status for an error code (the same table as MLflow's). */
export function toHttpStatus(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

/** Process exit code for an error: 2 for usage errors, 1 for everything else. */
export function toExitCode(err: unknown): number {
  if (err instanceof MlxError && err.code === 'USAGE') return 2;
  return 1;
}

export const invalid = (message: string) => new MlxError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string) => new MlxError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string) => new MlxError('RESOURCE_ALREADY_EXISTS', message);
/** A usage error (exit 2): a bad flag or argument, a value the command cannot take, options that do not go together. */
export const usage = (message: string) => new MlxError('USAGE', message);
