import type { SoftmaxMode } from '../models/preprocess-spec.js';

export interface ClassScore {
  label: string;
  confidence: number;
  class_id: number;
}

export interface Classification extends ClassScore {
  top_k: ClassScore[];
}

/** True when a row already is a probability distribution (all in [0, 1], summing to 1). */
export function isDistribution(row: ArrayLike<number>): boolean {
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (!(v >= 0 && v <= 1)) return false;
    sum += v;
  }
  return Math.abs(sum - 1) < 1e-3;
}

/** Probabilities for one output row: softmax when asked, or (auto) when the row holds logits. */
export function probabilities(row: ArrayLike<number>, mode: SoftmaxMode): Float64Array {
  const out = Float64Array.from(row as ArrayLike<number>);
  if (mode === 'no' || (mode === 'auto' && isDistribution(out))) return out;
  let max = -Infinity;
  for (const v of out) if (v > max) max = v;
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] = Math.exp(out[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** The top k classes of a row of probabilities, best first (ties by class id). */
export function classify(probs: ArrayLike<number>, labels: string[] | null, k: number): Classification {
  const order = Array.from({ length: probs.length }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  const score = (i: number): ClassScore => ({ label: labels?.[i] ?? String(i), confidence: probs[i], class_id: i });
  return { ...score(order[0]), top_k: order.slice(0, Math.max(1, Math.min(k, probs.length))).map(score) };
}
