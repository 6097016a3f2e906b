import type { Context } from 'hono';
import { invalid } from '../../core/errors.js';
import { parseJsonBody, readBody } from '../read-body.js';
import { HttpError } from './errors.js';
import type { ServingState } from './state.js';

/** The request body within --max-body-mb, else a 413 naming the flag. */
export function requestBody(c: Context, state: ServingState): Promise<Buffer> {
  return readBody(
    c,
    state.maxBodyBytes,
    () => new HttpError(413, 'REQUEST_TOO_LARGE', `the request body is over ${Math.round(state.maxBodyBytes / 1024 / 1024)} MB (--max-body-mb)`),
  );
}

/** The request body parsed as JSON, else a 400. */
export async function requestJson(c: Context, state: ServingState): Promise<unknown> {
  return parseJsonBody(await requestBody(c, state), () => invalid('the body is not valid JSON'));
}
