import type { Hono } from 'hono';
import { invalid } from '../../core/errors.js';
import { parseFormData, type FormPart } from '../multipart.js';
import { checkRows, requestBody, requestJson } from './body.js';
import { HttpError } from './errors.js';
import { answer, defaultColumns, numberRows, rowPredictions } from './observe.js';
import { lease } from './request-context.js';
import type { ServingState } from './state.js';

function topK(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw invalid(`top_k ${JSON.stringify(text)} must be a positive integer`);
  return Number(text);
}

/**
 * The seed's /predict: a multipart image upload (field "file") → label, confidence, class id,
 * top_k; several "file" fields → {"predictions": [...]}. Tabular models take JSON
 * {"instances": [[...], ...]} and answer one prediction per row.
 */
export function predictRoutes(app: Hono, state: ServingState): void {
  app.post('/predict', async (c) => {
    const predictor = lease(c, state);
    const k = topK(c.req.query('top_k'));
    const type = c.req.header('content-type') ?? '';
    if (type.toLowerCase().startsWith('multipart/form-data')) {
      const bytes = await requestBody(c, state);
      let parts: FormPart[];
      try {
        parts = parseFormData(bytes, type);
      } catch {
        throw invalid('cannot read the multipart form; send the image as the form field "file"');
      }
      const images = parts.filter((p) => p.name === 'file' && p.filename !== undefined).map((p) => p.data);
      if (images.length === 0) throw invalid('the form has no "file" field with an image; send one, e.g. curl -F "file=@cat.jpg" …/predict');
      const predictions = await answer(c, state, predictor, {
        run: (p) => p.predictImages(images, k),
        predictions: (_p, r) => rowPredictions(r),
        columns: null,
        rows: null,
      });
      return c.json(predictions.length === 1 ? predictions[0] : { predictions });
    }
    if (type.toLowerCase().startsWith('application/json')) {
      const body = await requestJson(c, state);
      const instances = (body as { instances?: unknown })?.instances;
      if (!Array.isArray(instances)) throw invalid('JSON requests to /predict hold {"instances": [[...], ...]}, one row per prediction');
      checkRows(state, instances.length);
      const rows = instances as unknown[][];
      const predictions = await answer(c, state, predictor, {
        run: (p) => p.predictRows(rows, k),
        predictions: (_p, r) => rowPredictions(r),
        columns: () => defaultColumns(predictor, rows[0].length),
        rows: () => numberRows(rows),
      });
      return c.json({ predictions });
    }
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content type ${JSON.stringify(type || 'none')} is not supported: send multipart/form-data with an image in "file", or application/json {"instances": ...}`);
  });
}
