import { invalid } from '../../core/errors.js';
import { readTextFile } from '../../core/file-errors.js';
import { jsonNestsDeeperThan, tooDeepText } from '../../core/json-depth.js';
import { parseRowExpr } from './expression.js';
import { DATA_TYPES, EXPECTATION_KEYS, SCHEMA_VERSION, type DataSchema, type Expectation, type ExpectationName } from './schema.js';

/** The most a schema file may weigh: a reviewable file is far smaller. */
export const MAX_SCHEMA_BYTES = 64 * 1024 * 1024;

/** The 1-based line of a character offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The line where the n-th expectation (0-based) starts, found from its "expect" key. */
function expectationLine(text: string, n: number): number | null {
  const re = /"expect"\s*:/g;
  let m: RegExpExecArray | null = null;
  for (let i = 0; i <= n; i++) if (!(m = re.exec(text))) return null;
  return m ? lineOf(text, m.index) : null;
}

/**
 * Where JSON text stops being valid, when the parser's message does not say (V8 names a position
 * for some errors only): the shortest prefix whose error is not "the input ends early".
 */
function jsonErrorOffset(text: string): number | null {
  const endsEarly = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (err) {
      const message = String((err as Error).message);
      const at = /position (\d+)/.exec(message);
      return at ? Number(at[1]) >= n - 1 : /end of JSON input/i.test(message);
    }
  };
  let lo = 0;
  let hi = text.length;
  if (endsEarly(hi)) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (endsEarly(mid)) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads and checks a schema file; each problem is one line naming the file, the line and what to write instead. */
export function readSchemaFile(file: string): DataSchema {
  const text = readTextFile(file, `schema file ${JSON.stringify(file)}`);
  if (text.length > MAX_SCHEMA_BYTES) throw invalid(`schema file ${file} is over ${MAX_SCHEMA_BYTES / 1024 / 1024} MB`);
  return parseSchema(text, file);
}

