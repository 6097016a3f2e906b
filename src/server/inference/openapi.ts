import type { Hono } from 'hono';
import type { Predictor } from '../../serving/predictor.js';
import { lease } from './request-context.js';
import type { ServingState } from './state.js';

// GET /openapi.json and GET /docs: what this server's endpoints take and answer, built from the
// served model's signature (BentoML and FastAPI users expect both). Static, no scripts, no CDN.

type Schema = Record<string, unknown>;
const num: Schema = { type: 'number' };
const errorSchema: Schema = {
  type: 'object',
  properties: { error_code: { type: 'string' }, message: { type: 'string' } },
  example: { error_code: 'INVALID_PARAMETER_VALUE', message: 'line 3, column "income" is empty' },
};
const errors = {
  '400': {
    description: 'a value that is not a number, a missing one (naming its row and column), a wrong shape',
    content: { 'application/json': { schema: errorSchema } },
  },
  '413': { description: 'over a limit (body size, rows, images, pixels)', content: { 'application/json': { schema: errorSchema } } },
  '503': { description: 'the model is loading, or too many requests are waiting', content: { 'application/json': { schema: errorSchema } } },
};

/** The OpenAPI 3.0 document of a server over this predictor. */
export function openApiDocument(p: Predictor, mlxVersion: string): Schema {
  const m = p.model;
  const input = m.signature.inputs[0];
  const width = input?.shape.length === 2 && input.shape[1] > 0 ? input.shape[1] : null;
  const columns = m.featureNames ?? (width ? Array.from({ length: width }, (_, i) => `${input.name}_${i}`) : null);
  const image = m.spec?.kind === 'image';
  const classes = p.classifies ? m.labels : null;
  const row: Schema = { type: 'array', items: num, ...(width ? { minItems: width, maxItems: width } : {}) };
  const classification: Schema = {
    type: 'object',
    properties: {
      label: { type: 'string', ...(classes ? { enum: classes } : {}) },
      confidence: num,
      class_id: { type: 'integer' },
      top_k: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' }, confidence: num, class_id: { type: 'integer' } } } },
    },
  };
  const paths: Schema = {
    '/predict': {
      post: {
        summary: image ? 'classify images: a form upload (field "file", several allowed) or a raw image body' : 'predict rows of numbers',
        parameters: [{ name: 'top_k', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'how many classes to list in top_k' }],
        requestBody: {
          required: true,
          content: image
            ? {
                'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } },
                'image/jpeg': { schema: { type: 'string', format: 'binary' } },
                'image/png': { schema: { type: 'string', format: 'binary' } },
                'image/webp': { schema: { type: 'string', format: 'binary' } },
              }
            : { 'application/json': { schema: { type: 'object', properties: { instances: { type: 'array', items: row } }, required: ['instances'] } } },
        },
        responses: {
          '200': { description: 'one prediction (several: {"predictions": [...]})', content: { 'application/json': { schema: classification } } },
          ...errors,
        },
      },
    },
    '/invocations': {
      post: {
        summary: "MLflow's scoring protocol (mlflow models serve)",
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  {
                    type: 'object',
                    properties: {
                      dataframe_split: {
                        type: 'object',
                        properties: {
                          columns: { type: 'array', items: { type: 'string' }, ...(columns ? { example: columns } : {}) },
                          data: { type: 'array', items: row },
                        },
                      },
                    },
                  },
                  { type: 'object', properties: { dataframe_records: { type: 'array', items: { type: 'object', additionalProperties: num } } } },
                  { type: 'object', properties: { instances: { type: 'array' } } },
                  { type: 'object', properties: { inputs: { oneOf: [{ type: 'array' }, { type: 'object' }] } } },
                ],
              },
            },
            'text/csv': { schema: { type: 'string' }, example: columns ? `${columns.join(',')}\n` : undefined },
          },
        },
        responses: {
          '200': {
            description: classes
              ? 'predictions: one list of class probabilities per row, in the order of "classes"; labels: the top class of each row'
              : 'predictions: the model output, one entry per row',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    predictions: { type: 'array' },
                    ...(classes
                      ? {
                          labels: { type: 'array', items: { type: 'string', enum: classes } },
                          classes: { type: 'array', items: { type: 'string' }, example: classes },
                        }
                      : {}),
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/health': { get: { summary: 'liveness and the model served', responses: { '200': { description: '{"status","model_loaded","model","version"}' } } } },
    '/ready': {
      get: {
        summary: '200 once the model is loaded and warmed up, 503 before',
        responses: { '200': { description: 'ready' }, '503': { description: 'loading' } },
      },
    },
    [`/v2/models/${m.name}/infer`]: {
      post: { summary: 'Open Inference Protocol (KServe, Triton, Seldon clients)', responses: { '200': { description: 'outputs' }, ...errors } },
    },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
  };
  return {
    openapi: '3.0.3',
    info: {
      title: `${m.name}${m.version !== null ? ` version ${m.version}` : ''}`,
      version: m.version !== null ? String(m.version) : m.sha256.slice(0, 12),
      description: `Served by mlx ${mlxVersion} from ${m.uri}. Inputs: ${m.signature.inputs.map((i) => `${i.name} ${i.type}[${i.shape.join(', ')}]`).join('; ')}${
        m.featureNames ? ` (columns ${m.featureNames.join(', ')})` : ''
      }. Outputs: ${m.signature.outputs.map((o) => `${o.name} ${o.type}[${o.shape.join(', ')}]`).join('; ')}${classes ? `. Classes: ${classes.join(', ')}` : ''}.`,
    },
    paths,
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A page a person reads: the endpoints, what they take, and the document itself. */
function docsPage(doc: Schema): string {
  const info = doc.info as { title: string; description: string };
  const rows = Object.entries(doc.paths as Record<string, Record<string, { summary: string; requestBody?: { content: Record<string, unknown> } }>>)
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) =>
          `<tr><td><code>${method.toUpperCase()} ${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary)}</td><td>${escapeHtml(Object.keys(op.requestBody?.content ?? {}).join(', '))}</td></tr>`,
      ),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)} · mlx serve</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em;color:#222}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.4em .8em;text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:1em;overflow:auto}</style>
</head><body>
<h1>${escapeHtml(info.title)}</h1>
<p>${escapeHtml(info.description)}</p>
<table><tr><th>endpoint</th><th>what</th><th>request body</th></tr>
${rows}
</table>
<h2><a href="openapi.json">openapi.json</a></h2>
<pre>${escapeHtml(JSON.stringify(doc, null, 2))}</pre>
</body></html>
`;
}

/** GET /openapi.json, GET /docs (and GET / pointing at them). */
export function openApiRoutes(app: Hono, state: ServingState): void {
  app.get('/openapi.json', (c) => c.json(openApiDocument(lease(c, state), state.mlxVersion)));
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(docsPage(openApiDocument(lease(c, state), state.mlxVersion)));
  });
  app.get('/', (c) => c.redirect('/docs', 302));
}
