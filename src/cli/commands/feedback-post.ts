import { MlxError } from '../../core/errors.js';
import type { FeedbackItem, FeedbackResult } from '../../inference-log/record.js';

/** --server: an http(s) URL of a model server, without a trailing slash. */
export function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MlxError('USAGE', `--server ${JSON.stringify(text)} must be the http(s) URL of a running mlx serve, e.g. http://127.0.0.1:8000`);
  return text.replace(/\/+$/, '');
}

/**
 * POSTs every item to the model server's /feedback in one request (joined there in one transaction,
 * as `mlx feedback FILE` does locally), with the server's token when there is one.
 */
export async function postFeedback(server: string, items: FeedbackItem[], token: string | undefined): Promise<FeedbackResult> {
  let res: Response;
  try {
    res = await fetch(`${server}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ feedback: items }),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new MlxError(
      'TEMPORARILY_UNAVAILABLE',
      `cannot reach the model server at ${server} (${cause?.code ?? cause?.message ?? (err as Error).message}); check that mlx serve is running there`,
      { cause: err },
    );
  }
  const text = await res.text();
  let body: { matched?: unknown; unknown?: unknown; message?: unknown; error?: unknown } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: not mlx serve, or a proxy's error page.
  }
  if (res.status === 401)
    throw new MlxError(
      'UNAUTHENTICATED',
      token
        ? `the model server at ${server} refused the token (401); pass the token mlx serve was started with (--token or MLX_SERVE_TOKEN)`
        : `the model server at ${server} needs a token (401); pass --token or set MLX_SERVE_TOKEN to the token mlx serve was started with`,
    );
  if (!res.ok) {
    const why = typeof body?.message === 'string' ? body.message : text.split('\n')[0].slice(0, 200);
    throw new MlxError('INVALID_STATE', `the model server at ${server} answered ${res.status}: ${why}`);
  }
  if (!body || typeof body.matched !== 'number' || !Array.isArray(body.unknown))
    throw new MlxError('BAD_REQUEST', `${server}/feedback did not answer {"matched", "unknown"}; is ${server} an mlx serve?`);
  return { matched: body.matched, unknown: body.unknown as string[] };
}
