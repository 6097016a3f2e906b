import { MlxError, type ErrorCode } from '../core/errors.js';

/** Error codes the CLI knows; anything else a server sends is mapped by HTTP status. */
const KNOWN_CODES = new Set<ErrorCode>([
  'INVALID_PARAMETER_VALUE',
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'INVALID_STATE',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'INTERNAL_ERROR',
]);

function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'UNAUTHENTICATED';
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 409) return 'RESOURCE_ALREADY_EXISTS';
  if (status >= 400 && status < 500) return 'INVALID_PARAMETER_VALUE';
  return 'INTERNAL_ERROR';
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

/** Why a fetch failed, from the error undici wraps in `cause` (possibly an AggregateError of several addresses). */
function transportReason(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause as { code?: string; errors?: { code?: string }[]; message?: string } | undefined;
  const code = cause?.code ?? cause?.errors?.find((e) => e?.code)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return oneLine(code ?? cause?.message ?? (err as Error)?.message ?? String(err));
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** The credentials MLflow clients read: a bearer token (MLX_TRACKING_TOKEN or MLFLOW_TRACKING_TOKEN), else basic auth; and where they came from. */
export function authHeader(env: NodeJS.ProcessEnv): { header: string; from: string } | undefined {
  if (env.MLX_TRACKING_TOKEN) return { header: `Bearer ${env.MLX_TRACKING_TOKEN}`, from: 'MLX_TRACKING_TOKEN' };
  if (env.MLFLOW_TRACKING_TOKEN) return { header: `Bearer ${env.MLFLOW_TRACKING_TOKEN}`, from: 'MLFLOW_TRACKING_TOKEN' };
  if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD)
    return {
      header: `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`).toString('base64')}`,
      from: 'MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD',
    };
  return undefined;
}

/** Checks an http(s) tracking URI and returns it without a trailing slash. */
export function normalizeServerUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (err) {
    throw new MlxError('USAGE', `tracking URI ${JSON.stringify(uri)} is not a valid URL; give e.g. http://127.0.0.1:5000`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MlxError('USAGE', `tracking URI ${JSON.stringify(uri)} must start with http:// or https://`);
  if (url.search || url.hash) throw new MlxError('USAGE', `tracking URI ${JSON.stringify(uri)} must not have a query or fragment`);
  return uri.replace(/\/+$/, '');
}

/**
 * HTTP to a tracking server (mlx server or MLflow): JSON in and out, the bearer token on every
 * request, and every failure turned into a one-line MlxError. Node's fetch keeps connections alive.
 */
export class RestClient {
  readonly base: string;
  private readonly auth: { header: string; from: string } | undefined;

  constructor(uri: string, opts: { env?: NodeJS.ProcessEnv; token?: string } = {}) {
    this.base = normalizeServerUri(uri);
    this.auth = opts.token !== undefined ? { header: `Bearer ${opts.token}`, from: 'the given token' } : authHeader(opts.env ?? process.env);
  }

