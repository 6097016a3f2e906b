import fs from 'node:fs';
import path from 'node:path';
import { findControlChar } from '../core/control-chars.js';
import { invalid, MlxError, notFound } from '../core/errors.js';
import { fileError } from '../core/file-errors.js';
import { DEFAULT_PARAMS_FILE, interpolate, lookup, ParamsFiles } from './params.js';
import { projectPath } from './paths.js';
import { yaml, YamlCache } from './yaml.js';

export const PIPELINE_FILE = 'mlx.yaml';
const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** More stages than this (after foreach) is a generator gone wrong, not a pipeline. */
export const MAX_STAGES = 2000;
const STAGE_KEYS = ['cmd', 'deps', 'params', 'outs', 'metrics', 'desc', 'always_changed'];
const GROUP_KEYS = ['foreach', 'do'];
const OUT_OPTIONS = ['cache', 'persist'];

export interface ParamRef {
  /** The params file, project-relative. */
  file: string;
  /** A dotted key, or null: every key of the file. */
  key: string | null;
  /** Not listed under params: a value of params.yaml used in the stage through ${...} (or its foreach item). */
  implicit?: boolean;
}

export interface Output {
  path: string;
  /** Kept in the object cache (and restored from it); false for small files that belong in git. */
  cache: boolean;
  /** Not deleted before the stage runs (a checkpoint the command resumes from). */
  persist: boolean;
}

export interface Stage {
  name: string;
  /** The foreach stage this one was generated from. */
  group: string | null;
  /** Shell commands, run in order in the project folder; the first failure fails the stage. */
  cmd: string[];
  deps: string[];
  params: ParamRef[];
  outs: Output[];
  /** JSON or YAML files of numbers, read into the stage's run as metrics (outputs, never cached). */
  metrics: string[];
  desc: string | null;
  alwaysChanged: boolean;
}

export interface Pipeline {
  /** The folder of mlx.yaml: every path is relative to it, and none leaves it. */
  root: string;
  stages: Stage[];
  params: ParamsFiles;
  /** Parsed YAML files, saved by repro when it ends. */
  cache: YamlCache;
}

/** The folder holding mlx.yaml: the current one or the nearest parent, else a refusal saying how to start. */
export function findPipelineRoot(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, PIPELINE_FILE))) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw notFound(`no ${PIPELINE_FILE} in ${cwd} or its parents: declare the stages there (see \`mlx repro --help\`)`);
}

/**
 * Reads and checks mlx.yaml, expanding foreach stages. Everything is refused before anything runs.
 * cacheFile: where parsed YAML is kept between runs (none for commands that only read).
 */
export function loadPipeline(root: string, opts: { cacheFile?: string } = {}): Pipeline {
  const file = path.join(root, PIPELINE_FILE);
  const cache = new YamlCache(opts.cacheFile ?? null);
  let top: unknown;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw invalid(`${PIPELINE_FILE} is not a regular file`);
    if (st.size > MAX_FILE_BYTES) throw invalid(`${PIPELINE_FILE} is ${st.size} bytes; it may be at most ${MAX_FILE_BYTES}`);
    top = cache.get(file, parseYaml);
  } catch (err) {
    throw err instanceof MlxError ? err : fileError(err, PIPELINE_FILE);
  }
  const params = new ParamsFiles(root, cache);
  return { root, stages: stagesOf(top, params), params, cache };
}

/** Parses the text of mlx.yaml into stages (exported for tests). */
export function parsePipeline(text: string, params: ParamsFiles): Stage[] {
  return stagesOf(parseYaml(text), params);
}

function parseYaml(text: string): unknown {
  const doc = yaml().parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) throw invalid(`${PIPELINE_FILE} is not valid YAML: ${doc.errors[0].message.split('\n')[0].replace(/:\s*$/, '')}`);
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

