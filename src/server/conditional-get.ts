// What to answer a GET of a file, from the request's validators and Range (RFC 9110 §13.1, §14):
// 304 when the client's copy is current, 206 with one byte range, 416 for a range past the end, else
// the whole file. What MLflow's artifact proxy gives through Flask's send_file, so `curl -C -`,
// `wget -c` and browsers resume a model download and revalidate a cached one.

/** The validators of one file: a strong entity tag (quoted) and, when known, its modification time. */
export interface FileValidators {
  etag: string;
  modified?: Date;
}

export interface GetHeaders {
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  range?: string;
  ifRange?: string;
}

export type FileAnswer =
  | { status: 200 }
  | { status: 304 }
  /** start and end are byte offsets, end included. */
  | { status: 206; start: number; end: number }
  | { status: 416 };

/** An entity tag for a local file: changes when it is replaced, resized or written. */
export function fileEtag(stat: { ino: number; size: number; mtimeMs: number }): string {
  return `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${Math.floor(stat.mtimeMs * 1000).toString(36)}"`;
}

/** The response headers that describe a file: its validators, and that byte ranges are served. */
export function validatorHeaders(v: FileValidators): Record<string, string> {
  return { ETag: v.etag, ...(v.modified ? { 'Last-Modified': v.modified.toUTCString() } : {}), 'Accept-Ranges': 'bytes' };
}

/** The headers of a 206 or 416 answer. */
export function rangeHeaders(answer: FileAnswer, size: number): Record<string, string> {
  if (answer.status === 206) return { 'Content-Range': `bytes ${answer.start}-${answer.end}/${size}`, 'Content-Length': String(answer.end - answer.start + 1) };
  if (answer.status === 416) return { 'Content-Range': `bytes */${size}` };
  return {};
}

const opaque = (tag: string) => tag.replace(/^W\//, '');

/** The entity tags of an If-None-Match or If-Range value (a list; `*` stands for any). */
function tagsOf(value: string): string[] {
  return value.match(/\*|(?:W\/)?"[^"]*"/g) ?? [];
}

/** Whole seconds, as HTTP dates carry them; NaN for text that is not a date. */
const seconds = (d: Date | string) => Math.floor(new Date(d).getTime() / 1000);

export function answerGet(h: GetHeaders, size: number, v: FileValidators): FileAnswer {
  // If-None-Match (weak comparison) takes precedence over If-Modified-Since.
  if (h.ifNoneMatch !== undefined) {
    if (tagsOf(h.ifNoneMatch).some((t) => t === '*' || opaque(t) === opaque(v.etag))) return { status: 304 };
  } else if (h.ifModifiedSince !== undefined && v.modified) {
    const since = seconds(h.ifModifiedSince);
    if (!Number.isNaN(since) && seconds(v.modified) <= since) return { status: 304 };
  }
  if (h.range === undefined || !ifRangeHolds(h.ifRange, v)) return { status: 200 };
  return rangeAnswer(h.range, size);
}

/** If-Range: a range is served only for the representation it names (strong comparison; a date must equal). */
function ifRangeHolds(ifRange: string | undefined, v: FileValidators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return !value.startsWith('W/') && value === v.etag;
  return v.modified !== undefined && seconds(value) === seconds(v.modified);
}

/**
 * One byte range of `bytes=A-B`, `bytes=A-` or `bytes=-N`. A Range the server does not serve (another
 * unit, several ranges, bad syntax) is ignored and the whole file sent, as RFC 9110 allows.
 */
function rangeAnswer(range: string, size: number): FileAnswer {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
  if (!m || (m[1] === '' && m[2] === '')) return { status: 200 };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { status: 416 };
    return { status: 206, start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return { status: 200 };
  if (start >= size) return { status: 416 };
  return { status: 206, start, end: Math.min(last, size - 1) };
}
