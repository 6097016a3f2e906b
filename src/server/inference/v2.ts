import type { Hono } from 'hono';
import { invalid } from '../../core/errors.js';
import type { TensorSpec } from '../../core/entities.js';
import type { Tensor } from '../../serving/model-runtime.js';
import { ELEMENT_TYPES, flatten, toNumbers, toTypedArray, typeOfV2 } from '../../serving/tensors.js';
import { requestJson } from './body.js';
import { HttpError } from './errors.js';
import { requirePredictor, type ServingState } from './state.js';

const v2Type = (t: string) => ELEMENT_TYPES[t]?.v2 ?? t.toUpperCase();
const tensorMeta = (t: TensorSpec) => ({ name: t.name, datatype: v2Type(t.type), shape: t.shape });

/** The served model if the path names it (and its version, when given); 404 otherwise. */
function modelFor(state: ServingState, name: string, version: string | undefined) {
  const p = requirePredictor(state);
  const served = p.model;
  if (name !== served.name) throw new HttpError(404, 'NOT_FOUND', `model "${name}" is not served here; this server serves "${served.name}"`);
  const v = served.version === null ? '1' : String(served.version);
  if (version !== undefined && version !== v)
    throw new HttpError(404, 'NOT_FOUND', `model "${name}" has no version "${version}" here; version ${v} is served`);
  return { p, v };
}

interface V2Input {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
}

function toTensor(spec: TensorSpec | undefined, input: V2Input, i: number): [string, Tensor] {
  const name = typeof input.name === 'string' ? input.name : '';
  if (!name) throw invalid(`inputs[${i}] has no "name"`);
  if (!spec) throw invalid(`input "${name}" is not an input of the model`);
  if (!Array.isArray(input.shape) || input.shape.some((d) => !Number.isInteger(d) || d < 0))
    throw invalid(`input "${name}" needs "shape": a list of non-negative integers`);
  const type = typeof input.datatype === 'string' ? typeOfV2(input.datatype) : undefined;
  if (!type) throw invalid(`input "${name}" has datatype ${JSON.stringify(input.datatype)}; use one of ${Object.values(ELEMENT_TYPES).map((t) => t.v2).join(', ')}`);
  if (type !== spec.type) throw invalid(`input "${name}" expects datatype ${v2Type(spec.type)} [${spec.shape.join(', ')}], got ${input.datatype}`);
  const { values } = flatten(input.data, `input "${name}"`);
  const dims = input.shape as number[];
  return [name, { type, data: toTypedArray(type, values, `input "${name}"`), dims }];
}

/** The Open Inference Protocol v2 (KServe, Triton, Seldon MLServer clients). */
export function v2Routes(app: Hono, state: ServingState): void {
  app.get('/v2', (c) => c.json({ name: 'mlx', version: state.mlxVersion, extensions: [] }));
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => c.json({ ready: !!state.predictor }, state.predictor ? 200 : 503));

  const metadata = (name: string, version?: string) => {
    const { p, v } = modelFor(state, name, version);
    return {
      name,
      versions: [v],
      platform: 'onnxruntime_onnx',
      inputs: p.model.signature.inputs.map(tensorMeta),
      outputs: p.model.signature.outputs.map(tensorMeta),
    };
  };
  app.get('/v2/models/:name', (c) => c.json(metadata(c.req.param('name'))));
  app.get('/v2/models/:name/versions/:version', (c) => c.json(metadata(c.req.param('name'), c.req.param('version'))));
  app.get('/v2/models/:name/ready', (c) => (modelFor(state, c.req.param('name'), undefined), c.json({ name: c.req.param('name'), ready: true })));
  app.get('/v2/models/:name/versions/:version/ready', (c) => {
    modelFor(state, c.req.param('name'), c.req.param('version'));
    return c.json({ name: c.req.param('name'), ready: true });
  });

  const infer = async (name: string, version: string | undefined, body: unknown) => {
    const { p, v } = modelFor(state, name, version);
    const req = body as { id?: unknown; inputs?: unknown; outputs?: unknown };
    if (!req || typeof req !== 'object' || !Array.isArray(req.inputs) || req.inputs.length === 0)
      throw invalid('the request needs "inputs": [{"name", "shape", "datatype", "data"}, ...]');
    const feeds: Record<string, Tensor> = {};
    (req.inputs as V2Input[]).forEach((input, i) => {
      const [n, t] = toTensor(p.model.signature.inputs.find((s) => s.name === input?.name), input ?? {}, i);
      feeds[n] = t;
    });
    const out = await p.infer(feeds);
    const wanted = Array.isArray(req.outputs) ? (req.outputs as { name?: string }[]).map((o) => o?.name) : null;
    if (wanted) for (const w of wanted) if (!w || !(w in out)) throw invalid(`output ${JSON.stringify(w)} is not an output of the model`);
    return {
      model_name: name,
      model_version: v,
      ...(typeof req.id === 'string' ? { id: req.id } : {}),
      outputs: Object.entries(out)
        .filter(([n]) => !wanted || wanted.includes(n))
        .map(([n, t]) => ({ name: n, datatype: v2Type(t.type), shape: t.dims, data: toNumbers(t.data as ArrayLike<number>) })),
    };
  };
  app.post('/v2/models/:name/infer', async (c) => c.json(await infer(c.req.param('name'), undefined, await requestJson(c, state))));
  app.post('/v2/models/:name/versions/:version/infer', async (c) =>
    c.json(await infer(c.req.param('name'), c.req.param('version'), await requestJson(c, state))),
  );
}