  /** Calls a JSON endpoint, e.g. call('GET', 'mlflow/runs/get', {run_id}); GET fields go in the query, others in the body. */
  async call<T = Record<string, unknown>>(method: HttpMethod, endpoint: string, fields: Record<string, unknown> = {}): Promise<T> {
    const path = `/api/2.0/${endpoint}`;
    const isGet = method === 'GET';
    const res = await this.fetch(method, isGet ? `${path}${queryString(fields)}` : path, {
      headers: isGet ? {} : { 'content-type': 'application/json' },
      body: isGet ? undefined : JSON.stringify(fields),
    });
    if (!res.ok) await this.fail(res, method, path);
    const text = await res.text();
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new MlxError(
        'INTERNAL_ERROR',
        `the tracking server at ${this.base} answered ${method} ${path} with something other than JSON; is it an mlx or MLflow server?`,
        { cause: answered(res, method, path, text, err) },
      );
    }
  }

  /** A raw request below the server root (artifact transfers); transport failures become MlxErrors, HTTP errors are left to the caller. */
  async fetch(
    method: HttpMethod,
    pathAndQuery: string,
    init: { headers?: Record<string, string>; body?: string | Blob | Uint8Array; duplex?: 'half' } = {},
  ): Promise<Response> {
    // mlx's model facts among a version's tags (an mlx server gives them only to clients that ask; MLflow ignores the header).
    const headers: Record<string, string> = { 'x-mlx-model-facts': 'true', ...init.headers };
    if (this.auth) headers.authorization = this.auth.header;
    try {
      return await fetch(`${this.base}${pathAndQuery}`, { method, headers, body: init.body, ...(init.duplex ? { duplex: init.duplex } : {}) } as RequestInit);
    } catch (err) {
      throw new MlxError(
        'INTERNAL_ERROR',
        `cannot reach the tracking server at ${this.base}: ${transportReason(err)}; start it with \`mlx server\` or fix MLX_TRACKING_URI`,
        { cause: err },
      );
    }
  }

  /** Turns an error response into an MlxError: the server's own code and message when it sent MLflow's error shape. */
  async fail(res: Response, method: string, path: string): Promise<never> {
    const text = await res.text().catch(() => '');
    let body: { error_code?: unknown; message?: unknown } | null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    // What came back, as it came, for MLX_DEBUG=1: the one-line message below keeps only the gist.
    const cause = answered(res, method, path, text);
    const sent = typeof body?.error_code === 'string' ? body.error_code : undefined;
    const message = typeof body?.message === 'string' && body.message.trim() !== '' ? oneLine(body.message) : undefined;
    if ((res.status === 403 || sent === 'PERMISSION_DENIED') && message)
      // Not the token but the request: e.g. a server without --token refusing a Host name it does not serve.
      throw new MlxError('UNAUTHENTICATED', `the tracking server at ${this.base} refused ${method} ${path} (${res.status}): ${message}`, { cause });
    if (res.status === 401 || res.status === 403 || sent === 'UNAUTHENTICATED') {
      const why = this.auth
        ? `refused the credentials in ${this.auth.from} (${res.status}); set the token the server was started with`
        : `needs a token (${res.status}); set MLX_TRACKING_TOKEN to the token the server was started with`;
      throw new MlxError('UNAUTHENTICATED', `the tracking server at ${this.base} ${why}`, { cause });
    }
    // MLflow's switched-off routes (--no-serve-artifacts, --artifacts-only) answer plain text that already says what to do.
    if (res.status === 503 && /^Endpoint: \S+ disabled due to the mlflow server running /.test(text))
      throw new MlxError('TEMPORARILY_UNAVAILABLE', `the tracking server at ${this.base} refused ${method} ${path} (503): ${oneLine(text).slice(0, 400)}`, {
        cause,
      });
    if (!message || sent === 'ENDPOINT_NOT_FOUND') {
      const what = res.status === 404 || sent === 'ENDPOINT_NOT_FOUND' ? 'does not know' : `answered ${res.status} ${res.statusText} to`;
      const detail = message ?? oneLine(text).slice(0, 200);
      throw new MlxError(
        codeForStatus(res.status),
        `the tracking server at ${this.base} ${what} ${method} ${path}${detail ? ` (${detail})` : ''}; is MLX_TRACKING_URI an mlx or MLflow server?`,
        { cause },
      );
    }
    const code = sent && KNOWN_CODES.has(sent as ErrorCode) ? (sent as ErrorCode) : codeForStatus(res.status);
    throw new MlxError(code, message, { cause });
  }
}

/** The most of an answer's body a cause keeps: enough for an HTML error page's gist. */
const ANSWER_CHARS = 2000;

/** A server's answer as an error (status, endpoint, body as sent), the cause of the one-line MlxError made of it. */
function answered(res: Response, method: string, path: string, text: string, cause?: unknown): Error {
  const body = text.length > ANSWER_CHARS ? `${text.slice(0, ANSWER_CHARS)}… (${text.length} characters)` : text;
  return new Error(`${method} ${path} answered ${res.status} ${res.statusText}: ${body}`, cause === undefined ? undefined : { cause });
}

/** ?a=1&b=x&b=y: arrays repeat, undefined is left out. */
export function queryString(fields: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
