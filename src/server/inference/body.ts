import type { Context } from 'hono';
import { invalid } from '../../core/errors.js';
import { DEFAULT_MAX_ROWS, LIMIT_WORDS } from '../../serving/defaults.js';
import { parseJsonBody, readBody } from '../read-body.js';
import { HttpError, TooLarge } from '../http-errors.js';
import type { ServingState } from './state.js';

/** The request body within the body size limit, else a 413 naming it. */
export function requestBody(c: Context, state: ServingState): Promise<Buffer> {
  return readBody(
    c,
    state.maxBodyBytes,
    () => new TooLarge(`the request body is over ${Math.round(state.maxBodyBytes / 1024 / 1024)} MB (${(state.limitNames ?? LIMIT_WORDS).maxBodyMb})`),
  );
}

/** The request body parsed as JSON, else a 400. */
export async function requestJson(c: Context, state: ServingState): Promise<unknown> {
  return parseJsonBody(await requestBody(c, state), () => invalid('the body is not valid JSON'));
}

/**
 * A 415 unless the request says it is JSON. Web pages can send text/plain, form-encoded and multipart
 * bodies (or bytes with no type) to any server without a CORS preflight; application/json they cannot.
 * allowNone: a missing type passes too (Triton's HTTP client sends JSON without one).
 */
export function requireJsonType(c: Context, what: string, opts: { allowNone?: boolean } = {}): void {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || (opts.allowNone && type === '')) return;
  throw new HttpError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `content type ${JSON.stringify(type || 'none')} is not accepted: ${what} takes application/json (curl: -H 'content-type: application/json')`,
  );
}

/** The most rows a request may hold. */
export function maxRows(state: ServingState): number {
  return state.maxRows ?? DEFAULT_MAX_ROWS;
}

/** The 413 for a request over the row limit; `count` when it is known (JSON), else the body was cut short at the limit (CSV). */
export function tooManyRows(state: ServingState, count?: number): TooLarge {
  const max = maxRows(state);
  const name = (state.limitNames ?? LIMIT_WORDS).maxRows;
  const has = count === undefined ? `more than ${max.toLocaleString('en-US')} rows` : `${count.toLocaleString('en-US')} rows`;
  return new TooLarge(
    `the request has ${has}; a request may have at most ${max.toLocaleString('en-US')} (${name} ${max}): split it into smaller requests, or raise ${name}`,
  );
}

/**
 * Refuses a request of more than the row limit's rows, counted before any tensor is built: the
 * length of a list of rows, or the first dimension of a tensor (its batch).
 */
export function checkRows(state: ServingState, count: number): void {
  if (count > maxRows(state)) throw tooManyRows(state, count);
}
