import type { Hono } from 'hono';
import { invalid } from '../../core/errors.js';
import type { Tensor } from '../../serving/model-runtime.js';
import type { Predictor } from '../../serving/predictor.js';
import { flatten, nest, toNumbers, toTypedArray } from '../../serving/tensors.js';
import { requestBody, requestJson } from './body.js';
import { HttpError } from './errors.js';
import { requirePredictor, type ServingState } from './state.js';

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

function fromDataframeSplit(predictor: Predictor, v: unknown): Record<string, Tensor> {
  const o = v as { columns?: unknown; data?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.data)) throw invalid('dataframe_split needs {"columns": [...], "data": [[...], ...]}');
  const rows = o.data as unknown[][];
  if (!Array.isArray(o.columns)) return predictor.rowsToFeeds(rows);
  const order = orderColumns(predictor, o.columns as string[]);
  return predictor.rowsToFeeds(rows.map((r) => (Array.isArray(r) ? order.map((i) => r[i]) : r)));
}

function fromRecords(predictor: Predictor, v: unknown): Record<string, Tensor> {
  if (!Array.isArray(v) || v.length === 0 || v.some((r) => !r || typeof r !== 'object' || Array.isArray(r)))
    throw invalid('dataframe_records needs a non-empty list of objects, one per row: [{"col": value, ...}, ...]');
  const records = v as Record<string, unknown>[];
  const columns = predictor.model.featureNames ?? Object.keys(records[0]);
  return predictor.rowsToFeeds(
    records.map((r, i) =>
      columns.map((col) => {
        if (!(col in r)) throw invalid(`record ${i} has no column "${col}"; the model takes ${columns.join(', ')}`);
        return r[col];
      }),
    ),
  );
}

/** A tensor for a named input from nested JSON arrays, typed as the signature says. */
function tensorFor(predictor: Predictor, name: string, value: unknown): Tensor {
  const spec = predictor.model.signature.inputs.find((i) => i.name === name);
  if (!spec) throw invalid(`input "${name}" is not an input of the model; it takes ${predictor.model.signature.inputs.map((i) => `"${i.name}"`).join(', ')}`);
  const { values, shape } = flatten(value, `input "${name}"`);
  return { type: spec.type, data: toTypedArray(spec.type, values, `input "${name}"`), dims: shape };
}

function fromTensors(predictor: Predictor, v: unknown, format: 'instances' | 'inputs'): Record<string, Tensor> {
  const inputs = predictor.model.signature.inputs;
  if (Array.isArray(v)) {
    // TF-serving row format: a list of {input: value} objects, one per instance.
    if (format === 'instances' && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const feeds: Record<string, Tensor> = {};
      for (const name of Object.keys(v[0] as object)) feeds[name] = tensorFor(predictor, name, v.map((x) => (x as Record<string, unknown>)[name]));
      return feeds;
    }
    if (inputs.length !== 1) throw invalid(`the model has ${inputs.length} inputs: send {"${format}": {"name": [...], ...}}`);
    return { [inputs[0].name]: tensorFor(predictor, inputs[0].name, v) };
  }
  if (v && typeof v === 'object') {
    const feeds: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(v)) feeds[name] = tensorFor(predictor, name, value);
    return feeds;
  }
  throw invalid(`"${format}" must be a list or an object of named inputs`);
}

async function fromCsv(predictor: Predictor, text: string): Promise<Record<string, Tensor>> {
  const { parse } = await import('csv-parse/sync');
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw invalid(`the CSV body cannot be parsed: ${(err as Error).message}`);
  }
  if (records.length < 2) throw invalid('the CSV body needs a header row and at least one data row');
  const [header, ...rows] = records;
  const order = orderColumns(predictor, header);
  return predictor.rowsToFeeds(rows.map((r) => order.map((i) => (r[i] === undefined || r[i] === '' ? NaN : Number(r[i])))));
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
    const predictor = requirePredictor(state);
    let feeds: Record<string, Tensor>;
    if (type === 'text/csv') feeds = await fromCsv(predictor, (await requestBody(c, state)).toString('utf8'));
    else {
      const body = await requestJson(c, state);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid(`the JSON body must be an object with one of ${FORMATS.join(', ')}`);
      const given = FORMATS.filter((f) => f in (body as object));
      if (given.length !== 1)
        throw invalid(`the JSON body must have exactly one of ${FORMATS.join(', ')}${given.length ? `; it has ${given.join(' and ')}` : ''}`);
      const v = (body as Record<string, unknown>)[given[0]];
      feeds =
        given[0] === 'dataframe_split'
          ? fromDataframeSplit(predictor, v)
          : given[0] === 'dataframe_records'
            ? fromRecords(predictor, v)
            : fromTensors(predictor, v, given[0]);
    }
    return c.json({ predictions: predictionsOf(await predictor.infer(feeds)) });
  });
}
