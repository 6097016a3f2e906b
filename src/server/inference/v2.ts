import type { Context, Hono } from 'hono';
import { invalid } from '../../core/errors.js';
import type { TensorSpec } from '../../core/entities.js';
import type { Tensor } from '../../serving/model-runtime.js';
import type { Predictor } from '../../serving/predictor.js';
import { describeValue, positionOf } from '../../serving/cells.js';
import { ELEMENT_TYPES, flatten, toNumbers, toTypedArray, typeOfV2 } from '../../serving/tensors.js';
import { checkRows, requestJson, requireJsonType } from './body.js';
import { answer, defaultColumns, numberRows } from './observe.js';
import { findServed, lease, v2Version } from './request-context.js';
import type { ServingState } from './state.js';

const v2Type = (t: string) => ELEMENT_TYPES[t]?.v2 ?? t.toUpperCase();
const tensorMeta = (t: TensorSpec) => ({ name: t.name, datatype: v2Type(t.type), shape: t.shape });

interface V2Input {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
}

/** An input's declared shape, checked (and its rows counted against --max-rows) before its data is read. */
function declaredShape(state: ServingState, input: V2Input, name: string): number[] {
  if (!Array.isArray(input.shape) || input.shape.some((d) => !Number.isInteger(d) || d < 0))
    throw invalid(`input "${name}" needs "shape": a list of non-negative integers`);
  const dims = input.shape as number[];
  if (dims.length) checkRows(state, dims[0]);
  return dims;
}

function toTensor(state: ServingState, p: Predictor, input: V2Input, i: number): [string, Tensor] {
  const name = typeof input.name === 'string' ? input.name : '';
  if (!name) throw invalid(`inputs[${i}] has no "name"`);
  const spec = p.model.signature.inputs.find((s) => s.name === name);
  if (!spec) throw invalid(`input ${describeValue(name)} is not an input of the model`);
  const dims = declaredShape(state, input, name);
  const type = typeof input.datatype === 'string' ? typeOfV2(input.datatype) : undefined;
  if (!type)
    throw invalid(
      `input "${name}" has datatype ${describeValue(input.datatype)}; use one of ${Object.values(ELEMENT_TYPES)
        .map((t) => t.v2)
        .join(', ')}`,
    );
  if (type !== spec.type) throw invalid(`input "${name}" expects datatype ${v2Type(spec.type)} [${spec.shape.join(', ')}], got ${input.datatype}`);
  const { values } = flatten(input.data, `input "${name}"`, spec.shape.length);
  // Positions follow the declared shape when the data fits it (the shape check refuses it otherwise).
  const fits = values.length === dims.reduce((a, b) => a * b, 1);
  const names = p.model.signature.inputs.length === 1 ? p.model.featureNames : null;
  const at = (k: number) => (fits ? positionOf(k, dims, names) : `position ${k}`);
  return [name, { type, data: toTypedArray(type, values, `input "${name}"`, at), dims }];
}

/** The Open Inference Protocol v2 (KServe, Triton, Seldon MLServer clients). */
export function v2Routes(app: Hono, state: ServingState): void {
  app.get('/v2', (c) => c.json({ name: 'mlx', version: state.mlxVersion, extensions: [] }));
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => c.json({ ready: !!state.predictor }, state.predictor ? 200 : 503));

  const metadata = (name: string, version?: string) => {
    const served = findServed(state, name, version);
    const p = served[0].predictor;
    return {
      name,
      versions: [...new Set(served.map((s) => v2Version(s.predictor.model)))],
      platform: 'onnxruntime_onnx',
      inputs: p.model.signature.inputs.map(tensorMeta),
      outputs: p.model.signature.outputs.map(tensorMeta),
      parameters: { device: p.model.device },
    };
  };
  app.get('/v2/models/:name', (c) => c.json(metadata(c.req.param('name'))));
  app.get('/v2/models/:name/versions/:version', (c) => c.json(metadata(c.req.param('name'), c.req.param('version'))));
  app.get('/v2/models/:name/ready', (c) => (findServed(state, c.req.param('name')), c.json({ name: c.req.param('name'), ready: true })));
  app.get('/v2/models/:name/versions/:version/ready', (c) => {
    findServed(state, c.req.param('name'), c.req.param('version'));
    return c.json({ name: c.req.param('name'), ready: true });
  });

  // A path with a version pins that version; without one, the request is routed like any other.
  const infer = async (c: Context, name: string, version: string | undefined) => {
    // With --log-inputs an answer is logged: a page could otherwise fill the log (and skew drift) with text/plain posts.
    requireJsonType(c, 'the Open Inference Protocol', { allowNone: true });
    const p = lease(c, state, { model: name, version });
    const body = await requestJson(c, state);
    const req = body as { id?: unknown; inputs?: unknown; outputs?: unknown };
    if (!req || typeof req !== 'object' || !Array.isArray(req.inputs) || req.inputs.length === 0)
      throw invalid('the request needs "inputs": [{"name", "shape", "datatype", "data"}, ...]');
    const inputs = req.inputs as V2Input[];
    const build = (q: Predictor) => {
      const feeds: Record<string, Tensor> = {};
      inputs.forEach((input, i) => {
        const [n, t] = toTensor(state, q, input && typeof input === 'object' ? input : {}, i);
        feeds[n] = t;
      });
      return feeds;
    };
    const feeds = build(p);
    const wanted = Array.isArray(req.outputs) ? (req.outputs as { name?: unknown }[]).map((o) => o?.name) : null;
    const outputNames = p.model.signature.outputs.map((o) => o.name);
    if (wanted)
      for (const w of wanted) if (typeof w !== 'string' || !outputNames.includes(w)) throw invalid(`output ${describeValue(w)} is not an output of the model`);
    const single = inputs.length === 1 && feeds[String(inputs[0].name)]?.dims.length === 2 ? inputs[0] : null;
    const out = await answer(c, state, p, {
      run: (q) => q.infer(q === p ? feeds : build(q)),
      predictions: (q, result) => q.predictions(result),
      columns: single ? () => defaultColumns(p, (single.shape as number[])[1]) : null,
      rows: single ? () => chunk(flatten(single.data, 'input', 2).values as unknown[], (single.shape as number[])[1]) : null,
      ...(single ? { cells: () => rawChunk(flatten(single.data, 'input', 2).values as unknown[], (single.shape as number[])[1]) } : {}),
    });
    return {
      model_name: p.model.name,
      model_version: v2Version(p.model),
      ...(typeof req.id === 'string' ? { id: req.id } : {}),
      outputs: Object.entries(out)
        .filter(([n]) => !wanted || wanted.includes(n))
        .map(([n, t]) => ({ name: n, datatype: v2Type(t.type), shape: t.dims, data: toNumbers(t.data as ArrayLike<number>) })),
    };
  };
  app.post('/v2/models/:name/infer', async (c) => c.json(await infer(c, c.req.param('name'), undefined)));
  app.post('/v2/models/:name/versions/:version/infer', async (c) => c.json(await infer(c, c.req.param('name'), c.req.param('version'))));
}

/** Flat values as rows of numbers of the given width. */
function chunk(values: unknown[], width: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i + width <= values.length && width > 0; i += width) rows.push(numberRows([values.slice(i, i + width)])[0]);
  return rows;
}

/** Flat values as rows of the given width, as sent. */
function rawChunk(values: unknown[], width: number): unknown[][] {
  const rows: unknown[][] = [];
  for (let i = 0; i + width <= values.length && width > 0; i += width) rows.push(values.slice(i, i + width));
  return rows;
}
