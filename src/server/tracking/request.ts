import type { Context } from 'hono';
import { invalid, MlxError } from '../../core/errors.js';
import { jsonNestsDeeperThan, tooDeepText } from '../../core/json-depth.js';
import { TooLarge } from '../http-errors.js';
import { parseJsonBody, readBody } from '../read-body.js';

/** A byte count for messages: KB below 1 MB, so small limits do not read "0 MB". */
export function sizeText(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${Math.round(bytes / 1024 / 1024)} MB`;
}

/**
 * One request's fields, as MLflow's REST layer reads them: query parameters for GET (a field
 * given several times is a repeated field), the JSON object body otherwise. The typed getters
 * below make wrong types a 400 INVALID_PARAMETER_VALUE naming the field, never a 500.
 */
export class Fields {
  private constructor(
    private readonly data: Record<string, unknown>,
    private readonly fromQuery: boolean,
  ) {}

  static async of(c: Context, maxBytes: number): Promise<Fields> {
    if (c.req.method === 'GET') {
      const q = c.req.queries();
      const data: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(q)) data[k] = v.length === 1 ? v[0] : v;
      return new Fields(data, true);
    }
    // As MLflow does: a form or text/plain POST needs no CORS preflight, so without this any web
    // page could change runs on a tokenless local server (cross-site request forgery).
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw invalid(`Bad Request. Content-Type must be one of ['application/json'], not ${JSON.stringify(type || 'none')}.`);
    const body = await readBody(c, maxBytes, () => new TooLarge(`the request body is over the server's limit of ${sizeText(maxBytes)}`));
    if (body.length === 0) return new Fields({}, false);
    // Before parsing: the handlers' messages (and JSON.stringify) would recurse through any depth.
    if (jsonNestsDeeperThan(body)) throw new MlxError('BAD_REQUEST', `the request body ${tooDeepText()}`);
    const json = parseJsonBody(body, () => new MlxError('BAD_REQUEST', 'the request body is not valid JSON'));
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new MlxError('BAD_REQUEST', 'the request body must be a JSON object');
    return new Fields(json as Record<string, unknown>, false);
  }

  has(name: string): boolean {
    return this.data[name] !== undefined && this.data[name] !== null;
  }

  /** A required string field. */
  str(name: string): string {
    const v = this.optStr(name);
    if (v === undefined) throw invalid(`Missing value for required parameter '${name}'`);
    return v;
  }

  optStr(name: string): string | undefined {
    const v = this.data[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    // MLflow's JSON parser accepts numbers for string fields such as experiment_id.
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': a string is expected`);
  }

  /** A bool field: JSON true/false, or "true"/"false" as query parameters carry it. */
  optBool(name: string): boolean | undefined {
    const v = this.data[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': true or false is expected`);
  }

  /** An int64 field: a JSON number or a string of digits (query parameters are text). */
  optInt(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.data[name];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': an integer is expected`);
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max))
      throw invalid(`Invalid value ${n} for parameter '${name}': it must be ${opts.min ?? '-∞'} to ${opts.max ?? '∞'}`);
    return n;
  }

  int(name: string, opts: { min?: number; max?: number } = {}): number {
    const n = this.optInt(name, opts);
    if (n === undefined) throw invalid(`Missing value for required parameter '${name}'`);
    return n;
  }

  /** A double field; MLflow also takes "NaN", "Infinity", "-Infinity". */
  num(name: string): number {
    const v = this.data[name];
    if (v === undefined || v === null) throw invalid(`Missing value for required parameter '${name}'`);
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      if (v === 'NaN') return NaN;
      if (v === 'Infinity' || v === 'inf') return Infinity;
      if (v === '-Infinity' || v === '-inf') return -Infinity;
      if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    }
    throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': a number is expected`);
  }

  /** A repeated string field (one value or several). */
  strList(name: string): string[] {
    const v = this.data[name];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((x, i) => {
      if (typeof x === 'string') return x;
      if (typeof x === 'number' && Number.isFinite(x)) return String(x);
      throw invalid(`Invalid value ${JSON.stringify(x)} at position ${i} of parameter '${name}': strings are expected`);
    });
  }

  /** A repeated message field (JSON bodies only): a list of objects. */
  objList(name: string): Fields[] {
    const v = this.data[name];
    if (v === undefined || v === null) return [];
    if (this.fromQuery || !Array.isArray(v)) throw invalid(`Invalid value for parameter '${name}': a list of objects is expected`);
    return v.map((x, i) => {
      if (!x || typeof x !== 'object' || Array.isArray(x)) throw invalid(`Invalid value at position ${i} of parameter '${name}': an object is expected`);
      return new Fields(x as Record<string, unknown>, false);
    });
  }

  /** A nested message field. */
  obj(name: string): Fields {
    const v = this.data[name];
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(`Missing or invalid value for parameter '${name}': an object is expected`);
    return new Fields(v as Record<string, unknown>, false);
  }

  /** `tags: [{key, value}]` as a record. */
  tags(name = 'tags'): Record<string, string> {
    const out: Record<string, string> = {};
    for (const t of this.objList(name)) out[t.str('key')] = t.optStr('value') ?? '';
    return out;
  }
}
