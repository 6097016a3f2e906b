// The UI's only way to the server: MLflow REST 2.0 (ajax-api), mlx extensions and the artifact
// proxy, each call carrying the Bearer token from the login form when there is one.

const TOKEN_KEY = 'mlx.token';
const MLFLOW = '/ajax-api/2.0/mlflow/';
const MLX = '/ajax-api/2.0/mlx/';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts/';

export const getToken = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
export const setToken = (t) => (t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY));

/** An error answer of the server: error_code and message as MLflow sends them. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}) {
  const t = getToken();
  // The UI shows mlx's model facts (sha256, signature, …), which the server adds to a version's tags when asked.
  const all = { 'X-MLX-Model-Facts': 'true', ...extra };
  return t ? { ...all, Authorization: `Bearer ${t}` } : all;
}

async function send(url, init = {}) {
  let res;
  try {
    res = await fetch(url, { ...init, headers: headers(init.headers) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `cannot reach the server: ${err.message}`);
  }
  if (res.ok) return res;
  let code = 'HTTP_' + res.status;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    code = body.error_code ?? code;
    message = body.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(res.status, code, message);
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** GET an MLflow endpoint, e.g. get('runs/get', {run_id}). */
export async function get(endpoint, params) {
  return (await send(MLFLOW + endpoint + query(params))).json();
}

/** POST JSON to an MLflow endpoint. */
export async function post(endpoint, body) {
  const res = await send(MLFLOW + endpoint, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}

/**
 * PATCH or DELETE JSON to an MLflow endpoint (descriptions, aliases, tags of the registry).
 * Every write is JSON: the server takes no other type, so no page of another site can post a form.
 */
async function send2(method, endpoint, body) {
  const res = await send(MLFLOW + endpoint, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}
export const patch = (endpoint, body) => send2('PATCH', endpoint, body);
export const del = (endpoint, body) => send2('DELETE', endpoint, body);

/** GET an mlx extension endpoint. */
export async function getMlx(endpoint, params) {
  return (await send(MLX + endpoint + query(params))).json();
}

/** Every page of a paged GET, concatenated (field = the list in each answer), up to limit items. */
export async function getAll(endpoint, params, field, limit = 100_000) {
  const out = [];
  let token;
  do {
    const page = await get(endpoint, { ...params, page_token: token });
    out.push(...(page[field] ?? []));
    token = page.next_page_token;
  } while (token && out.length < limit);
  return out;
}

/** The artifact proxy path of a file of a run: from `mlflow-artifacts:/…`, else the server's layout. */
export function runArtifactPath(info, rel) {
  const uri = info.artifact_uri ?? '';
  const base = uri.startsWith('mlflow-artifacts:') ? uri.replace(/^mlflow-artifacts:\/*/, '') : `${info.experiment_id}/${info.run_id}/artifacts`;
  return [base.replace(/\/+$/, ''), rel].filter(Boolean).join('/');
}

/** URL of the artifact proxy for a path; each segment encoded. */
export const artifactUrl = (p) => ARTIFACTS + p.split('/').filter(Boolean).map(encodeURIComponent).join('/');

/** Downloads an artifact through the proxy as a Blob (fetch, so the token goes along). */
export async function fetchArtifact(p) {
  return (await send(artifactUrl(p))).blob();
}

/** The first maxBytes of an artifact, and whether there was more. */
export async function fetchArtifactHead(p, maxBytes = 64 * 1024) {
  const res = await send(artifactUrl(p));
  const reader = res.body.getReader();
  const chunks = [];
  let n = 0;
  let more = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.byteLength;
    if (n >= maxBytes) {
      more = n > maxBytes;
      if (!more) more = !(await reader.read()).done;
      await reader.cancel().catch(() => {});
      break;
    }
  }
  const bytes = new Uint8Array(Math.min(n, maxBytes));
  let off = 0;
  for (const c of chunks) {
    const take = Math.min(c.byteLength, bytes.length - off);
    bytes.set(c.subarray(0, take), off);
    off += take;
    if (off >= bytes.length) break;
  }
  return { bytes, more };
}

/** Saves a Blob under a file name through a temporary blob: link. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
