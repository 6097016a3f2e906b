import type { Hono } from 'hono';
import { invalid } from '../../core/errors.js';
import { LIMIT_WORDS } from '../../serving/defaults.js';
import { parseFormData, TooManyParts, type FormPart } from '../multipart.js';
import { checkRows, requestBody, requestJson } from './body.js';
import { HttpError, TooLarge } from '../http-errors.js';
import { answer, defaultColumns, numberRows, rowPredictions } from './observe.js';
import { lease } from './request-context.js';
import type { ServingState } from './state.js';

/** Fields (parts without a file) a /predict form may have: /predict reads none of them (Starlette's max_fields, as the seed's FastAPI had). */
const MAX_FORM_FIELDS = 1000;

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
        // Counted before anything is decoded: each image costs a decode, and all of a request's are admitted together.
        parts = parseFormData(bytes, type, { maxFiles: state.maxImages, maxFields: MAX_FORM_FIELDS });
      } catch (err) {
        const names = state.limitNames ?? LIMIT_WORDS;
        if (err instanceof TooManyParts && err.kind === 'files')
          throw new TooLarge(
            `the form has more than ${err.limit} files; send at most ${err.limit} images per request (${names.maxImages}), or raise ${names.maxImages}`,
          );
        if (err instanceof TooManyParts)
          throw new TooLarge(`the form has more than ${err.limit} fields besides its files; /predict reads only the "file" fields`);
        throw invalid('cannot read the multipart form; send the image as the form field "file"');
      }
      const files = parts.filter((p) => p.name === 'file' && p.filename !== undefined);
      const images = files.map((p) => p.data);
      if (images.length === 0) throw invalid('the form has no "file" field with an image; send one, e.g. curl -F "file=@cat.jpg" …/predict');
      // With several images, an error says which one it was about.
      const label = images.length > 1 ? (i: number) => `image ${i + 1} of ${images.length} (${JSON.stringify(files[i].filename)})` : undefined;
      const predictions = await answer(c, state, predictor, {
        run: (p) => p.predictImages(images, k, { label }),
        predictions: (_p, r) => rowPredictions(r),
        columns: null,
        rows: null,
      });
      return c.json(predictions.length === 1 ? predictions[0] : { predictions });
    }
    // A raw image body (curl --data-binary @cat.jpg -H 'content-type: image/jpeg'), as BentoML takes it.
    if (/^image\/(jpeg|png|webp|gif|tiff)\s*(;|$)/i.test(type)) {
      const image = await requestBody(c, state);
      if (image.length === 0) throw invalid(`the body is empty; send the image itself with content type ${type.split(';')[0]}`);
      const [prediction] = await answer(c, state, predictor, {
        run: (p) => p.predictImages([image], k),
        predictions: (_p, r) => rowPredictions(r),
        columns: null,
        rows: null,
      });
      return c.json(prediction);
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
        cells: () => rows,
      });
      return c.json({ predictions });
    }
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `content type ${JSON.stringify(type || 'none')} is not supported: send multipart/form-data with an image in "file", a raw image (image/jpeg, image/png, image/webp), or application/json {"instances": ...}`,
    );
  });
}
