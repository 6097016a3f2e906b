import type { Hono } from 'hono';
import { invalid } from '../../core/errors.js';
import type { Tensor } from '../../serving/model-runtime.js';
import type { Predictor } from '../../serving/predictor.js';
import { flatten, nest, toNumbers, toTypedArray } from '../../serving/tensors.js';
import { requestBody, requestJson } from './body.js';
import { HttpError } from './errors.js';
import { answer, defaultColumns, numberRows } from './observe.js';
import { lease } from './request-context.js';
import type { ServingState } from './state.js';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/** Orders named columns as the model's feature names say (when it records them), else as given. */
function orderColumns(predictor: Predictor, columns: string[]): number[] {
  const names = predictor.model.featureNames;
  if (!names) return columns.map((_, i) => i);
  return names.map((n) => {
    const i = columns.indexOf(n);
    if (i < 0) throw invalid(`column "${n}" is missing; the model takes columns ${names.join(', ')}`);
    return i;
  });
}

/** A parsed request: its feeds for one predictor, and its rows and column names when it is rows of numbers. */
interface Parsed {
  feeds: Record<string, Tensor>;
  columns: string[] | null;
  /** The rows, when the request is rows of numbers for a single 2-D input (a thunk: only the inference log asks). */
  rows: (() => unknown[][]) | null;
}

function fromDataframeSplit(predictor: Predictor, v: unknown): Parsed {
  const o = v as { columns?: unknown; data?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.data)) throw invalid('dataframe_split needs {"columns": [...], "data": [[...], ...]}');
  const rows = o.data as unknown[][];
  if (!Array.isArray(o.columns)) return { feeds: predictor.rowsToFeeds(rows), columns: null, rows: () => rows };
  const columns = o.columns as string[];
  const order = orderColumns(predictor, columns);
  const ordered = rows.map((r) => (Array.isArray(r) ? order.map((i) => r[i]) : r));
  return { feeds: predictor.rowsToFeeds(ordered), columns: order.map((i) => String(columns[i])), rows: () => ordered };
}

function fromRecords(predictor: Predictor, v: unknown): Parsed {
  if (!Array.isArray(v) || v.length === 0 || v.some((r) => !r || typeof r !== 'object' || Array.isArray(r)))
    throw invalid('dataframe_records needs a non-empty list of objects, one per row: [{"col": value, ...}, ...]');
  const records = v as Record<string, unknown>[];
  const columns = predictor.model.featureNames ?? Object.keys(records[0]);
  const rows = records.map((r, i) =>
    columns.map((col) => {
      if (!(col in r)) throw invalid(`record ${i} has no column "${col}"; the model takes ${columns.join(', ')}`);
      return r[col];
    }),
  );
  return { feeds: predictor.rowsToFeeds(rows), columns, rows: () => rows };
}

/** A tensor for a named input from nested JSON arrays, typed as the signature says. */
function tensorFor(predictor: Predictor, name: string, value: unknown): Tensor {
  const spec = predictor.model.signature.inputs.find((i) => i.name === name);
  if (!spec) throw invalid(`input "${name}" is not an input of the model; it takes ${predictor.model.signature.inputs.map((i) => `"${i.name}"`).join(', ')}`);
  const { values, shape } = flatten(value, `input "${name}"`);
  return { type: spec.type, data: toTypedArray(spec.type, values, `input "${name}"`), dims: shape };
}

