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
    // No `cause` key at all without one: Error sets the key even when it is given as undefined.
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlxError';
    this.code = code;
  }
}

/** Process exit code for an error: 2 for usage errors, 1 for everything else. */
export function toExitCode(err: unknown): number {
  if (err instanceof MlxError && err.code === 'USAGE') return 2;
  return 1;
}

/** A bad value from the user; `cause`: the error this one reports, if any. */
export const invalid = (message: string, cause?: unknown) => new MlxError('INVALID_PARAMETER_VALUE', message, { cause });
/** Something named that is not there. */
export const notFound = (message: string, cause?: unknown) => new MlxError('RESOURCE_DOES_NOT_EXIST', message, { cause });
/** Something to create that is there already. */
export const alreadyExists = (message: string, cause?: unknown) => new MlxError('RESOURCE_ALREADY_EXISTS', message, { cause });

/**
 * The errors below `err` through `cause`, nearest first: at most `depth` of them, and each once
 * (a cause that leads back to an error already listed ends the chain).
 */
export function causeChain(err: unknown, depth = 8): unknown[] {
  const seen = new Set<unknown>([err]);
  const chain: unknown[] = [];
  let next = (err as { cause?: unknown } | null)?.cause;
  while (next !== undefined && next !== null && !seen.has(next) && chain.length < depth) {
    seen.add(next);
    chain.push(next);
    next = typeof next === 'object' ? (next as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

/** A usage error (exit 2): a bad flag or argument, a value the command cannot take, options that do not go together. */
export const usage = (message: string, cause?: unknown) => new MlxError('USAGE', message, { cause });
