import type { ModelSignature } from '../core/entities.js';
import { invalid } from '../core/errors.js';
import { readTextFile } from '../core/file-errors.js';

/** Reads a labels file: one class name per line; blank trailing lines ignored. */
export function readLabels(file: string): string[] {
  const text = readTextFile(file, `labels file ${JSON.stringify(file)}`);
  const labels = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim());
  while (labels.length && labels[labels.length - 1] === '') labels.pop();
  if (labels.length === 0) throw invalid(`labels file ${JSON.stringify(file)} is empty; put one class name per line`);
  const blank = labels.indexOf('');
  if (blank >= 0) throw invalid(`labels file ${JSON.stringify(file)} line ${blank + 1} is blank; put one class name per line`);
  return labels;
}

/**
 * Checks labels against the first output. A fixed [batch, C] output must have C labels (error);
 * any other shape is not clearly a class dimension, so only a warning is returned.
 */
export function checkLabels(labels: string[], signature: ModelSignature, file: string): string | null {
  const out = signature.outputs[0];
  if (!out) return `the model has no outputs to match the ${labels.length} labels of ${file} against`;
  const classes = out.shape.length === 2 ? out.shape[1] : -1;
  if (classes > 0) {
    if (classes !== labels.length)
      throw invalid(
        `labels file ${JSON.stringify(file)} has ${labels.length} labels but output ${JSON.stringify(out.name)} has ${classes} classes (shape [${out.shape.join(',')}]); give one label per class`,
      );
    return null;
  }
  return `output ${JSON.stringify(out.name)} has shape [${out.shape.join(',')}], not [batch, classes]: the ${labels.length} labels could not be checked against it`;
}
