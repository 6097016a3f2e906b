import fs from 'node:fs';
import path from 'node:path';
import { invalid, MlxError } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import { yaml, type YamlCache } from './yaml.js';

export const DEFAULT_PARAMS_FILE = 'params.yaml';
/** A params file larger than this is not a params file: refused before it is parsed. */
const MAX_PARAMS_BYTES = 4 * 1024 * 1024;

export type ParamsDoc = Record<string, unknown>;

/** Reads params files once per repro: YAML or JSON (JSON is YAML), keyed by project-relative name. */
export class ParamsFiles {
  private readonly docs = new Map<string, ParamsDoc | null>();
  constructor(
    private readonly root: string,
    private readonly cache: YamlCache | null = null,
  ) {}

  /** The parsed file, or null when it does not exist. */
  get(file: string): ParamsDoc | null {
    if (this.docs.has(file)) return this.docs.get(file)!;
    const full = path.join(this.root, file);
    let doc: unknown;
    try {
      const st = fs.statSync(full);
      if (!st.isFile()) throw invalid(`params file ${file} is not a regular file`);
      if (st.size > MAX_PARAMS_BYTES) throw invalid(`params file ${file} is ${st.size} bytes; a params file may be at most ${MAX_PARAMS_BYTES} bytes`);
      const parse = (text: string) => {
        try {
          return yaml().parse(text, { maxAliasCount: 100 }) as unknown;
        } catch (err) {
          throw invalid(`params file ${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`, err);
        }
      };
      doc = this.cache ? this.cache.get(full, parse) : parse(fs.readFileSync(full, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.docs.set(file, null);
        return null;
      }
      throw err instanceof MlxError ? err : fileError(err, `params file ${file}`);
    }
    if (doc === null || doc === undefined) doc = {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw invalid(`params file ${file} must hold a mapping of keys to values`);
    this.docs.set(file, doc as ParamsDoc);
    return doc as ParamsDoc;
  }
}

/** The value at a dotted key ("train.lr"), or undefined. A key that itself holds dots is found too. */
export function lookup(doc: unknown, key: string): unknown {
  if (doc === null || typeof doc !== 'object') return undefined;
  const obj = doc as Record<string, unknown>;
  if (Object.hasOwn(obj, key)) return obj[key];
  const parts = key.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const head = parts.slice(0, i).join('.');
    if (Object.hasOwn(obj, head)) {
      const found = lookup(obj[head], parts.slice(i).join('.'));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** A param's value as a run records it: scalars as text, lists and mappings as JSON. */
export function paramText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

/**
 * Replaces `${name}` in text (DVC's templating): from the foreach context first (item, key,
 * item.field), then from the default params file. `$${` is a literal `${`.
 */
export function interpolate(
  where: string,
  text: string,
  scopes: { local: Record<string, unknown>; params: () => ParamsDoc | null; used?: (key: string) => void },
): string {
  return text.replace(/\$?\$\{\s*([^}]*?)\s*\}/g, (whole, name: string) => {
    if (whole.startsWith('$$')) return whole.slice(1);
    if (!/^[\w.@-]+$/.test(name)) throw invalid(`${where}: \${${name}} is not a name; use \${item}, \${key} or a key of ${DEFAULT_PARAMS_FILE}`);
    let value = lookup(scopes.local, name);
    if (value === undefined) {
      value = lookup(scopes.params() ?? {}, name);
      // A value taken from params.yaml is a param of the stage, as DVC tracks it: its change re-runs the stage.
      if (value !== undefined) scopes.used?.(name);
    }
    if (value === undefined) throw invalid(`${where}: \${${name}} is not a foreach item or a key of ${DEFAULT_PARAMS_FILE}`);
    if (value !== null && typeof value === 'object') throw invalid(`${where}: \${${name}} is a list or mapping; name one of its values`);
    return paramText(value);
  });
}
