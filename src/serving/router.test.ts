import { describe, expect, it } from 'vitest';
import { MlxError } from '../core/errors.js';
// The plans are made from the flags as `mlx serve` parses them (cli/rollout-flags.ts), so the messages are the ones users see.
import { parseVariantFlag, rolloutPlans as planVariants } from '../cli/rollout-flags.js';
import { hashKey, keyPoint, seededRandom, TrafficRouter, variantName } from './router.js';

/** Runs fn, insisting it throws a USAGE MlxError whose one-line message mentions every given text. */
function refused(fn: () => unknown, ...mentions: string[]): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MlxError);
    expect((err as MlxError).code).toBe('USAGE');
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    for (const m of mentions) expect(message).toContain(m);
    return message;
  }
  throw new Error('expected a refusal');
}

describe('variant names and flags', () => {
  it('names come from the URI: NAME@ALIAS, NAME/VERSION, a run path, a file base name', () => {
    expect(variantName('models:/clf@champion')).toBe('clf@champion');
    expect(variantName('models:/clf/3')).toBe('clf/3');
    expect(variantName('models:/clf/latest')).toBe('clf/latest');
    expect(variantName('runs:/0123abcd/model/')).toBe('0123abcd/model');
    expect(variantName('/tmp/x/fraud-v2.onnx')).toBe('fraud-v2');
    expect(variantName('models/')).toBe('models');
  });

  it('parses [NAME:]URI=WEIGHT; a NAME: prefix is never the models:/ or runs:/ scheme', () => {
    expect(parseVariantFlag('--canary', 'models:/clf@challenger=10', true)).toEqual({ name: null, uri: 'models:/clf@challenger', weight: 10 });
    expect(parseVariantFlag('--variant', 'blue:models:/clf/2=12.5', true)).toEqual({ name: 'blue', uri: 'models:/clf/2', weight: 12.5 });
    expect(parseVariantFlag('--variant', 'runs:/abcdef12/model=0', true)).toEqual({ name: null, uri: 'runs:/abcdef12/model', weight: 0 });
    expect(parseVariantFlag('--variant', 'a/b=c.onnx=.5', true)).toEqual({ name: null, uri: 'a/b=c.onnx', weight: 0.5 });
    expect(parseVariantFlag('--shadow', 'models:/clf/3', false)).toEqual({ name: null, uri: 'models:/clf/3', weight: null });
    expect(parseVariantFlag('--shadow', 'next:models:/clf/3', false)).toEqual({ name: 'next', uri: 'models:/clf/3', weight: null });
  });

  it('refuses weights that are missing, negative or not numbers, and shadows with weights', () => {
    refused(() => parseVariantFlag('--canary', 'models:/clf@c', true), '--canary', 'no weight');
    refused(() => parseVariantFlag('--canary', 'models:/clf@c=-5', true), '"-5"', 'non-negative');
    refused(() => parseVariantFlag('--variant', 'models:/clf/2=ten', true), '"ten"');
    refused(() => parseVariantFlag('--variant', 'models:/clf/2=1e3', true), '"1e3"');
    refused(() => parseVariantFlag('--variant', 'models:/clf/2=', true), '""');
    refused(() => parseVariantFlag('--variant', '=5', true), 'no model URI');
    refused(() => parseVariantFlag('--shadow', 'models:/clf/3=10', false), 'takes no weight');
  });
});