function fromTensors(predictor: Predictor, v: unknown, format: 'instances' | 'inputs'): Parsed {
  const inputs = predictor.model.signature.inputs;
  // flatten() has checked the shape: a single input of two dimensions is rows of scalars.
  const only = (feeds: Record<string, Tensor>, rows: () => unknown): Parsed => {
    const names = Object.keys(feeds);
    return { feeds, columns: null, rows: names.length === 1 && feeds[names[0]].dims.length === 2 ? (rows as () => unknown[][]) : null };
  };
  if (Array.isArray(v)) {
    // TF-serving row format: a list of {input: value} objects, one per instance.
    if (format === 'instances' && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const feeds: Record<string, Tensor> = {};
      for (const name of Object.keys(v[0] as object)) feeds[name] = tensorFor(predictor, name, v.map((x) => (x as Record<string, unknown>)[name]));
      return only(feeds, () => v.map((x) => Object.values(x as object)[0]));
    }
    if (inputs.length !== 1) throw invalid(`the model has ${inputs.length} inputs: send {"${format}": {"name": [...], ...}}`);
    return only({ [inputs[0].name]: tensorFor(predictor, inputs[0].name, v) }, () => v);
  }
  if (v && typeof v === 'object') {
    const feeds: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(v)) feeds[name] = tensorFor(predictor, name, value);
    return only(feeds, () => Object.values(v)[0]);
  }
  throw invalid(`"${format}" must be a list or an object of named inputs`);
}

async function parseCsv(text: string): Promise<string[][]> {
  const { parse } = await import('csv-parse/sync');
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw invalid(`the CSV body cannot be parsed: ${(err as Error).message}`);
  }
  if (records.length < 2) throw invalid('the CSV body needs a header row and at least one data row');
  return records;
}

function fromCsv(predictor: Predictor, records: string[][]): Parsed {
  const [header, ...data] = records;
  const order = orderColumns(predictor, header);
  const rows = data.map((r) => order.map((i) => (r[i] === undefined || r[i] === '' ? NaN : Number(r[i]))));
  return { feeds: predictor.rowsToFeeds(rows), columns: order.map((i) => header[i]), rows: () => rows };
}

/** MLflow's outputs: the one output as nested lists, or {name: nested lists} for several. */
function predictionsOf(out: Record<string, Tensor>): unknown {
  const entries = Object.entries(out).map(([name, t]) => [name, nest(toNumbers(t.data as ArrayLike<number>), t.dims)] as const);
  return entries.length === 1 ? entries[0][1] : Object.fromEntries(entries);
}

/** MLflow's scoring protocol, so clients written for `mlflow models serve` work unchanged. */
export function invocationsRoutes(app: Hono, state: ServingState): void {
  app.post('/invocations', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json' && type !== 'text/csv')
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content type ${JSON.stringify(type || 'none')} is not supported; use application/json or text/csv`);
    const predictor = lease(c, state);
    // The request is parsed once per predictor: a shadow may order columns or type inputs differently.
    let parse: (p: Predictor) => Parsed;
    if (type === 'text/csv') {
      const records = await parseCsv((await requestBody(c, state)).toString('utf8'));
      parse = (p) => fromCsv(p, records);
    } else {
      const body = await requestJson(c, state);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid(`the JSON body must be an object with one of ${FORMATS.join(', ')}`);
      const given = FORMATS.filter((f) => f in (body as object));
      if (given.length !== 1)
        throw invalid(`the JSON body must have exactly one of ${FORMATS.join(', ')}${given.length ? `; it has ${given.join(' and ')}` : ''}`);
      const format = given[0];
      const v = (body as Record<string, unknown>)[format];
      parse = (p) =>
        format === 'dataframe_split' ? fromDataframeSplit(p, v) : format === 'dataframe_records' ? fromRecords(p, v) : fromTensors(p, v, format);
    }
    const parsed = parse(predictor);
    const rows = parsed.rows;
    const out = await answer(c, state, predictor, {
      run: (p) => p.infer(p === predictor ? parsed.feeds : parse(p).feeds),
      predictions: (p, result) => p.predictions(result),
      columns: rows ? () => parsed.columns ?? defaultColumns(predictor, rows()[0]?.length ?? 0) : null,
      rows: rows ? () => numberRows(rows()) : null,
    });
    return c.json({ predictions: predictionsOf(out) });
  });
}
