import { invalid } from './errors.js';
import { parseVersion, validateModelName } from './validation.js';

// ---- schemes ---------------------------------------------------------------

/** True for an http:// or https:// URI: a tracking server. */
export function isHttpUri(uri: string): boolean {
  return /^https?:\/\//i.test(uri);
}

/** True for a postgresql:// or postgres:// URI. */
export function isPostgresUri(uri: string): boolean {
  return /^postgres(ql)?:\/\//i.test(uri);
}

/** The scheme of a `scheme://…` URI, lowercased ("https", "postgresql"); null for anything else, a path included. */
export function uriScheme(uri: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  return m ? m[1].toLowerCase() : null;
}

/**
 * The scheme a text starts with (`file:`, `s3:`, `mlflow-artifacts:`), lowercased; null for a
 * path. Two characters at least, so a Windows drive (`C:\…`) is a path, not a scheme.
 */
export function schemeOf(text: string): string | null {
  const m = /^([a-z][a-z0-9+.-]+):/i.exec(text);
  return m ? m[1].toLowerCase() : null;
}

/**
 * The folder a local tracking URI names: the path of a `file://` URI as written (percent-escapes
 * are not decoded), else the text itself.
 */
export function trackingUriPath(uri: string): string {
  // file:./rel and file:/abs (no authority), as MLflow users write them.
  if (/^file:(?!\/\/)/i.test(uri)) return uri.slice(5);
  return uri.startsWith('file://') ? new URL(uri).pathname : uri;
}

/**
 * The URI without its password (in the user part or a `password=` parameter) and other query
 * parameters, for every message and log line: postgresql://user@host:port/db.
 */
export function redactUri(uri: string): string {
  // A folder path (a SQLite store) has no password to hide.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  try {
    const u = new URL(uri);
    const user = u.username ? `${u.username}@` : '';
    return `${u.protocol}//${user}${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    // Unparseable: keep the scheme and the part after the last '@' only, which cannot hold the password.
    const m = /^([a-z]+:\/\/)(?:.*@)?([^?#]*)/i.exec(uri);
    return m ? `${m[1]}${m[2]}` : 'postgresql://…';
  }
}

// ---- the artifact proxy ----------------------------------------------------

/** MLflow's proxied-artifact scheme: `mlflow-artifacts:/PATH` lives behind the tracking server's artifact proxy. */
export const PROXY_SCHEME = 'mlflow-artifacts:';

/**
 * The parts of an `mlflow-artifacts:` URI: the host it names (`mlflow-artifacts://HOST/…`), if
 * any, and the proxy path without its outer slashes; null when the text is not one.
 */
export function parseProxyUri(uri: string): { host?: string; path: string } | null {
  const m = /^mlflow-artifacts:(?:\/\/([^/]*))?(\/.*)?$/i.exec(uri);
  if (!m) return null;
  const path = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return m[1] ? { host: m[1], path } : { path };
}

// ---- object storage: s3:// ------------------------------------------------------

/**
 * The bucket and key prefix of an `s3://BUCKET/PREFIX` URI (the prefix without its outer
 * slashes, '' for the bucket's top); null when the text is not an s3: URI. A bucket name
 * outside S3's rules (3-63 lowercase letters, digits, dots and hyphens) is refused: the SDK
 * would otherwise send it as a host name or a path and fail far from the typo.
 */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } | null {
  const m = /^s3:\/\/([^/?#]*)(\/[^?#]*)?$/i.exec(uri);
  if (!m) {
    if (/^s3:/i.test(uri)) throw invalid(`${JSON.stringify(uri)} is not of the form s3://BUCKET/PREFIX`);
    return null;
  }
  const bucket = m[1];
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..'))
    throw invalid(`${JSON.stringify(uri)}: ${JSON.stringify(bucket)} is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((n) => n === '..' || n === '.') || /[\u0000-\u001f\u007f\\]/.test(prefix) || /\/\//.test(prefix))
    throw invalid(`${JSON.stringify(uri)}: the key prefix must be names separated by single slashes, without ".", ".." or control characters`);
  return { bucket, prefix };
}

// ---- model URIs: models:/ and runs:/ -----------------------------------------

export type VersionSelector = { version: number } | { alias: string } | { latest: true };

export type ModelRef =
  { kind: 'registry'; name: string; selector: VersionSelector } | { kind: 'run'; runId: string; path: string } | { kind: 'file'; path: string };

export const URI_FORMS = 'models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest, runs:/RUN_ID/PATH or a file path';

/** Parses `NAME`, `NAME/3`, `NAME/latest` or `NAME@alias` (the part after `models:/`). */
export function parseRegistryRef(text: string, opts: { allowBare?: boolean } = {}): { name: string; selector: VersionSelector | null } {
  const at = text.indexOf('@');
  const slash = text.indexOf('/');
  if (at >= 0) {
    const name = text.slice(0, at);
    validateModelName(name);
    const alias = text.slice(at + 1);
    if (!alias) throw invalid(`model reference ${JSON.stringify(text)} has an empty alias`);
    return { name, selector: { alias } };
  }
  if (slash >= 0) {
    const name = text.slice(0, slash);
    validateModelName(name);
    const v = text.slice(slash + 1);
    return { name, selector: v === 'latest' ? { latest: true } : { version: parseVersion(v) } };
  }
  validateModelName(text);
  if (!opts.allowBare) throw invalid(`model reference ${JSON.stringify(text)} needs a version: ${text}/3, ${text}@ALIAS or ${text}/latest`);
  return { name: text, selector: null };
}

/** Parses any model URI: models:/…, runs:/…, or a file path. */
export function parseModelUri(text: string): ModelRef {
  if (text.startsWith('models:/')) {
    const { name, selector } = parseRegistryRef(text.slice('models:/'.length));
    return { kind: 'registry', name, selector: selector! };
  }
  if (text.startsWith('runs:/')) {
    const m = /^runs:\/([0-9a-fA-F]{6,32})(?:\/(.*))?$/.exec(text);
    if (!m) throw invalid(`model URI ${JSON.stringify(text)} is not of the form runs:/RUN_ID/PATH`);
    return { kind: 'run', runId: m[1], path: m[2] ?? '' };
  }
  // A scheme followed by "/": "C:model.onnx" or "name:v2.onnx" stay file paths.
  if (/^[a-z][a-z0-9+.-]+:\//i.test(text)) throw invalid(`model URI ${JSON.stringify(text)} has an unknown scheme; use ${URI_FORMS}`);
  return { kind: 'file', path: text };
}