function stagesOf(top: unknown, params: ParamsFiles): Stage[] {
  if (top === null || top === undefined) throw invalid(`${PIPELINE_FILE} is empty: declare stages under "stages:"`);
  if (!isMap(top)) throw invalid(`${PIPELINE_FILE} must be a mapping with a "stages:" key`);
  for (const k of Object.keys(top))
    if (k !== 'stages') throw invalid(`${PIPELINE_FILE} has an unknown key ${JSON.stringify(k)}; the top level takes only "stages"`);
  if (!isMap(top.stages) || Object.keys(top.stages).length === 0) throw invalid(`${PIPELINE_FILE}: "stages" must map stage names to stages`);
  const stages: Stage[] = [];
  for (const [name, body] of Object.entries(top.stages)) {
    checkName(name);
    if (!isMap(body)) throw invalid(`${PIPELINE_FILE}: stage ${name} must be a mapping with at least "cmd"`);
    if ('foreach' in body || 'do' in body) stages.push(...expandForeach(name, body, params));
    else stages.push(parseStage(name, null, body, {}, params));
    if (stages.length > MAX_STAGES) throw invalid(`${PIPELINE_FILE} declares more than ${MAX_STAGES} stages`);
  }
  return stages;
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_][\w.-]{0,99}$/.test(name))
    throw invalid(`${PIPELINE_FILE}: stage name ${JSON.stringify(name)} must be 1 to 100 letters, digits, "_", "-" or "." (not starting with "-" or ".")`);
}

function expandForeach(name: string, body: Record<string, unknown>, params: ParamsFiles): Stage[] {
  for (const k of Object.keys(body))
    if (!GROUP_KEYS.includes(k))
      throw invalid(`${PIPELINE_FILE}: stage ${name} has foreach, so its other keys go under "do:"; move ${JSON.stringify(k)} there`);
  if (!('do' in body) || !isMap(body.do)) throw invalid(`${PIPELINE_FILE}: stage ${name} has foreach but no "do:" mapping holding the stage`);
  if (!('foreach' in body)) throw invalid(`${PIPELINE_FILE}: stage ${name} has "do:" but no "foreach:" list or mapping`);
  let each = body.foreach;
  let source: string | null = null;
  // `foreach: ${models}`: a list or mapping from params.yaml.
  if (typeof each === 'string') {
    const m = /^\$\{\s*([\w.-]+)\s*\}$/.exec(each);
    if (!m) throw invalid(`${PIPELINE_FILE}: stage ${name}: foreach must be a list, a mapping, or \${KEY} naming one in ${DEFAULT_PARAMS_FILE}`);
    each = lookup(params.get(DEFAULT_PARAMS_FILE) ?? {}, m[1]);
    source = m[1];
    if (each === undefined) throw invalid(`${PIPELINE_FILE}: stage ${name}: foreach names \${${m[1]}}, which is not a key of ${DEFAULT_PARAMS_FILE}`);
  }
  const items: [string, Record<string, unknown>][] = [];
  if (Array.isArray(each)) {
    each.forEach((item, i) => {
      const suffix = item !== null && typeof item === 'object' ? String(i) : String(item);
      items.push([suffix, { item }]);
    });
  } else if (isMap(each)) {
    for (const [key, item] of Object.entries(each)) items.push([key, { key, item }]);
  } else throw invalid(`${PIPELINE_FILE}: stage ${name}: foreach must be a list or a mapping`);
  if (items.length === 0) throw invalid(`${PIPELINE_FILE}: stage ${name}: foreach is empty`);
  if (items.length > MAX_STAGES) throw invalid(`${PIPELINE_FILE}: stage ${name}: foreach has ${items.length} items; at most ${MAX_STAGES}`);
  const seen = new Set<string>();
  return items.map(([suffix, local]) => {
    if (!/^[\w.-]{1,100}$/.test(suffix))
      throw invalid(
        `${PIPELINE_FILE}: stage ${name}: foreach item ${JSON.stringify(suffix)} cannot be part of a stage name; use letters, digits, "_", "-", "." or a mapping`,
      );
    if (seen.has(suffix)) throw invalid(`${PIPELINE_FILE}: stage ${name}: foreach item ${JSON.stringify(suffix)} is listed twice`);
    seen.add(suffix);
    // An item from params.yaml is a param of its stage only: changing one item re-runs one stage.
    const itemParam = source === null ? null : `${source}.${'key' in local ? suffix : items.findIndex((x) => x[0] === suffix)}`;
    return parseStage(`${name}@${suffix}`, name, body.do as Record<string, unknown>, local, params, itemParam);
  });
}

