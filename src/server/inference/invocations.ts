import type { Hono } from 'hono';
import { checkHeader } from '../../core/csv-records.js';
import { invalid } from '../../core/errors.js';
import { describeValue, positionOf } from '../../serving/cells.js';
import { parseCsvTable, pickColumns, type CsvTable } from '../../serving/csv-table.js';
import type { Tensor } from '../../serving/model-runtime.js';
import type { Predictor } from '../../serving/predictor.js';
import { flatten, nest, toNumbers, toTypedArray } from '../../serving/tensors.js';
import { checkRows, maxRows, requestBody, requestJson, tooManyRows } from './body.js';
import { HttpError } from '../http-errors.js';
import { answer, defaultColumns, numberRows } from './observe.js';
import { lease } from './request-context.js';
import type { ServingState } from './state.js';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/**
 * Orders named columns as the model's feature names say (when it records them), else as given.
 * Columns the model does not name are ignored, as MLflow's schema enforcement ignores them: with
 * names, which value feeds which feature is not in doubt. Without names, every column is taken in
 * order, and an extra one is refused by the shape check (which column would be the extra one?).
 */
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

function fromDataframeSplit(state: ServingState, predictor: Predictor, v: unknown): Parsed {
  const o = v as { columns?: unknown; data?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.data)) throw invalid('dataframe_split needs {"columns": [...], "data": [[...], ...]}');
  checkRows(state, o.data.length);
  const rows = o.data as unknown[][];
  if (!Array.isArray(o.columns)) return { feeds: predictor.rowsToFeeds(rows), columns: null, rows: () => rows };
  const columns = (o.columns as unknown[]).map((c) => (typeof c === 'string' ? c : describeValue(c)));
  checkHeader(columns, 'dataframe_split');
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== columns.length)
      throw invalid(
        `dataframe_split row ${i} has ${Array.isArray(r) ? r.length : 'no'} values, but "columns" names ${columns.length}; every row needs one value per column`,
      );
  });
  const order = orderColumns(predictor, columns);
  const names = order.map((i) => columns[i]);
  const ordered = rows.map((r) => order.map((i) => r[i]));
  return { feeds: predictor.rowsToFeeds(ordered, names), columns: names, rows: () => ordered };
}

function fromRecords(state: ServingState, predictor: Predictor, v: unknown): Parsed {
  if (!Array.isArray(v) || v.length === 0 || v.some((r) => !r || typeof r !== 'object' || Array.isArray(r)))
    throw invalid('dataframe_records needs a non-empty list of objects, one per row: [{"col": value, ...}, ...]');
  checkRows(state, v.length);
  const records = v as Record<string, unknown>[];
  const named = predictor.model.featureNames;
  const columns = named ?? Object.keys(records[0]);
  const rows = records.map((r, i) => {
    // Without the model's names, the first record's keys are the columns: a key it lacks has no place.
    if (!named)
      for (const k of Object.keys(r))
        if (!columns.includes(k))
          throw invalid(`record ${i} has column ${JSON.stringify(k)}, which record 0 does not have; every record needs the same columns`);
    return columns.map((col) => {
      if (!(col in r)) throw invalid(`record ${i} has no column "${col}"; the model takes ${columns.join(', ')}`);
      return r[col];
    });
  });
  return { feeds: predictor.rowsToFeeds(rows, columns), columns, rows: () => rows };
}

/** A tensor for a named input from nested JSON arrays, typed as the signature says. */
function tensorFor(predictor: Predictor, name: string, value: unknown): Tensor {
  const inputs = predictor.model.signature.inputs;
  const spec = inputs.find((i) => i.name === name);
  if (!spec) throw invalid(`input ${describeValue(name)} is not an input of the model; it takes ${inputs.map((i) => `"${i.name}"`).join(', ')}`);
  const { values, shape } = flatten(value, `input "${name}"`, spec.shape.length);
  const names = inputs.length === 1 ? predictor.model.featureNames : null;
  return { type: spec.type, data: toTypedArray(spec.type, values, `input "${name}"`, (i) => positionOf(i, shape, names)), dims: shape };
}

/** The rows of an input's value: the length of its outer list (its first dimension, the batch). */
const outerLength = (v: unknown) => (Array.isArray(v) ? v.length : 0);