/** Parses schema text (see readSchemaFile); `file` names it in messages. */
export function parseSchema(text: string, file: string): DataSchema {
  if (jsonNestsDeeperThan(text)) throw invalid(`${file} ${tooDeepText()}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec(String((err as Error).message));
    const offset = m ? Number(m[1]) : jsonErrorOffset(text);
    const where = offset !== null ? ` line ${lineOf(text, offset)}` : '';
    throw invalid(
      `${file}${where} is not valid JSON (${String((err as Error).message).replace(/ in JSON at position \d+.*$|,\s*(\.\.\.)?".*" is not valid JSON$/s, '')}); fix it or write a new one with mlx data profile --out`,
      err,
    );
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw invalid(`${file} line 1: a schema is a JSON object with "mlx_data_schema" and "expectations"`);
  const d = doc as Record<string, unknown>;
  if (d.mlx_data_schema === undefined)
    throw invalid(`${file}: not an mlx data schema (no "mlx_data_schema" key); write one with mlx data profile DATA --out ${file}`);
  if (d.mlx_data_schema !== SCHEMA_VERSION)
    throw invalid(
      `${file}: "mlx_data_schema" is ${JSON.stringify(d.mlx_data_schema)}, and this mlx reads version ${SCHEMA_VERSION}; upgrade mlx, or profile the reference again`,
    );
  for (const k of Object.keys(d))
    if (!['mlx_data_schema', 'reference', 'description', 'expectations', 'profile', '$schema'].includes(k))
      throw invalid(
        `${file} line ${lineOf(text, text.indexOf(`"${k}"`))}: unknown key ${JSON.stringify(k)}; a schema has mlx_data_schema, reference, description, expectations and profile`,
      );
  if (!Array.isArray(d.expectations)) throw invalid(`${file}: "expectations" must be a list of {"expect": …} objects`);
  const expectations = d.expectations.map((x, i) => checkExpectation(x, i, file, text));
  return { ...(d as unknown as DataSchema), expectations };
}

function checkExpectation(x: unknown, i: number, file: string, text: string): Expectation {
  const line = expectationLine(text, i);
  const at = `${file}${line ? ` line ${line}` : ''} (expectations[${i}])`;
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw invalid(`${at}: an expectation is an object such as {"expect": "unique", "column": "id"}`);
  const o = x as Record<string, unknown>;
  const name = o.expect;
  if (typeof name !== 'string' || !(name in EXPECTATION_KEYS))
    throw invalid(`${at}: unknown expectation ${JSON.stringify(name)}; known: ${Object.keys(EXPECTATION_KEYS).join(', ')}`);
  const keys = EXPECTATION_KEYS[name as ExpectationName];
  for (const k of keys.required) if (o[k] === undefined) throw invalid(`${at}: "${name}" needs "${k}"`);
  for (const k of Object.keys(o))
    if (!['expect', 'severity', ...keys.required, ...keys.optional].includes(k))
      throw invalid(`${at}: "${name}" takes no ${JSON.stringify(k)}; it takes ${[...keys.required, ...keys.optional, 'severity'].join(', ')}`);
  const severity = o.severity ?? 'error';
  if (severity !== 'error' && severity !== 'warn') throw invalid(`${at}: severity ${JSON.stringify(severity)} must be "error" or "warn"`);
  const bad = (k: string, what: string) => invalid(`${at}: "${k}" ${JSON.stringify(o[k])} must be ${what}`);
  if (o.column !== undefined && (typeof o.column !== 'string' || o.column === '')) throw bad('column', 'a column name');
  switch (name) {
    case 'columns':
      if (!Array.isArray(o.columns) || !o.columns.every((c) => typeof c === 'string')) throw bad('columns', 'a list of column names');
      break;
    case 'type':
      if (!DATA_TYPES.includes(o.type as never)) throw bad('type', DATA_TYPES.join(', '));
      break;
    case 'max_null_share':
      if (!isNum(o.max) || o.max < 0 || o.max > 1) throw bad('max', 'a share from 0 to 1');
      break;
    case 'row_count':
    case 'length':
      for (const k of ['min', 'max'])
        if (o[k] !== undefined && (!isNum(o[k]) || !Number.isInteger(o[k]) || (o[k] as number) < 0)) throw bad(k, 'a whole number from 0');
      if (isNum(o.min) && isNum(o.max) && o.min > o.max) throw invalid(`${at}: "min" ${o.min} is above "max" ${o.max}`);
      break;
    case 'range': {
      for (const k of ['min', 'max'])
        if (o[k] !== undefined && !isNum(o[k]) && !(typeof o[k] === 'string' && !Number.isNaN(Date.parse(o[k] as string))))
          throw bad(k, 'a number (or an ISO date-time for datetime columns)');
      if (o.tolerance !== undefined && (!isNum(o.tolerance) || o.tolerance < 0))
        throw bad('tolerance', 'a share of the range from 0 (0.1: 10% beyond each end)');
      if (o.min === undefined && o.max === undefined) throw invalid(`${at}: "range" needs "min", "max" or both`);
      break;
    }
    case 'categories':
      if (!Array.isArray(o.values) || !o.values.every((c) => typeof c === 'string')) throw bad('values', 'a list of strings');
      break;
    case 'expression':
      if (typeof o.expr !== 'string') throw bad('expr', 'an expression such as "age >= 0"');
      try {
        parseRowExpr(o.expr);
      } catch (err) {
        throw invalid(`${at}: ${(err as Error).message}`, err);
      }
      break;
  }
  return { ...o, severity } as Expectation;
}

/** The schema file's text: two-space JSON, expectations one per line so a pull request's diff shows each change on its own line. */
export function formatSchema(schema: DataSchema): string {
  const lines = schema.expectations.map((x) => `    ${JSON.stringify(x)}`);
  const head = JSON.stringify({ mlx_data_schema: schema.mlx_data_schema, ...(schema.reference ? { reference: schema.reference } : {}) }, null, 2).slice(0, -2);
  const profile = schema.profile ? `,\n  "profile": [\n${schema.profile.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]` : '';
  return `${head},\n  "expectations": [\n${lines.join(',\n')}\n  ]${profile}\n}\n`;
}