describe('planVariants', () => {
  it('percent mode: the main model answers what the canaries and variants leave of 100', () => {
    const plans = planVariants('models:/clf@champion', { canary: ['models:/clf@challenger=10'] });
    expect(plans).toEqual([
      { name: 'clf@champion', uri: 'models:/clf@champion', role: 'primary', weight: 90, share: 0.9 },
      { name: 'clf@challenger', uri: 'models:/clf@challenger', role: 'canary', weight: 10, share: 0.1 },
    ]);
    const ab = planVariants('models:/clf/1', { variant: ['models:/clf/2=30', 'b:models:/clf/3=20'], shadow: ['models:/clf/4'] });
    expect(ab.map((p) => [p.name, p.role, p.weight, p.share])).toEqual([
      ['clf/1', 'primary', 50, 0.5],
      ['clf/2', 'variant', 30, 0.3],
      ['b', 'variant', 20, 0.2],
      ['clf/4', 'shadow', 0, 0],
    ]);
    // 100% to a canary is a full cut-over; the main model is still loaded (and reported) with share 0.
    expect(planVariants('a.onnx', { canary: ['b.onnx=100'] }).map((p) => p.share)).toEqual([0, 1]);
    expect(planVariants('a.onnx').map((p) => p.share)).toEqual([1]);
  });

  it('relative mode: the main URI given as a --variant makes every weight relative', () => {
    const plans = planVariants('models:/clf/1', { variant: ['models:/clf/1=3', 'models:/clf/2=1'] });
    expect(plans.map((p) => [p.name, p.role, p.weight, p.share])).toEqual([
      ['clf/1', 'primary', 3, 0.75],
      ['clf/2', 'variant', 1, 0.25],
    ]);
    // Relative weights may add up to anything, 250 here; a NAME: prefix names the main model too.
    const big = planVariants('models:/clf/1', { variant: ['a:models:/clf/1=200', 'models:/clf/2=50'] });
    expect(big.map((p) => [p.name, p.share])).toEqual([
      ['a', 0.8],
      ['clf/2', 0.2],
    ]);
  });

  it('refuses weights over 100, sums over 100, all-zero weights, --canary mixed with relative weights', () => {
    refused(() => planVariants('m.onnx', { canary: ['c.onnx=150'] }), '--canary c.onnx=150', 'at most 100');
    refused(() => planVariants('m.onnx', { canary: ['c.onnx=60'], variant: ['v.onnx=50'] }), 'add up to 110%');
    refused(() => planVariants('m.onnx', { variant: ['m.onnx=0', 'v.onnx=0'] }), 'all 0');
    refused(() => planVariants('m.onnx', { variant: ['m.onnx=1'], canary: ['c.onnx=5'] }), '--canary', '--variant');
  });

  it('refuses a shadow of the served model, a model both routed and shadowed, duplicates, clashing names', () => {
    refused(() => planVariants('models:/clf@champion', { shadow: ['models:/clf@champion'] }), '--shadow models:/clf@champion', 'being served');
    refused(() => planVariants('m.onnx', { canary: ['c.onnx=5'], shadow: ['c.onnx'] }), 'already answers requests');
    refused(() => planVariants('m.onnx', { canary: ['c.onnx=5', 'c.onnx=6'] }), 'given twice');
    refused(() => planVariants('a/model.onnx', { canary: ['b/model.onnx=5'] }), 'both named "model"', 'NAME:URI');
    expect(planVariants('a/model.onnx', { canary: ['b:b/model.onnx=5'] }).map((p) => p.name)).toEqual(['model', 'b']);
  });
});

describe('routing', () => {
  it('the key hash is stable (FNV-1a + fmix32, fixed values) and spreads similar keys', () => {
    expect(hashKey('')).toBe(hashKey(''));
    expect([hashKey('user-1'), hashKey('user-2'), hashKey('ü')]).toEqual([hashKey('user-1'), hashKey('user-2'), hashKey('ü')]);
    expect(new Set(Array.from({ length: 1000 }, (_, i) => hashKey(`user-${i}`))).size).toBe(1000);
    // Pinned values: a change of hash would move every user to another variant after an upgrade.
    expect(hashKey('user-42')).toMatchInlineSnapshot(`2083131798`);
    expect(hashKey('')).toMatchInlineSnapshot(`2872998923`);
    const points = Array.from({ length: 10_000 }, (_, i) => keyPoint(`user-${i}`));
    for (let d = 0; d < 10; d++) {
      const inDecile = points.filter((p) => p >= d / 10 && p < (d + 1) / 10).length;
      expect(Math.abs(inDecile - 1000), `decile ${d}`).toBeLessThan(150);
    }
  });

  it('over 10,000 requests without a key, the split is within 2 points of the weights', () => {
    const router = new TrafficRouter([0.7, 0.2, 0.1, 0], seededRandom(1));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) counts[router.pick()]++;
    [0.7, 0.2, 0.1, 0].forEach((w, i) => expect(Math.abs(counts[i] / 10_000 - w), `variant ${i}: ${counts[i]}`).toBeLessThanOrEqual(0.02));
    expect(counts[3]).toBe(0);
  });

  it('over 10,000 distinct route keys, the split is within 2 points; the same key always meets the same variant', () => {
    const router = new TrafficRouter([0.9, 0.1]);
    const counts = [0, 0];
    const first = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const key = `customer-${i}`;
      const v = router.pick(key);
      counts[v]++;
      first.set(key, v);
    }
    expect(Math.abs(counts[1] / 10_000 - 0.1)).toBeLessThanOrEqual(0.02);
    // Another router (another process, another random seed) sends every key to the same place.
    const other = new TrafficRouter([0.9, 0.1], seededRandom(99));
    for (const [key, v] of first) expect(other.pick(key)).toBe(v);
  });

  it('a zero share is never picked, even for keys; shares need not add up to 1', () => {
    const router = new TrafficRouter([0, 3, 0, 1, 0]);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(router.pick(i % 2 ? `k${i}` : null));
    expect([...seen].sort()).toEqual([1, 3]);
    expect(() => new TrafficRouter([0, 0])).toThrow(/all 0/);
  });
});