function fromTensors(state: ServingState, predictor: Predictor, v: unknown, format: 'instances' | 'inputs'): Parsed {
  const inputs = predictor.model.signature.inputs;
  // flatten() has checked the shape: a single input of two dimensions is rows of scalars.
  const only = (feeds: Record<string, Tensor>, rows: () => unknown): Parsed => {
    const names = Object.keys(feeds);
    return { feeds, columns: null, rows: names.length === 1 && feeds[names[0]].dims.length === 2 ? (rows as () => unknown[][]) : null };
  };
  if (Array.isArray(v)) {
    checkRows(state, v.length);
    // TF-serving row format: a list of {input: value} objects, one per instance.
    if (format === 'instances' && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const feeds: Record<string, Tensor> = {};
      for (const name of Object.keys(v[0] as object))
        feeds[name] = tensorFor(
          predictor,
          name,
          v.map((x) => (x as Record<string, unknown>)[name]),
        );
      return only(feeds, () => v.map((x) => Object.values(x as object)[0]));
    }
    if (inputs.length !== 1) throw invalid(`the model has ${inputs.length} inputs: send {"${format}": {"name": [...], ...}}`);
    return only({ [inputs[0].name]: tensorFor(predictor, inputs[0].name, v) }, () => v);
  }
  if (v && typeof v === 'object') {
    for (const value of Object.values(v)) checkRows(state, outerLength(value));
    const feeds: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(v)) feeds[name] = tensorFor(predictor, name, value);
    return only(feeds, () => Object.values(v)[0]);
  }
  throw invalid(`"${format}" must be a list or an object of named inputs`);
}

/**
 * The columns a CSV body is read for: every predictor's feature names (the primary's and the
 * shadows'), or all of them when one takes its columns by position. A bad cell in one of the
 * primary's columns refuses the request at once; in a column only a shadow takes, only that
 * shadow's run fails.
 */
function csvColumns(state: ServingState, primary: Predictor): { keep: Set<string> | null; strict: Set<string> | null } {
  const all = [primary, ...(state.variants?.shadows ?? []).map((s) => s.predictor).filter((p): p is Predictor => !!p)];
  const keep = all.some((p) => !p.model.featureNames) ? null : new Set(all.flatMap((p) => p.model.featureNames!));
  return { keep, strict: primary.model.featureNames ? new Set(primary.model.featureNames) : null };
}

function fromCsv(predictor: Predictor, table: CsvTable): Parsed {
  const order = orderColumns(predictor, table.header);
  const values = pickColumns(table, order);
  const width = order.length;
  const names = order.map((i) => table.header[i]);
  const at = (i: number) => `line ${table.lines[Math.floor(i / width)]}, column ${JSON.stringify(names[i % width])}`;
  const rows = () => Array.from({ length: table.rows }, (_, r) => Array.from(values.subarray(r * width, (r + 1) * width)));
  return { feeds: predictor.tableToFeeds(values, table.rows, width, at), columns: names, rows };
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
      const table = await parseCsvTable(await requestBody(c, state), {
        ...csvColumns(state, predictor),
        maxRows: maxRows(state),
        tooManyRows: () => tooManyRows(state),
      });
      parse = (p) => fromCsv(p, table);
    } else {
      const body = await requestJson(c, state);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid(`the JSON body must be an object with one of ${FORMATS.join(', ')}`);
      const given = FORMATS.filter((f) => f in (body as object));
      if (given.length !== 1)
        throw invalid(`the JSON body must have exactly one of ${FORMATS.join(', ')}${given.length ? `; it has ${given.join(' and ')}` : ''}`);
      const format = given[0];
      const v = (body as Record<string, unknown>)[format];
      parse = (p) =>
        format === 'dataframe_split'
          ? fromDataframeSplit(state, p, v)
          : format === 'dataframe_records'
            ? fromRecords(state, p, v)
            : fromTensors(state, p, v, format);
    }
    const parsed = parse(predictor);
    const rows = parsed.rows;
    const out = await answer(c, state, predictor, {
      run: (p) => p.infer(p === predictor ? parsed.feeds : parse(p).feeds),
      predictions: (p, result) => p.predictions(result),
      columns: rows ? () => parsed.columns ?? defaultColumns(predictor, rows()[0]?.length ?? 0) : null,
      rows: rows ? () => numberRows(rows()) : null,
      ...(rows ? { cells: rows } : {}),
    });
    // A classifier with class names also says them, as /predict does: the top class of each row, and
    // the order of the probabilities in "predictions" (clients that read only "predictions" see no change).
    const labels = predictor.classifies && predictor.model.labels && Object.keys(out).length === 1 ? predictor.model.labels : null;
    if (!labels) return c.json({ predictions: predictionsOf(out) });
    return c.json({ predictions: predictionsOf(out), labels: predictor.predictions(out), classes: labels });
  });
}