function parseStage(
  name: string,
  group: string | null,
  body: Record<string, unknown>,
  local: Record<string, unknown>,
  params: ParamsFiles,
  itemParam: string | null = null,
): Stage {
  const where = `${PIPELINE_FILE}: stage ${name}`;
  for (const k of Object.keys(body))
    if (!STAGE_KEYS.includes(k))
      throw invalid(`${where} has an unknown key ${JSON.stringify(k)}; a stage takes ${STAGE_KEYS.join(', ')} (and foreach/do to fan out)`);
  const used = new Set<string>(itemParam ? [itemParam] : []);
  const scopes = { local, params: () => params.get(DEFAULT_PARAMS_FILE), used: (key: string) => used.add(key) };
  const str = (field: string, v: unknown) => {
    if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`${where}: ${field} must be text, got ${JSON.stringify(v)}`);
    return interpolate(where, String(v), scopes);
  };
  if (body.cmd === undefined || body.cmd === null) throw invalid(`${where} has no cmd: say which command produces its outputs`);
  const cmd = (Array.isArray(body.cmd) ? body.cmd : [body.cmd]).map((c) => str('cmd', c));
  if (cmd.length === 0 || cmd.some((c) => c.trim() === '')) throw invalid(`${where}: cmd is empty`);
  for (const c of cmd) {
    const bad = findControlChar(c.replace(/[\n\t]/g, ''));
    if (bad !== null) throw invalid(`${where}: cmd contains a control character`);
  }
  const list = (field: string): unknown[] => {
    const v = body[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw invalid(`${where}: ${field} must be a list`);
    return v;
  };
  const deps = list('deps').map((d) => projectPath(`${where}: deps`, str('deps', d)));
  const outs = list('outs').map((o) => parseOutput(where, o, (v) => str('outs', v)));
  const metrics = list('metrics').map((m) => projectPath(`${where}: metrics`, str('metrics', m), { output: true }));
  const paramRefs = list('params').flatMap((p): ParamRef[] => {
    if (typeof p === 'string') return [{ file: DEFAULT_PARAMS_FILE, key: str('params', p) }];
    if (isMap(p) && Object.keys(p).length === 1) {
      const [file, keys] = Object.entries(p)[0];
      const f = projectPath(`${where}: params`, file);
      if (keys === null) return [{ file: f, key: null }];
      if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw invalid(`${where}: params of ${file} must be a list of keys`);
      return keys.map((k: string) => ({ file: f, key: k }));
    }
    throw invalid(`${where}: params takes keys of ${DEFAULT_PARAMS_FILE} ("train.lr") or {FILE: [KEYS]}, got ${JSON.stringify(p)}`);
  });
  if (body.desc !== undefined && typeof body.desc !== 'string') throw invalid(`${where}: desc must be text`);
  if (body.always_changed !== undefined && typeof body.always_changed !== 'boolean') throw invalid(`${where}: always_changed must be true or false`);
  const dup = firstDuplicate([...outs.map((o) => o.path), ...metrics]);
  if (dup) throw invalid(`${where} declares the output ${dup} twice`);
  for (const key of used)
    if (!paramRefs.some((r) => r.file === DEFAULT_PARAMS_FILE && (r.key === key || r.key === null)))
      paramRefs.push({ file: DEFAULT_PARAMS_FILE, key, implicit: true });
  return {
    name,
    group,
    cmd,
    deps: unique(deps),
    params: paramRefs,
    outs,
    metrics,
    desc: (body.desc as string) ?? null,
    alwaysChanged: body.always_changed === true,
  };
}

function parseOutput(where: string, o: unknown, str: (v: unknown) => string): Output {
  if (typeof o === 'string') return { path: projectPath(`${where}: outs`, str(o), { output: true }), cache: true, persist: false };
  if (isMap(o) && Object.keys(o).length === 1) {
    const [p, opts] = Object.entries(o)[0];
    if (opts !== null && !isMap(opts)) throw invalid(`${where}: outs ${p} takes options as a mapping (cache, persist)`);
    for (const k of Object.keys(opts ?? {}))
      if (!OUT_OPTIONS.includes(k)) throw invalid(`${where}: outs ${p} has an unknown option ${JSON.stringify(k)}; it takes cache, persist`);
    for (const k of OUT_OPTIONS) if (opts && k in opts && typeof opts[k] !== 'boolean') throw invalid(`${where}: outs ${p}: ${k} must be true or false`);
    return { path: projectPath(`${where}: outs`, str(p), { output: true }), cache: opts?.cache !== false, persist: opts?.persist === true };
  }
  throw invalid(`${where}: outs takes paths, or {PATH: {cache: false}}, got ${JSON.stringify(o)}`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function firstDuplicate(xs: string[]): string | null {
  const seen = new Set<string>();
  for (const x of xs) {
    if (seen.has(x)) return x;
    seen.add(x);
  }
  return null;
}
