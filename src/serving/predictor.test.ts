import { describe, expect, it } from 'vitest';
import { fakeModel } from '../../test/helpers/rollout.js';
import type { Tensor } from './model-runtime.js';
import { Predictor } from './predictor.js';
import { mulberry32 } from '../core/random.js';

/** What the routes logged before predictions() existed: the label of interpret's top class, or the output row. */
function viaInterpret(p: Predictor, out: Record<string, Tensor>) {
  return p.interpret(out, 1).map((x) => (Array.isArray(x) ? (x.length === 1 ? x[0] : x) : x.label));
}

describe('Predictor.predictions', () => {
  const rand = mulberry32(11);
  const tensor = (name: string, n: number, w: number, f: () => number): Record<string, Tensor> => ({
    [name]: { type: 'float32', data: Float32Array.from({ length: n * w }, f), dims: [n, w] },
  });

  it('names the same class as interpret for logits, probabilities and ties', () => {
    for (const labels of [['low', 'mid', 'high'], null]) {
      const p = new Predictor(fakeModel({ kind: 'classifier', labels }), { maxBatchSize: 8, maxDelayMs: 0 });
      for (const f of [() => rand() * 20 - 10, () => rand() / 3, () => Math.floor(rand() * 2)]) {
        const out = tensor('probs', 40, 3, f);
        expect(p.predictions(out)).toEqual(viaInterpret(p, out));
      }
    }
  });

  it('gives regression outputs as numbers (one value) or rows', () => {
    const one = new Predictor(fakeModel({ kind: 'regression' }), { maxBatchSize: 8, maxDelayMs: 0 });
    const out = tensor('y', 5, 1, () => rand());
    expect(one.predictions(out)).toEqual(viaInterpret(one, out));
    expect(typeof one.predictions(out)[0]).toBe('number');
  });
});
